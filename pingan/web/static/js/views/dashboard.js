// Dashboard: the force's indicators as charts; every number and every bar opens the cases behind it.
import { api, qs } from "../api.js";
import { t, tr, fmtTime, fmtNum } from "../i18n.js";
import { h, clear, table, pager, withProgress, stat } from "../ui.js";

const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#e377c2", "#7f7f7f", "#bcbd22"];
let chartLoading = null;

function loadChart() {
  if (window.Chart) return Promise.resolve();
  if (!chartLoading) {
    chartLoading = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = "/vendor/chart.js/chart.umd.min.js";
      s.onload = resolve;
      s.onerror = () => { chartLoading = null; reject(new Error(t("dash.no_chart"))); };
      document.head.append(s);
    });
  }
  return chartLoading;
}

const catLabel = (c) => tr("cat", c);

export async function render(root) {
  const period = h("select", { name: "period" }, [["28d", "dash.p28"], ["91d", "dash.p91"], ["365d", "dash.p365"]]
    .map(([v, k]) => h("option", { value: v, selected: v === "365d" }, t(k))));
  const weeks = h("select", { name: "weeks" }, ["13", "26", "52"].map((v) => h("option", { value: v, selected: v === "26" }, v)));
  const asOf = h("input", { type: "date", name: "as_of" });
  const form = h("form", { class: "form-row" }, h("label", {}, t("dash.period"), period), h("label", {}, t("dash.weeks"), weeks),
    h("label", {}, t("dash.as_of"), asOf), h("button", { type: "submit" }, t("dash.update")));
  const body = h("div", { id: "dashboard" });
  const records = h("div", { id: "kpi-records" });
  root.append(h("h2", {}, t("dash.title")), form, body, records);
  const charts = [];

  async function load() {
    for (const c of charts.splice(0)) c.destroy();
    clear(body); clear(records);
    const params = { period: period.value, weeks: weeks.value, as_of: asOf.value ? `${asOf.value}T23:59:59` : undefined };
    const [kpi] = await withProgress(body, t("state.loading"), () => Promise.all([api(`/api/kpi${qs(params)}`), loadChart()])) || [];
    if (!kpi) return;
    const ctx = { as_of: kpi.as_of, period: period.value };
    const open = (ref, title) => showRecords(ref, title, ctx);
    const all = kpi.year_on_year.find((y) => y.category === "all");
    const clearance = kpi.clearance_rate.all;
    const solve = kpi.median_days_to_solve.all;
    const per100 = kpi.cases_per_100_officers;
    body.append(h("p", { class: "muted" }, t("dash.window", { start: fmtTime(kpi.period.start), end: fmtTime(kpi.period.end) })));
    body.append(h("div", { class: "stats" },
      stat(t("dash.cases"), fmtNum(kpi.totals.cases.value), () => open(kpi.totals.cases.ref, t("dash.cases")), { "data-kpi": "cases" }),
      stat(t("dash.yoy"), all.change_pct === null ? "—" : `${all.change_pct > 0 ? "+" : ""}${fmtNum(all.change_pct, 1)}%`,
        () => open(all.previous.ref, t("dash.previous")), { "data-kpi": "yoy" }),
      stat(t("dash.clearance"), clearance.value === null ? "—" : `${fmtNum(clearance.value * 100, 1)}%`,
        () => open(clearance.ref, t("dash.solved")), { "data-kpi": "clearance" }),
      stat(t("dash.time_to_solve"), solve.value === null ? "—" : t("dash.days", { n: fmtNum(solve.value, 1) }),
        () => open(solve.ref, t("dash.time_to_solve")), { "data-kpi": "solve" }),
      stat(t("dash.per100"), per100.value === null ? "—" : fmtNum(per100.value, 1), () => open(per100.ref, t("dash.cases")), { "data-kpi": "per100" }),
      stat(t("dash.officers"), fmtNum(kpi.officers))));

    const grid = h("div", { class: "charts" });
    body.append(grid);
    const canvas = (id, title) => { const c = h("canvas", { id }); grid.append(h("div", { class: "chart" }, h("h3", {}, title), c)); return c; };
    const cats = kpi.categories;
    const clickable = (refs, title) => (evt, elements) => {
      if (!elements.length) return;
      const { datasetIndex, index } = elements[0];
      const ref = refs(datasetIndex, index);
      if (ref) open(ref.ref, title(datasetIndex, index));
    };
    // 1. cases by week and category (stacked)
    charts.push(new Chart(canvas("chart-weeks", t("dash.by_week")), {
      type: "bar",
      data: { labels: kpi.cases_by_week.map((w) => w.week.slice(5)),
              datasets: cats.map((c, i) => ({ label: catLabel(c), data: kpi.cases_by_week.map((w) => w.by_category[c].value), backgroundColor: COLOURS[i % COLOURS.length] })) },
      options: { animation: false, maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
                 onClick: clickable((d, i) => kpi.cases_by_week[i].by_category[cats[d]], (d, i) => `${kpi.cases_by_week[i].week} ${catLabel(cats[d])}`) },
    }));
    // 2. year on year by category
    const yoy = kpi.year_on_year.filter((y) => y.category !== "all");
    charts.push(new Chart(canvas("chart-yoy", t("dash.yoy_by_cat")), {
      type: "bar",
      data: { labels: yoy.map((y) => `${catLabel(y.category)} ${y.change_pct === null ? "" : (y.change_pct > 0 ? "+" : "") + y.change_pct + "%"}`),
              datasets: [{ label: t("dash.previous"), data: yoy.map((y) => y.previous.value), backgroundColor: "#a9b6c6" },
                         { label: t("dash.current"), data: yoy.map((y) => y.current.value), backgroundColor: "#1f5fbf" }] },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
                 onClick: clickable((d, i) => (d === 0 ? yoy[i].previous : yoy[i].current), (d, i) => `${catLabel(yoy[i].category)} ${d === 0 ? t("dash.previous") : t("dash.current")}`) },
    }));
    // 3. clearance rate by category
    const cr = cats.map((c) => kpi.clearance_rate[c]);
    charts.push(new Chart(canvas("chart-clearance", t("dash.clearance_by_cat")), {
      type: "bar",
      data: { labels: cats.map(catLabel), datasets: [{ label: t("dash.clearance"), data: cr.map((x) => (x.value === null ? 0 : Math.round(x.value * 1000) / 10)), backgroundColor: "#2e9d4f" }] },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true, max: 100, ticks: { callback: (v) => `${v}%` } } },
                 onClick: clickable((d, i) => cr[i], (d, i) => `${catLabel(cats[i])} ${t("dash.solved")}`) },
    }));
    // 4. median days to solve by category
    const ts = cats.map((c) => kpi.median_days_to_solve[c]);
    charts.push(new Chart(canvas("chart-solve", t("dash.solve_by_cat")), {
      type: "bar",
      data: { labels: cats.map(catLabel), datasets: [{ label: t("dash.time_to_solve"), data: ts.map((x) => (x.value === null ? 0 : Math.round(x.value * 10) / 10)), backgroundColor: "#9467bd" }] },
      options: { animation: false, maintainAspectRatio: false, indexAxis: "y", scales: { x: { beginAtZero: true } },
                 onClick: clickable((d, i) => ts[i], (d, i) => `${catLabel(cats[i])} ${t("dash.time_to_solve")}`) },
    }));
    body.dataset.loaded = "1";
  }

  async function showRecords(ref, title, ctx, offset = 0) {
    clear(records);
    const limit = 50;
    const res = await withProgress(records, t("state.loading"), () => api(`/api/kpi/records${qs({ ref, as_of: ctx.as_of, period: ctx.period, limit, offset })}`));
    if (!res) return;
    records.append(h("h3", {}, t("dash.records", { title, n: fmtNum(res.total) })),
      pager(res.total, limit, offset, (o) => showRecords(ref, title, ctx, o)),
      table([
        { label: t("case.id"), render: (c) => h("a", { class: "link", href: `#/case/${encodeURIComponent(c.case_id)}` }, c.case_id) },
        { label: t("case.category"), render: (c) => catLabel(c.category) }, { label: t("dash.reported"), render: (c) => fmtTime(c.reported_at || c.start) },
        { label: t("case.status"), render: (c) => tr("status", c.status) }, { label: t("dash.solved_at"), render: (c) => fmtTime(c.solved_at) },
      ], res.cases));
    records.scrollIntoView({ behavior: "instant", block: "start" });
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); load(); });
  await load();
  return () => { for (const c of charts) c.destroy(); };
}
