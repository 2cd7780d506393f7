// Audit: is the chain intact, who did what, and the log itself a page at a time.
import { api, qs } from "../api.js";
import { t, fmtTime, fmtNum } from "../i18n.js";
import { h, clear, table, pager, withProgress } from "../ui.js";

export async function render(root) {
  const verifyOut = h("div", { id: "audit-verify" });
  const summary = h("div", { id: "audit-summary" });
  const user = h("input", { name: "user", size: "10" });
  const action = h("select", { name: "action" }, h("option", { value: "" }, t("audit.any")),
    ["consultation", "combination", "disclosure", "collection", "alteration", "erasure", "login", "permission"].map((a) => h("option", { value: a }, t("action." + a))));
  const outcome = h("select", { name: "outcome" }, h("option", { value: "" }, t("audit.any")), ["ok", "refused", "failed"].map((o) => h("option", { value: o }, o)));
  const form = h("form", { class: "form-row" }, h("label", {}, t("audit.user"), user), h("label", {}, t("audit.action"), action),
    h("label", {}, t("audit.outcome"), outcome), h("button", { type: "submit" }, t("audit.filter")));
  const log = h("div", { id: "audit-log" });
  root.append(h("h2", {}, t("audit.title")), verifyOut, h("h3", {}, t("audit.summary")), summary, h("h3", {}, t("audit.log")), form, log);

  const v = await withProgress(verifyOut, t("audit.verifying"), () => api("/api/audit/verify"));
  if (v) verifyOut.append(h("div", { class: v.ok ? "notice" : "notice err", "data-ok": v.ok ? "1" : "0" },
    v.ok ? t("audit.intact", { n: fmtNum(v.entries) }) : t("audit.broken", { seq: v.first_bad_seq, problem: v.problem })));
  const s = await withProgress(summary, t("state.loading"), () => api("/api/audit/summary"));
  if (s) summary.append(table([
    { label: t("audit.user"), key: "user" }, { label: t("audit.action"), render: (r) => t("action." + r.action) },
    { label: t("audit.entries"), render: (r) => h("button", { class: "link", onclick: () => { user.value = r.user; action.value = r.action; load(0); } }, fmtNum(r.entries)), num: true },
    { label: t("audit.touched"), render: (r) => fmtNum(r.touched), num: true }, { label: t("audit.not_ok"), key: "not_ok", num: true },
  ], s.rows));

  async function load(offset) {
    clear(log);
    const res = await withProgress(log, t("state.loading"), () => api(`/api/audit${qs({ user: user.value, action: action.value, outcome: outcome.value, limit: 50, offset })}`));
    if (!res) return;
    log.append(pager(res.total, 50, offset, load), table([
      { label: "#", key: "seq", num: true }, { label: t("audit.at"), render: (e) => fmtTime(e.at, true) },
      { label: t("audit.user"), render: (e) => `${e.user}${e.role ? ` (${e.role})` : ""}` },
      { label: t("audit.action"), render: (e) => t("action." + e.action) }, { label: t("audit.operation"), key: "operation" },
      { label: t("audit.purpose"), key: "purpose" }, { label: t("audit.outcome"), key: "outcome" },
      { label: t("audit.touched"), key: "touched", num: true },
      { label: t("audit.params"), render: (e) => h("code", {}, JSON.stringify(e.params).slice(0, 160)) },
    ], res.entries));
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); load(0); });
  await load(0);
}
