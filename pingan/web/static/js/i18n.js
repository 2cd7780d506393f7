// Two dictionaries, Chinese (default) and English; the choice persists in localStorage.
const KEY = "pingan.lang";
let lang = localStorage.getItem(KEY) === "en" ? "en" : "zh";
let dict = {};
const listeners = [];

export function currentLang() { return lang; }

export async function loadLang(next = lang) {
  const res = await fetch(`/static/i18n/${next}.json`);
  dict = await res.json();
  lang = next;
  localStorage.setItem(KEY, lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  translateDom(document);
}

export async function switchLang() {
  await loadLang(lang === "zh" ? "en" : "zh");
  for (const fn of listeners) fn(lang);
}

export function onLangChange(fn) { listeners.push(fn); }

/** The text for a key, with {name} placeholders filled in; the key itself when it has no entry. */
export function t(key, vars = {}) {
  let text = dict[key];
  if (text === undefined) text = key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (vars[name] ?? `{${name}}`));
}

/** Fill every element marked data-i18n (text) or data-i18n-placeholder under root. */
export function translateDom(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
}

/** Local date-time as the analyst reads it: 2026-03-05 01:20 (times arrive as ISO with offset). */
export function fmtTime(iso, seconds = false) {
  if (!iso) return "";
  return iso.replace("T", " ").slice(0, seconds ? 19 : 16);
}

export function fmtNum(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return Number(value).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB",
    { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A value's label from the dictionary (prefix.value), or the value itself when there is none. */
export function tr(prefix, value) {
  if (value === null || value === undefined || value === "") return "";
  const key = `${prefix}.${value}`;
  const text = t(key);
  return text === key ? String(value) : text;
}
