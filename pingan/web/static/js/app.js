// The workbench: log in, then a view per hash route (#/cases, #/case/ID, #/collide, #/vehicle, #/grids,
// #/dashboard, #/imports, #/audit). Plates never go into the URL: they travel in request bodies.
import { api, post, setUnauthenticatedHandler } from "./api.js";
import { loadLang, switchLang, onLangChange, t, translateDom, currentLang } from "./i18n.js";
import { resetBase } from "./map.js";
import { h, clear, errorNotice } from "./ui.js";
import { state } from "./state.js";

const VIEWS = {
  cases: () => import("./views/cases.js").then((m) => m.renderList),
  case: () => import("./views/cases.js").then((m) => m.renderCase),
  collide: () => import("./views/collide.js").then((m) => m.render),
  vehicle: () => import("./views/vehicle.js").then((m) => m.render),
  grids: () => import("./views/grids.js").then((m) => m.render),
  dashboard: () => import("./views/dashboard.js").then((m) => m.render),
  imports: () => import("./views/imports.js").then((m) => m.render),
  audit: () => import("./views/audit.js").then((m) => m.render),
};

const root = document.getElementById("view");
let cleanup = null;
let renderSeq = 0;

function parseHash() {
  const parts = (location.hash || "#/cases").replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const name = VIEWS[parts[0]] ? parts[0] : "cases";
  return { name, args: parts.slice(1) };
}

async function route() {
  if (!state.user) return;
  const seq = ++renderSeq;
  const { name, args } = parseHash();
  if (cleanup) { try { cleanup(); } catch (e) { console.warn(e); } cleanup = null; }
  document.body.dataset.ready = "0";
  document.body.dataset.view = name;
  for (const a of document.querySelectorAll("#nav a")) {
    a.classList.toggle("active", a.dataset.view === name || (name === "case" && a.dataset.view === "cases"));
  }
  clear(root);
  const render = await VIEWS[name]();
  if (seq !== renderSeq) return;
  try {
    cleanup = (await render(root, { args, state })) || null;
  } catch (err) {
    console.warn(err);
    root.append(errorNotice(err));
  }
  if (seq === renderSeq) document.body.dataset.ready = "1";
}

function showLogin() {
  state.user = null;
  resetBase();
  document.getElementById("nav").hidden = true;
  document.getElementById("logout").hidden = true;
  document.getElementById("purpose-box").hidden = true;
  document.getElementById("authorisation-box").hidden = true;
  document.getElementById("who").textContent = "";
  clear(root);
  const form = document.getElementById("login-template").content.firstElementChild.cloneNode(true);
  translateDom(form);
  root.append(form);
  document.body.dataset.view = "login";
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const error = form.querySelector("#login-error");
    error.textContent = "";
    try {
      await post("/api/login", { user: data.get("user"), password: data.get("password") });
      await start();
    } catch (err) {
      error.textContent = err.message;
    }
  });
  form.querySelector("input[name=user]").focus();
  document.body.dataset.ready = "1";
}

async function start() {
  const me = await api("/api/me");
  state.user = me.user;
  state.role = me.role;
  document.getElementById("nav").hidden = false;
  document.getElementById("logout").hidden = false;
  document.getElementById("purpose-box").hidden = false;
  document.getElementById("authorisation-box").hidden = !["analyst", "supervisor"].includes(me.role);
  document.getElementById("who").textContent = `${me.user} · ${t("role." + me.role)}`;
  // Each role starts where it can work: an auditor sees no cases, only the audit.
  if (!location.hash && me.role === "auditor") history.replaceState(null, "", "#/audit");
  await route();
}

function setupHeader() {
  const lang = document.getElementById("lang");
  const label = () => { lang.textContent = currentLang() === "zh" ? "EN" : "中文"; };
  label();
  lang.addEventListener("click", async () => { await switchLang(); label(); });
  onLangChange(() => {
    if (state.user) {
      document.getElementById("who").textContent = `${state.user} · ${t("role." + state.role)}`;
      route();
    } else if (document.body.dataset.view === "login") {
      translateDom(root);
    }
  });
  const purpose = document.getElementById("purpose");
  purpose.value = state.purpose;
  purpose.addEventListener("change", () => state.setPurpose(purpose.value));
  state.onPurpose((p) => { if (purpose.value !== p) purpose.value = p; });
  const ref = document.getElementById("authorisation");
  ref.value = state.authorisation;
  ref.addEventListener("change", () => state.setAuthorisation(ref.value));
  document.getElementById("logout").addEventListener("click", async () => {
    try { await post("/api/logout", {}); } catch { /* already gone */ }
    showLogin();
  });
}

async function boot() {
  await loadLang();
  setupHeader();
  setUnauthenticatedHandler(() => { if (state.user) showLogin(); });
  window.addEventListener("hashchange", route);
  if (typeof L === "undefined") {
    root.prepend(h("div", { class: "notice err" }, t("app.no_leaflet")));
  }
  try {
    await start();
  } catch {
    showLogin();
  }
}

boot();
