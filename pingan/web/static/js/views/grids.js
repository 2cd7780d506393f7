// Grids: police grids coloured red/yellow/green, a grid's history and why it changed, its officer and
// open disputes; a forecast heat layer over them.
import { api, qs } from "../api.js";
import { t, fmtTime, fmtNum } from "../i18n.js";
import { makeMap } from "../map.js";
import { h, clear, table, withProgress, kv, reasonsList } from "../ui.js";

const COLOURS = { red: "#d0312d", yellow: "#e0a800", green: "#2e9d4f" };

function gridStyle(feature) {
  const colour = COLOURS[feature.properties.colour] || "#8795a8";
  return { color: colour, weight: 2, fillColor: colour, fillOpacity: feature.properties.colour ? 0.35 : 0.08 };
}

export async function render(root, { state }) {
  const mapEl = h("div", { class: "map", id: "grid-map" });
  const side = h("div", { class: "pane" });
  root.append(h("div", { class: "split" }, mapEl, side));
  const detail = h("div", { id: "grid-detail" });
  let selectLayer = null;
  const { map, data, layers } = await makeMap(mapEl, {
    gridStyle, onGrid: (feature, layer) => openGrid(feature.properties.grid_id, layer),
  });
  layers.grids.eachLayer((layer) => layer.bindTooltip(`${layer.feature.properties.name || layer.feature.properties.grid_id}`, { sticky: true }));
  const disputeLayer = L.layerGroup().addTo(map);
  const heatLayer = L.layerGroup();

  side.append(h("h2", {}, t("grids.title")));
  const grading = data.grids.grading || { available: false };
  if (!grading.available) side.append(h("div", { class: "notice na", "data-state": "not-available", id: "grading-na" }, h("b", {}, t("state.na")), " ", grading.note || t("grids.no_grading")));
  side.append(h("div", { class: "legend" },
    ...["red", "yellow", "green"].map((c) => h("span", {}, h("span", { class: "swatch", style: `background:${COLOURS[c]}` }), t("grade." + c))),
    h("span", {}, h("span", { class: "swatch", style: "background:#8795a8" }), t("grade.none")),
    h("span", {}, h("span", { class: "swatch", style: "background:#ff7f0e" }), t("grids.disputes"))));

  // Forecast heat layer controls.
  const show = h("input", { type: "checkbox", id: "forecast-toggle" });
  const horizon = h("select", { name: "horizon" }, ["7d", "14d", "28d"].map((v) => h("option", { value: v }, v)));
  const cell = h("select", { name: "cell_m" }, ["250", "500", "1000"].map((v) => h("option", { value: v }, `${v} m`)));
  const fcOut = h("div", { id: "forecast-out" });
  side.append(h("div", { class: "form-row" }, h("label", {}, t("grids.forecast"), show), h("label", {}, t("grids.horizon"), horizon),
    h("label", {}, t("grids.cell"), cell)), fcOut);

  async function loadForecast() {
    heatLayer.clearLayers(); clear(fcOut);
    if (!show.checked) { map.removeLayer(heatLayer); return; }
    const fc = await withProgress(fcOut, t("grids.forecasting"), () => api(`/api/forecast${qs({ horizon: horizon.value, cell_m: cell.value, top: 400 })}`));
    if (!fc) { show.checked = false; return; }
    const max = fc.max_score || 1;
    for (const c of fc.cells) {
      const [x0, y0, x1, y1] = c.bbox;
      const a = Math.min(1, c.score / max);
      L.rectangle([[y0, x0], [y1, x1]], { stroke: false, fillColor: a > 0.66 ? "#b10026" : a > 0.33 ? "#fc4e2a" : "#feb24c", fillOpacity: 0.15 + 0.6 * a, interactive: true })
        .bindTooltip(`#${c.rank} ${c.cell_id}: ${fmtNum(c.score, 3)}`).addTo(heatLayer);
    }
    heatLayer.addTo(map);
    fcOut.append(h("div", { class: "muted", id: "forecast-note" }, t("grids.forecast_note", { n: fc.cells.length, total: fc.study_cells, model: fc.model, as_of: fmtTime(fc.as_of_local) })));
  }
  for (const el of [show, horizon, cell]) el.addEventListener("change", loadForecast);

  const list = h("div", { id: "grid-list" });
  side.append(list, detail);
  const rows = data.grids.features.map((f) => f.properties);
  list.append(table([
    { label: t("grids.grid"), render: (g) => `${g.grid_id} ${g.name || ""}` },
    { label: t("grids.grade"), render: (g) => g.colour ? h("span", { class: `badge ${g.colour}` }, t("grade." + g.colour)) : h("span", { class: "muted" }, "—") },
    { label: t("grids.score"), render: (g) => fmtNum(g.score, 2), num: true },
    { label: t("grids.officer"), render: (g) => g.officer_name || g.officer_id || "—" },
    { label: t("grids.open_disputes"), key: "open_disputes", num: true },
  ], rows, { onClick: (g) => openGrid(g.grid_id), rowAttrs: (g) => ({ "data-grid": g.grid_id }) }));

  const disputes = await api(`/api/disputes${qs({ status: "unresolved", limit: 1000 })}`).catch(() => null);
  if (disputes) {
    for (const d of disputes.disputes) {
      L.circleMarker([d.lat, d.lon], { radius: 5, color: "#fff", weight: 1, fillColor: "#ff7f0e", fillOpacity: 1 })
        .bindTooltip(`${d.dispute_id} ${t("dispute.level." + d.level)} · ${t("dispute.status." + d.status)}`).addTo(disputeLayer);
    }
  }

  async function openGrid(gridId, layer) {
    clear(detail);
    if (selectLayer) layers.grids.resetStyle(selectLayer);
    selectLayer = layer || layers.grids.getLayers().find((l) => l.feature.properties.grid_id === gridId);
    if (selectLayer) {
      selectLayer.setStyle({ weight: 4, color: "#14263d" });
      if (!map.getBounds().contains(selectLayer.getBounds())) map.fitBounds(selectLayer.getBounds(), { padding: [40, 40] });
    }
    const g = await withProgress(detail, t("state.loading"), () => api(`/api/grids/${encodeURIComponent(gridId)}`));
    if (!g) return;
    detail.dataset.grid = gridId;
    detail.append(h("h3", {}, `${g.grid.grid_id} ${g.grid.name || ""}`), kv([
      [t("grids.level"), t("level." + g.grid.level)], [t("grids.population"), fmtNum(g.grid.population)],
      [t("grids.officer"), g.officer ? `${g.officer.name} (${g.officer.officer_id})` : "—"],
      [t("grids.parent"), g.grid.parent_id],
    ]));
    detail.append(h("h3", {}, t("grids.history")));
    if (!g.grading.available) detail.append(h("div", { class: "notice na", "data-state": "not-available" }, h("b", {}, t("state.na")), " ", g.grading.note));
    else detail.append(table([
      { label: t("grids.week"), render: (x) => fmtTime(x.as_of || x.week || x.at || "").slice(0, 10) },
      { label: t("grids.grade"), render: (x) => x.colour ? h("span", { class: `badge ${x.colour}` }, t("grade." + x.colour)) : "—" },
      { label: t("grids.score"), render: (x) => fmtNum(x.score, 2), num: true },
      { label: t("grids.why"), render: (x) => reasonsList(x.reasons || (x.reason ? [x.reason] : []), 3) },
    ], [...g.history].reverse()));
    detail.append(h("h3", {}, t("grids.open_disputes_n", { n: g.open_disputes.length })), table([
      { label: t("dispute.id"), key: "dispute_id" }, { label: t("dispute.level"), render: (d) => t("dispute.level." + d.level) },
      { label: t("dispute.status"), render: (d) => t("dispute.status." + d.status) }, { label: t("dispute.opened"), render: (d) => fmtTime(d.opened_at) },
      { label: t("dispute.description"), key: "description" },
    ], g.open_disputes));
  }
  return () => map.remove();
}
