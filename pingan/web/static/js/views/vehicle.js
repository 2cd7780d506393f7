// Vehicle: search a plate (partial plates too), replay its trajectory, its stay points, its companions and
// clone warnings. The plate stays in memory and in request bodies, never in the URL.
import { post } from "../api.js";
import { t, fmtTime, fmtNum } from "../i18n.js";
import { makeMap, readPoints, PALETTE } from "../map.js";
import { h, clear, table, scorebar, reasonsList, withProgress } from "../ui.js";
import { readsTable } from "./cases.js";

const PARTIAL = /[?*_%？＊＿％]/;

export async function render(root, { state }) {
  const mapEl = h("div", { class: "map", id: "vehicle-map" });
  const side = h("div", { class: "pane" });
  root.append(h("div", { class: "split" }, mapEl, side));
  const { map, data } = await makeMap(mapEl);
  const layers = { track: L.layerGroup().addTo(map), stays: L.layerGroup().addTo(map), extra: L.layerGroup().addTo(map) };
  let replayTimer = null;

  const plate = h("input", { name: "plate", placeholder: t("vehicle.plate_ph"), size: "14", value: state.vehicle?.plate || "" });
  const start = h("input", { type: "date", name: "start", value: state.vehicle?.start || "" });
  const end = h("input", { type: "date", name: "end", value: state.vehicle?.end || "" });
  const fuzzy = h("input", { type: "checkbox", name: "fuzzy" });
  const form = h("form", { class: "form-row", id: "vehicle-form" },
    h("label", {}, t("vehicle.plate"), plate), h("label", {}, t("vehicle.start"), start), h("label", {}, t("vehicle.end"), end),
    h("label", {}, t("vehicle.fuzzy"), fuzzy), h("button", { type: "submit" }, t("vehicle.search")));
  const results = h("div", { id: "vehicle-results" });
  const panel = h("div", { id: "vehicle-panel" });
  side.append(h("h2", {}, t("vehicle.title")), h("p", { class: "muted" }, t("vehicle.help")), form, results, panel);

  const period = () => ({ start: start.value ? `${start.value}T00:00` : undefined, end: end.value ? `${end.value}T23:59:59` : undefined });
  const purpose = () => state.purpose;

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clear(results); clear(panel); clearLayers();
    delete panel.dataset.loaded;
    const text = plate.value.trim();
    if (!text) return;
    state.vehicle = { plate: text, start: start.value, end: end.value };
    if (PARTIAL.test(text) || fuzzy.checked) await search(text); else await openVehicle(text);
  });

  function clearLayers() {
    if (replayTimer) { clearInterval(replayTimer); replayTimer = null; }
    for (const l of Object.values(layers)) l.clearLayers();
  }

  async function search(pattern) {
    const res = await withProgress(results, t("vehicle.searching"), () => post("/api/tactics/search",
      { pattern, fuzzy: fuzzy.checked, top: 200, purpose: purpose(), ...period() }));
    if (!res) return;
    results.append(h("div", { class: "muted" }, t("vehicle.matches", { n: fmtNum(res.plates_matching), pattern: res.normalised })));
    results.append(table([
      { label: "#", key: "rank", num: true },
      { label: t("suspect.plate"), render: (m) => h("span", { class: "plate" }, m.plate) },
      { label: t("vehicle.match"), render: (m) => h("span", { class: `badge ${m.match === "fuzzy" ? "fuzzy" : ""}` }, t("match." + m.match)) },
      { label: t("suspect.reads"), key: "reads", num: true }, { label: t("vehicle.cameras"), key: "cameras", num: true },
      { label: t("vehicle.first"), render: (m) => fmtTime(m.first_seen) }, { label: t("vehicle.last"), render: (m) => fmtTime(m.last_seen) },
    ], res.matches, { onClick: (m) => { plate.value = m.plate; state.vehicle = { ...state.vehicle, plate: m.plate }; openVehicle(m.plate); },
                      rowAttrs: (m) => ({ "data-plate": m.plate }) }));
  }

  async function openVehicle(p) {
    delete panel.dataset.loaded;
    clear(panel); clearLayers();
    panel.append(h("h3", {}, h("span", { class: "plate", id: "vehicle-plate" }, p)));
    const tabs = h("div", { class: "tabs" });
    const bodies = {};
    const names = ["trajectory", "stays", "companions", "cloned"];
    for (const name of names) {
      bodies[name] = h("div", { id: `tab-${name}`, hidden: name !== "trajectory" });
      tabs.append(h("button", { type: "button", class: name === "trajectory" ? "active" : "", "data-tab": name, onclick: (e) => {
        for (const b of tabs.children) b.classList.toggle("active", b === e.currentTarget);
        for (const [n, body] of Object.entries(bodies)) body.hidden = n !== name;
      } }, t("vehicle.tab." + name)));
    }
    panel.append(tabs, ...Object.values(bodies));
    const traj = await withProgress(bodies.trajectory, t("state.loading"), () => post("/api/tactics/trajectory",
      { plate: p, purpose: purpose(), ...period() }));
    const when = traj ? { start: traj.period.start, end: traj.period.end } : period();
    if (traj) showTrajectory(traj, bodies.trajectory);
    // The other tactics over the same period, one after the other (each is audited on its own).
    const stays = await withProgress(bodies.stays, t("state.loading"), () => post("/api/tactics/stay-points", { plate: p, purpose: purpose(), ...when }));
    if (stays) showStays(stays, bodies.stays);
    const comp = await withProgress(bodies.companions, t("state.loading"), () => post("/api/tactics/companions", { plate: p, purpose: purpose(), ...when }));
    if (comp) showCompanions(comp, bodies.companions);
    const clones = await withProgress(bodies.cloned, t("state.loading"), () => post("/api/tactics/cloned", { plates: [p], purpose: purpose(), ...when }));
    if (clones) showCloned(clones, bodies.cloned, tabs);
    panel.dataset.loaded = "1";
  }

  function showTrajectory(traj, box) {
    box.append(h("div", { class: "muted" }, traj.period.note || `${fmtTime(traj.period.start)} — ${fmtTime(traj.period.end)}`));
    box.append(reasonsList(traj.reasons || []));
    if (traj.variants && traj.variants.length) {
      box.append(h("div", { class: "notice" }, t("vehicle.variants"), " ", traj.variants.map((v) =>
        h("button", { class: "link", onclick: () => { plate.value = v.plate; openVehicle(v.plate); } }, `${v.plate} (${v.reads})`)).flatMap((b) => [b, " "])));
    }
    const reads = traj.reads;
    if (!reads.length) return;
    const pts = readPoints(reads, data.byId);
    const full = L.polyline(pts, { color: "#8c9aab", weight: 2, dashArray: "4 4" }).addTo(layers.track);
    const done = L.polyline([], { color: PALETTE[0], weight: 4 }).addTo(layers.track);
    const marker = L.circleMarker(pts[0], { radius: 8, color: "#fff", weight: 2, fillColor: PALETTE[0], fillOpacity: 1 }).addTo(layers.track);
    map.fitBounds(full.getBounds(), { padding: [30, 30], maxZoom: 15 });
    const slider = h("input", { type: "range", min: "0", max: String(reads.length - 1), value: "0", id: "replay-slider" });
    const label = h("span", { class: "muted", id: "replay-label" });
    const play = h("button", { type: "button", class: "secondary small", id: "replay-play" }, "▶");
    const step = (i) => {
      slider.value = String(i);
      done.setLatLngs(pts.slice(0, i + 1));
      marker.setLatLng(pts[i]);
      const r = reads[i];
      label.textContent = `${i + 1}/${reads.length} · ${fmtTime(r.ts, true)} · ${r.camera_id}${r.kmh ? ` · ${Math.round(r.kmh)} km/h` : ""}${r.impossible ? " ⚠" : ""}`;
    };
    slider.addEventListener("input", () => step(Number(slider.value)));
    play.addEventListener("click", () => {
      if (replayTimer) { clearInterval(replayTimer); replayTimer = null; play.textContent = "▶"; return; }
      play.textContent = "❚❚";
      let i = Number(slider.value) >= reads.length - 1 ? 0 : Number(slider.value);
      replayTimer = setInterval(() => {
        step(i); i += 1;
        if (i >= reads.length) { clearInterval(replayTimer); replayTimer = null; play.textContent = "▶"; }
      }, 350);
    });
    step(reads.length - 1);
    box.append(h("div", { class: "replay" }, play, slider), label);
    box.append(h("h3", {}, t("vehicle.trips", { n: traj.trips.length })), table([
      { label: "#", key: "trip", num: true }, { label: t("trip.start"), render: (x) => fmtTime(x.start) },
      { label: t("trip.end"), render: (x) => fmtTime(x.end) }, { label: t("trip.reads"), key: "reads", num: true },
      { label: t("trip.route"), render: (x) => (x.cameras || []).join(" → ") },
    ], traj.trips, { onClick: (trip) => {
      const idx = reads.map((r, i) => [r, i]).filter(([r]) => r.trip === trip.trip).map(([, i]) => i);
      const b = L.latLngBounds(idx.map((i) => pts[i]).filter(Boolean));
      if (b.isValid()) map.fitBounds(b, { padding: [40, 40], maxZoom: 16 });
      if (idx.length) step(idx[idx.length - 1]);
    } }));
    box.append(h("h3", {}, t("suspect.reads_title", { n: reads.length })), readsTable(reads));
  }

  function showStays(res, box) {
    box.append(reasonsList(res.reasons || []));
    res.points.forEach((p) => {
      L.circleMarker([p.lat, p.lon], { radius: 7 + Math.min(10, p.visits), color: "#2e9d4f", weight: 2, fillColor: "#2e9d4f", fillOpacity: 0.35 })
        .bindTooltip(`${t("stay.rank", { rank: p.rank })} · ${p.label || ""} · ${t("stay.visits", { n: p.visits })}`, { permanent: p.rank <= 3 })
        .addTo(layers.stays);
    });
    box.append(table([
      { label: "#", key: "rank", num: true }, { label: t("stay.label"), key: "label" },
      { label: t("stay.visits_h"), key: "visits", num: true }, { label: t("stay.hours"), render: (p) => fmtNum(p.dwell_hours, 1), num: true },
      { label: t("stay.overnights"), key: "overnights", num: true },
      { label: t("stay.arrive"), key: "typical_arrival" }, { label: t("stay.leave"), key: "typical_departure" },
      { label: t("suspect.reasons"), render: (p) => reasonsList(p.reasons || [], 1) },
    ], res.points, { onClick: (p) => map.setView([p.lat, p.lon], Math.max(map.getZoom(), 14)) }));
  }

  function showCompanions(res, box) {
    box.append(reasonsList(res.reasons || []));
    box.append(table([
      { label: "#", key: "rank", num: true }, { label: t("suspect.plate"), render: (c) => h("span", { class: "plate" }, c.plate) },
      { label: t("suspect.score"), render: (c) => scorebar(Math.min(1, c.score / 10)) },
      { label: t("companion.trips"), key: "trips", num: true }, { label: t("companion.cameras"), key: "cameras", num: true },
      { label: t("companion.co_reads"), key: "co_reads", num: true },
      { label: t("suspect.reasons"), render: (c) => reasonsList(c.reasons || [], 2) },
    ], res.companions, { onClick: (c) => {
      layers.extra.clearLayers();
      const pts = readPoints(c.reads || [], data.byId);
      pts.forEach((p) => L.circleMarker(p, { radius: 5, color: PALETTE[1], fillColor: PALETTE[1], fillOpacity: 0.9 }).addTo(layers.extra));
    }, rowAttrs: (c) => ({ "data-plate": c.plate }) }));
  }

  function showCloned(res, box, tabs) {
    if (!res.plates.length) { box.append(h("div", { class: "muted" }, t("cloned.none"))); return; }
    tabs.querySelector('[data-tab="cloned"]').append(" ⚠");
    for (const c of res.plates) {
      box.append(h("div", { class: "notice err", id: "clone-warning" }, h("b", {}, t("cloned.warning", { plate: c.plate })), reasonsList(c.reasons || [])));
      box.append(table([
        { label: t("cloned.a"), render: (e) => `${e.a.camera_id} ${fmtTime(e.a.ts, true)}` },
        { label: t("cloned.b"), render: (e) => `${e.b.camera_id} ${fmtTime(e.b.ts, true)}` },
        { label: "km", render: (e) => fmtNum(e.km, 1), num: true }, { label: t("cloned.minutes"), render: (e) => fmtNum(e.minutes, 1), num: true },
        { label: "km/h", render: (e) => fmtNum(e.kmh, 0), num: true },
      ], c.evidence, { onClick: (e) => {
        layers.extra.clearLayers();
        const pts = readPoints([e.a, e.b], data.byId);
        if (pts.length === 2) {
          L.polyline(pts, { color: "#d0312d", weight: 3, dashArray: "8 6" }).addTo(layers.extra);
          map.fitBounds(L.latLngBounds(pts), { padding: [50, 50] });
        }
      } }));
    }
  }

  if (state.vehicle?.plate && !PARTIAL.test(state.vehicle.plate)) await openVehicle(state.vehicle.plate);
  return () => { clearLayers(); map.remove(); };
}

