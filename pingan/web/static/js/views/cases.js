// Cases: the list (map and table, a page at a time) and the case view — the scene, the radius and its
// cameras, the ranked suspects with scores and reasons; a suspect's reads, trajectory and timeline; the report.
import { api, post, qs } from "../api.js";
import { t, tr, fmtTime, fmtNum } from "../i18n.js";
import { makeMap, readPoints, sceneMarker, PALETTE } from "../map.js";
import { h, clear, table, pager, scorebar, watchBadge, reasonsList, withProgress, kv, stat, errorNotice } from "../ui.js";
import { timeline } from "../timeline.js";

const PAGE = 50;

export async function renderList(root, { state }) {
  const mapEl = h("div", { class: "map", id: "cases-map" });
  const side = h("div", { class: "pane" });
  root.append(h("div", { class: "split" }, mapEl, side));
  side.append(h("h2", {}, t("cases.title")));
  const list = h("div", { id: "case-list" });
  side.append(list);
  const { map } = await makeMap(mapEl);
  const markers = L.layerGroup().addTo(map);
  let offset = Number(sessionStorage.getItem("pingan.cases.offset") || 0);

  async function load() {
    clear(list);
    const page = await withProgress(list, t("state.loading"), () => api(`/api/cases${qs({ limit: PAGE, offset })}`));
    if (!page) return;
    sessionStorage.setItem("pingan.cases.offset", String(offset));
    markers.clearLayers();
    for (const c of page.cases) {
      sceneMarker(c.lat, c.lon, `${c.case_id} ${tr("cat", c.category)}`).on("click", () => { location.hash = `#/case/${encodeURIComponent(c.case_id)}`; }).addTo(markers);
    }
    list.append(pager(page.total, PAGE, offset, (o) => { offset = o; load(); }));
    list.append(table([
      { label: t("case.id"), render: (c) => h("a", { href: `#/case/${encodeURIComponent(c.case_id)}`, class: "link" }, c.case_id) },
      { label: t("case.category"), render: (c) => tr("cat", c.category) },
      { label: t("case.start"), render: (c) => fmtTime(c.start) },
      { label: t("case.status"), render: (c) => tr("status", c.status) },
      { label: t("case.description"), key: "description" },
    ], page.cases, { onClick: (c) => { location.hash = `#/case/${encodeURIComponent(c.case_id)}`; },
                     rowAttrs: (c) => ({ "data-case": c.case_id }) }));
  }
  await load();
  return () => map.remove();
}

export async function renderCase(root, { args, state }) {
  const caseId = args[0];
  const mapEl = h("div", { class: "map", id: "case-map" });
  const side = h("div", { class: "pane", id: "case-pane" });
  root.append(h("div", { class: "split" }, mapEl, side));
  const [caseDoc, built] = await Promise.all([
    api(`/api/cases/${encodeURIComponent(caseId)}`).catch((err) => ({ error: err })),
    makeMap(mapEl),
  ]);
  const { map, data } = built;
  if (caseDoc.error) { side.append(errorNotice(caseDoc.error)); return () => map.remove(); }
  if (!state.purpose || /^[A-Z]*\d+$/.test(state.purpose)) state.setPurpose(caseId);

  side.append(
    h("h2", {}, `${t("case.title")} ${caseDoc.case_id}`),
    kv([[t("case.category"), tr("cat", caseDoc.category)], [t("case.window"), `${fmtTime(caseDoc.start)} — ${fmtTime(caseDoc.end)}`],
        [t("case.status"), tr("status", caseDoc.status)], [t("case.description"), caseDoc.description]]),
  );
  const radius = h("input", { type: "number", min: "0.1", max: "50", step: "any", value: "5", name: "radius_km" });
  const pad = h("input", { value: "2h", size: "4", name: "pad" });
  const top = h("input", { type: "number", min: "1", max: "1000", value: "50", name: "top" });
  const run = h("button", { type: "submit" }, t("case.run"));
  const form = h("form", { class: "form-row" },
    h("label", {}, t("case.radius_km"), radius), h("label", {}, t("case.pad"), pad), h("label", {}, t("case.top"), top), run);
  side.append(form);
  const results = h("div", { id: "suspects" });
  const detail = h("div", { id: "suspect-detail" });
  const reportHolder = h("div", { id: "report" });
  side.append(results, detail, reportHolder);

  const scene = sceneMarker(caseDoc.lat, caseDoc.lon, caseDoc.case_id, { permanent: true }).addTo(map);
  const areaLayer = L.layerGroup().addTo(map);
  const trackLayer = L.layerGroup().addTo(map);
  let result = null;

  async function rank(topValue) {
    clear(results); clear(detail); clear(reportHolder); trackLayer.clearLayers();
    const body = { case_id: caseId, radius_km: Number(radius.value), pad: pad.value, top: topValue === undefined ? Number(top.value) : topValue,
                   purpose: state.purpose || caseId };
    const started = performance.now();
    result = await withProgress(results, t("case.ranking"), () => post("/api/suspects", body));
    if (!result) return;
    const ms = performance.now() - started;
    areaLayer.clearLayers();
    L.circle([caseDoc.lat, caseDoc.lon], { radius: body.radius_km * 1000, color: "#1f5fbf", weight: 1.5, dashArray: "6 4", fillOpacity: 0.05 }).addTo(areaLayer);
    const inside = new Set(result.cameras);
    for (const id of inside) {
      const c = data.byId.get(id);
      if (c) L.circleMarker([c.lat, c.lon], { radius: 4.5, color: "#1f5fbf", weight: 1.5, fillColor: "#1f5fbf", fillOpacity: 0.85 })
        .bindTooltip(`${c.camera_id}${c.name ? " " + c.name : ""}`).addTo(areaLayer);
    }
    map.fitBounds(L.latLng(caseDoc.lat, caseDoc.lon).toBounds(body.radius_km * 2300), { padding: [10, 10] });
    scene.bringToFront?.();
    const showCams = () => {
      clear(detail);
      detail.append(h("h3", {}, t("case.cameras_in_radius")),
        table([{ label: t("read.camera"), key: "camera_id" }, { label: t("camera.name"), key: "name" }, { label: t("camera.road"), key: "road" }],
          result.cameras.map((id) => data.byId.get(id) || { camera_id: id })));
    };
    results.append(h("div", { class: "stats" },
      stat(t("case.window_padded"), `${fmtTime(result.window.start).slice(5)} — ${fmtTime(result.window.end).slice(11)}`, null, { class: "v small" }),
      stat(t("case.cameras"), fmtNum(result.cameras.length), showCams, { "data-count": "cameras" }),
      stat(t("case.vehicles_seen"), fmtNum(result.vehicles_seen),
        result.candidates.length < result.vehicles_seen ? () => { top.value = ""; rank(null); } : null, { "data-count": "vehicles" }),
      stat(t("case.took"), `${(ms / 1000).toFixed(2)} s`)));
    results.append(h("h3", {}, t("case.suspects", { n: result.candidates.length, total: result.vehicles_seen })));
    results.append(h("div", { class: "scroll-list" }, table([
      { label: "#", key: "rank", num: true },
      { label: t("suspect.plate"), render: (c) => h("span", { class: "plate" }, c.plate) },
      { label: t("suspect.score"), render: (c) => scorebar(c.score) },
      { label: t("suspect.watchlist"), render: (c) => watchBadge(c.watchlist) },
      { label: t("suspect.reasons"), render: (c) => reasonsList(c.reasons, 2) },
      { label: t("suspect.reads"), render: (c) => h("button", { class: "link", onclick: () => openSuspect(c) }, String(c.reads.length)), num: true },
    ], result.candidates, { onClick: (c) => openSuspect(c), rowAttrs: (c) => ({ "data-plate": c.plate, "data-rank": c.rank }) })));
    reportHolder.append(reportBox());
  }

  function reportBox() {
    const recipient = h("input", { name: "recipient", placeholder: t("report.recipient_ph"), size: "18" });
    const format = h("select", { name: "format" }, h("option", { value: "html" }, "HTML"), h("option", { value: "pdf" }, "PDF"));
    const out = h("div", { id: "report-out" });
    const go = h("button", { type: "submit", class: "secondary" }, t("report.export"));
    const f = h("form", { class: "form-row", id: "report-form" }, h("label", {}, t("report.recipient"), recipient),
      h("label", {}, t("report.format"), format), go);
    f.addEventListener("submit", async (e) => {
      e.preventDefault();
      clear(out);
      const res = await withProgress(out, t("report.making"), () => post("/api/reports/case", {
        case_id: caseId, recipient: recipient.value, format: format.value, radius_km: Number(radius.value), pad: pad.value,
        top: Math.min(Number(top.value) || 20, 50), purpose: state.purpose || caseId,
      }, { raw: true }));
      if (!res) return;
      const blob = await res.blob();
      const name = (res.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/)?.[1] || `report.${format.value}`;
      const url = URL.createObjectURL(blob);
      out.append(h("div", { class: "notice" }, t("report.ready", { seq: res.headers.get("X-Audit-Seq") }), " ",
        h("a", { href: url, download: name, class: "link", id: "report-link" }, name), " · ",
        h("a", { href: url, target: "_blank", rel: "noopener", class: "link" }, t("report.open"))));
    });
    return h("div", {}, h("h3", {}, t("report.title")), f, out);
  }

  async function openSuspect(c) {
    clear(detail); trackLayer.clearLayers();
    const colour = PALETTE[0];
    detail.append(h("h3", {}, h("span", { class: "plate" }, c.plate), " ", watchBadge(c.watchlist), " ", t("suspect.rank", { rank: c.rank })));
    detail.append(reasonsList(c.reasons));
    detail.append(h("h3", {}, t("suspect.timeline")), timeline(c.reads, result.window, result.offence_window));
    const pts = readPoints(c.reads, data.byId);
    detail.scrollIntoView({ block: "nearest" });
    if (pts.length) {
      L.polyline(pts, { color: colour, weight: 4, opacity: 0.85 }).addTo(trackLayer);
      c.reads.forEach((r, i) => {
        const p = pts[i];
        if (p) L.circleMarker(p, { radius: 6, color: "#fff", weight: 2, fillColor: colour, fillOpacity: 1 })
          .bindTooltip(`${i + 1}. ${r.camera_id} ${fmtTime(r.ts, true)}`).addTo(trackLayer);
      });
    }
    detail.append(h("h3", {}, t("suspect.reads_title", { n: c.reads.length })), readsTable(c.reads));
    const actions = h("div", { class: "form-row" },
      h("button", { class: "secondary", onclick: () => { state.vehicle = { plate: c.plate }; state.setPurpose(state.purpose || caseId); location.hash = "#/vehicle"; } }, t("suspect.open_vehicle")));
    detail.append(actions);
    // The trajectory around the case: a day either side of the window, from the trajectory tactic.
    const trajBox = h("div", { id: "trajectory" });
    detail.append(h("h3", {}, t("suspect.trajectory")), trajBox);
    const start = new Date(new Date(result.window.start).getTime() - 12 * 3600e3).toISOString();
    const end = new Date(new Date(result.window.end).getTime() + 12 * 3600e3).toISOString();
    const traj = await withProgress(trajBox, t("state.loading"), () => post("/api/tactics/trajectory",
      { plate: c.plate, start, end, purpose: state.purpose || caseId }));
    if (!traj) return;
    const tpts = readPoints(traj.reads, data.byId);
    if (tpts.length > 1) L.polyline(tpts, { color: "#6a3d9a", weight: 2.5, dashArray: "6 5", opacity: 0.9 }).addTo(trackLayer);
    trackLayer.eachLayer((l) => l.bringToFront && l.bringToFront());
    const bounds = L.latLng(caseDoc.lat, caseDoc.lon).toBounds(Number(radius.value) * 2000);
    for (const p of [...pts, ...tpts]) bounds.extend(p);
    map.fitBounds(bounds, { padding: [20, 20] });
    trajBox.dataset.loaded = "1";
    trajBox.append(h("div", { class: "muted" }, t("suspect.trajectory_note", { reads: traj.reads.length, trips: traj.trips.length })),
      reasonsList(traj.reasons || []),
      table([{ label: "#", key: "trip", num: true }, { label: t("trip.start"), render: (x) => fmtTime(x.start) },
             { label: t("trip.end"), render: (x) => fmtTime(x.end) }, { label: t("trip.reads"), key: "reads", num: true },
             { label: t("trip.route"), render: (x) => (x.cameras || []).join(" → ") }], traj.trips));
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); rank(); });
  await rank();
  return () => map.remove();
}

export function readsTable(reads) {
  return table([
    { label: "#", render: (r) => String(reads.indexOf(r) + 1), num: true },
    { label: t("read.camera"), key: "camera_id" },
    { label: t("read.time"), render: (r) => fmtTime(r.ts, true) },
    { label: t("read.raw"), render: (r) => r.plate_raw || r.plate },
    { label: t("read.confidence"), render: (r) => (r.confidence === null || r.confidence === undefined ? "—" : r.confidence.toFixed(2)), num: true },
  ], reads);
}
