// Small DOM helpers shared by the views: elements, tables, pagers, progress and error notices.
import { t, tr, fmtNum } from "./i18n.js";

/** h("div", {class: "x", onclick: fn}, "text", child, ...) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "html") el.innerHTML = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }

/** A progress line: indeterminate with elapsed seconds, or a fraction when set(). */
export function progress(container, label) {
  const bar = h("span");
  const track = h("div", { class: "bar indeterminate" }, bar);
  const secs = h("span", {}, "0.0 s");
  const box = h("div", { class: "progress", role: "status", "data-progress": "1" }, h("span", {}, label), track, secs);
  container.append(box);
  const started = performance.now();
  const timer = setInterval(() => { secs.textContent = `${((performance.now() - started) / 1000).toFixed(1)} s`; }, 100);
  return {
    set(fraction, text) {
      track.classList.remove("indeterminate");
      bar.style.width = `${Math.round(Math.max(0, Math.min(1, fraction)) * 100)}%`;
      if (text) box.firstChild.textContent = text;
    },
    label(text) { box.firstChild.textContent = text; },
    done() { clearInterval(timer); box.remove(); },
  };
}

/** A notice for an API error: "not available yet", "needs a purpose", "not permitted", or the message. */
export function errorNotice(err) {
  if (err && err.code === "not_available") {
    return h("div", { class: "notice na", "data-state": "not-available" }, h("b", {}, t("state.na")), " ", err.message);
  }
  if (err && err.code === "purpose_required") {
    return h("div", { class: "notice err" }, h("b", {}, t("state.purpose")), " ", t("state.purpose_hint"));
  }
  if (err && err.status === 403) {
    return h("div", { class: "notice err" }, h("b", {}, t("state.forbidden")), " ", err.message);
  }
  return h("div", { class: "notice err" }, (err && err.message) || String(err));
}

/** Run fn() showing progress in container; errors become a notice there. Returns fn's value or null. */
export async function withProgress(container, label, fn) {
  const p = progress(container, label);
  try {
    return await fn(p);
  } catch (err) {
    if (err && err.name === "AbortError") return null;
    console.warn(err);
    container.append(errorNotice(err));
    return null;
  } finally {
    p.done();
  }
}

/**
 * A data table. columns: [{key, label, num, render(row) -> node|string}]; opts.onClick(row, tr).
 */
export function table(columns, rows, opts = {}) {
  const head = h("tr", {}, columns.map((c) => h("th", { class: c.num ? "num" : null }, c.label)));
  const body = h("tbody");
  for (const row of rows) {
    const tr = h("tr", { class: opts.onClick ? "clickable" : null });
    if (opts.rowAttrs) for (const [k, v] of Object.entries(opts.rowAttrs(row))) tr.setAttribute(k, v);
    for (const c of columns) {
      const value = c.render ? c.render(row) : row[c.key];
      tr.append(h("td", { class: c.num ? "num" : null }, value ?? ""));
    }
    if (opts.onClick) tr.addEventListener("click", (e) => {
      if (e.target.closest("a, button, input")) return;
      for (const other of body.querySelectorAll("tr.selected")) other.classList.remove("selected");
      tr.classList.add("selected");
      opts.onClick(row, tr);
    });
    body.append(tr);
  }
  if (!rows.length) body.append(h("tr", {}, h("td", { colspan: columns.length, class: "muted" }, t("state.empty"))));
  return h("table", { class: "data" }, h("thead", {}, head), body);
}

export function pager(total, limit, offset, onPage) {
  const last = Math.max(0, Math.ceil(total / limit) - 1);
  const page = Math.floor(offset / limit);
  return h("div", { class: "pager" },
    h("button", { class: "secondary small", disabled: page <= 0, onclick: () => onPage(Math.max(0, offset - limit)) }, "‹"),
    h("span", {}, t("pager.page", { page: page + 1, pages: last + 1, total: fmtNum(total) })),
    h("button", { class: "secondary small", disabled: page >= last, onclick: () => onPage(offset + limit) }, "›"));
}

export function scorebar(score) {
  const pct = Math.max(2, Math.round(Math.min(1, Math.max(0, score)) * 100));
  return h("span", {}, h("span", { class: "scorebar" }, h("span", { style: `width:${pct}%` })), score.toFixed(3));
}

export function watchBadge(w) {
  if (!w) return "";
  return h("span", {},
    h("span", { class: "badge watch", title: `${w.list || ""} ${w.person_id}` }, `${t("watch.badge")} ${w.categories.map((c) => tr("cat", c)).join(", ")}`),
    w.match === "fuzzy" ? h("span", { class: "badge fuzzy", title: `${t("watch.listed_as")} ${w.plate}` }, t("watch.fuzzy")) : null);
}

export function reasonsList(reasons, max = 99) {
  const shown = reasons.slice(0, max);
  const ul = h("ul", { class: "reasons" }, shown.map((r) => h("li", {}, r)));
  if (reasons.length > max) {
    const more = h("li", {}, h("button", { class: "link", onclick: (e) => {
      e.stopPropagation(); ul.replaceWith(reasonsList(reasons));
    } }, t("reasons.more", { n: reasons.length - max })));
    ul.append(more);
  }
  return ul;
}

export function kv(pairs) {
  return h("dl", { class: "kv" }, pairs.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "—")]));
}

export function stat(label, value, onClick, attrs = {}) {
  const v = onClick ? h("button", { class: "link v", onclick: onClick, ...attrs }, value) : h("div", { class: "v", ...attrs }, value);
  return h("div", { class: "stat" }, h("div", { class: "muted" }, label), v);
}
