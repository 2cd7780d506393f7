// Collision (串并): pick several cases on the map or the list, see the vehicles seen around k of them.
import { api, post, qs } from "../api.js";
import { t, tr, fmtTime, fmtNum } from "../i18n.js";
import { makeMap, readPoints, sceneMarker, PALETTE } from "../map.js";
import { h, clear, table, pager, scorebar, watchBadge, reasonsList, withProgress, stat } from "../ui.js";

const PAGE = 50;

export async function render(root, { state }) {
  const mapEl = h("div", { class: "map", id: "collide-map" });
  const side = h("div", { class: "pane" });
  root.append(h("div", { class: "split" }, mapEl, side));
  const { map, data } = await makeMap(mapEl);
  const caseLayer = L.layerGroup().addTo(map);
  const trackLayer = L.layerGroup().addTo(map);
  const selected = state.collide; // case id -> kept across visits
  const known = new Map();
  let offset = 0;

  side.append(h("h2", {}, t("collide.title")), h("p", { class: "muted" }, t("collide.help")));
  const chips = h("div", { id: "collide-selected", class: "legend" });
  const k = h("input", { type: "number", min: "1", value: "2", name: "min_cases" });
  const radius = h("input", { type: "number", min: "0.1", max: "50", step: "any", value: "5", name: "radius_km" });
  const pad = h("input", { value: "2h", size: "4", name: "pad" });
  const run = h("button", { type: "submit", id: "collide-run" }, t("collide.run"));
  const form = h("form", { class: "form-row" }, h("label", {}, t("collide.k"), k), h("label", {}, t("case.radius_km"), radius),
    h("label", {}, t("case.pad"), pad), run);
  const list = h("div", { id: "collide-cases" });
  const results = h("div", { id: "collide-results" });
  const detail = h("div", { id: "collide-detail" });
  side.append(chips, form, results, detail, h("h3", {}, t("collide.pick")), list);

  function refreshChips() {
    clear(chips);
    if (!selected.size) chips.append(h("span", { class: "muted" }, t("collide.none")));
    for (const id of selected) {
      chips.append(h("span", { class: "badge" }, id, " ", h("button", { class: "link", title: t("collide.remove"),
        onclick: () => toggle(id) }, "×")));
    }
    run.disabled = selected.size < 2;
    k.max = String(Math.max(2, selected.size));
    if (Number(k.value) > selected.size && selected.size >= 2) k.value = String(selected.size);
    drawCases();
    for (const box of list.querySelectorAll("input[type=checkbox]")) box.checked = selected.has(box.value);
  }

  function toggle(id) {
    if (selected.has(id)) selected.delete(id); else selected.add(id);
    refreshChips();
  }

  function drawCases() {
    caseLayer.clearLayers();
    for (const c of known.values()) {
      const on = selected.has(c.case_id);
      sceneMarker(c.lat, c.lon, `${c.case_id} ${tr("cat", c.category)}`, { color: on ? "#c8102e" : "#8795a8", permanent: on })
        .on("click", () => toggle(c.case_id)).addTo(caseLayer);
    }
  }

  async function loadCases() {
    clear(list);
    const page = await withProgress(list, t("state.loading"), () => api(`/api/cases${qs({ limit: PAGE, offset })}`));
    if (!page) return;
    for (const c of page.cases) known.set(c.case_id, c);
    list.append(pager(page.total, PAGE, offset, (o) => { offset = o; loadCases(); }));
    list.append(table([
      { label: "", render: (c) => h("input", { type: "checkbox", value: c.case_id, checked: selected.has(c.case_id),
        onchange: () => toggle(c.case_id), "aria-label": c.case_id }) },
      { label: t("case.id"), key: "case_id" }, { label: t("case.category"), render: (c) => tr("cat", c.category) },
      { label: t("case.start"), render: (c) => fmtTime(c.start) },
    ], page.cases, { rowAttrs: (c) => ({ "data-case": c.case_id }) }));
    refreshChips();
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clear(results); clear(detail); trackLayer.clearLayers();
    const ids = [...selected];
    const body = { case_ids: ids, min_cases: Number(k.value), radius_km: Number(radius.value), pad: pad.value,
                   purpose: state.purpose || ids.join(",") };
    const res = await withProgress(results, t("collide.running"), () => post("/api/collide", body));
    if (!res) return;
    results.append(h("div", { class: "stats" }, stat(t("collide.cases"), String(res.cases.length)),
      stat(t("collide.k"), String(res.min_cases)), stat(t("collide.vehicles"), fmtNum(res.vehicles.length))));
    results.append(table([
      { label: "#", key: "rank", num: true },
      { label: t("suspect.plate"), render: (v) => h("span", { class: "plate" }, v.plate) },
      { label: t("suspect.score"), render: (v) => scorebar(v.score) },
      { label: t("collide.cases"), render: (v) => v.cases.join(", ") },
      { label: t("suspect.watchlist"), render: (v) => watchBadge(v.watchlist) },
      { label: t("suspect.reasons"), render: (v) => reasonsList(v.reasons, 2) },
      { label: t("suspect.reads"), render: (v) => String(v.reads.length), num: true },
    ], res.vehicles, { onClick: (v) => show(v, res), rowAttrs: (v) => ({ "data-plate": v.plate }) }));
  });

  function show(v, res) {
    clear(detail); trackLayer.clearLayers();
    const caseColour = new Map(res.cases.map((id, i) => [id, PALETTE[i % PALETTE.length]]));
    detail.append(h("h3", {}, h("span", { class: "plate" }, v.plate), " ", watchBadge(v.watchlist)), reasonsList(v.reasons));
    for (const id of v.cases) {
      const reads = v.reads.filter((r) => r.case_id === id);
      const pts = readPoints(reads, data.byId);
      const colour = caseColour.get(id);
      if (pts.length > 1) L.polyline(pts, { color: colour, weight: 4, opacity: 0.85 }).addTo(trackLayer);
      pts.forEach((p, i) => L.circleMarker(p, { radius: 6, color: "#fff", weight: 2, fillColor: colour, fillOpacity: 1 })
        .bindTooltip(`${id}: ${reads[i].camera_id} ${fmtTime(reads[i].ts, true)}`).addTo(trackLayer));
    }
    detail.append(h("div", { class: "legend" }, v.cases.map((id) => h("span", {}, h("span", { class: "swatch", style: `background:${caseColour.get(id)}` }), id))));
    detail.append(table([
      { label: t("collide.case"), key: "case_id" }, { label: t("read.camera"), key: "camera_id" },
      { label: t("read.time"), render: (r) => fmtTime(r.ts, true) }, { label: t("read.raw"), render: (r) => r.plate_raw || r.plate },
    ], v.reads));
    detail.append(h("div", { class: "form-row" }, h("button", { class: "secondary", onclick: () => {
      state.vehicle = { plate: v.plate }; location.hash = "#/vehicle"; } }, t("suspect.open_vehicle"))));
    const b = trackLayer.getLayers().length ? L.featureGroup(trackLayer.getLayers()).getBounds() : null;
    if (b && b.isValid()) map.fitBounds(b, { padding: [30, 30], maxZoom: 15 });
  }

  // Cases already chosen on an earlier visit are drawn even when they are not on the first page.
  await Promise.all([...selected].map((id) => api(`/api/cases/${encodeURIComponent(id)}`).then((c) => known.set(c.case_id, c)).catch(() => selected.delete(id))));
  await loadCases();
  return () => map.remove();
}

