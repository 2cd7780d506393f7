// Maps drawn from pingan's own layers only: the county's roads, police grids and cameras (no tiles).
import { api } from "./api.js";

let base = null;

/** The base layers, fetched once per login. */
export function baseData() {
  if (!base) {
    base = Promise.all([api("/api/layers/roads"), api("/api/grids"), api("/api/cameras")])
      .then(([roads, grids, cams]) => {
        const cameras = cams.cameras;
        const byId = new Map(cameras.map((c) => [c.camera_id, c]));
        return { roads, grids, cameras, byId };
      })
      .catch((err) => { base = null; throw err; });
  }
  return base;
}

export function resetBase() { base = null; }

const ROAD_STYLE = {
  expressway: { color: "#e8a33d", weight: 4 }, national: { color: "#f0c05a", weight: 3.5 },
  provincial: { color: "#f3d07c", weight: 3 }, county: { color: "#b9c2cc", weight: 2.5 },
  camera_link: { color: "#c2cad3", weight: 2, dashArray: "2 4" },
};

function roadStyle(feature) {
  const cls = (feature.properties && feature.properties.road_class) || "";
  const known = Object.entries(ROAD_STYLE).find(([k]) => cls.includes(k));
  return { ...(known ? known[1] : { color: "#c9d0d8", weight: cls.startsWith("core") ? 1.5 : 1.8 }), opacity: 0.95 };
}

export const GRID_OUTLINE = { color: "#7b8794", weight: 1, dashArray: "4 3", fill: false };

/**
 * A Leaflet map in el with the base layers. opts.grids: a style function/object for the grids layer
 * (interactive when given), opts.cameras: false to leave cameras out.
 */
export async function makeMap(el, opts = {}) {
  const data = await baseData();
  const renderer = L.canvas({ padding: 0.3 });
  const map = L.map(el, { preferCanvas: true, attributionControl: false, zoomSnap: 0.25, renderer });
  const roads = L.geoJSON(data.roads, { style: roadStyle, interactive: false, renderer }).addTo(map);
  const grids = L.geoJSON(data.grids, {
    style: opts.gridStyle || GRID_OUTLINE, interactive: !!opts.onGrid, renderer: opts.onGrid ? L.svg() : renderer,
    onEachFeature: opts.onGrid ? (f, layer) => layer.on("click", () => opts.onGrid(f, layer)) : undefined,
  }).addTo(map);
  const cameras = L.layerGroup();
  if (opts.cameras !== false) {
    for (const c of data.cameras) {
      L.circleMarker([c.lat, c.lon], { radius: 2.5, color: "#5b6b80", weight: 1, fillColor: "#fff", fillOpacity: 1, renderer })
        .bindTooltip(`${c.camera_id}${c.name ? " " + c.name : ""}`).addTo(cameras);
    }
    cameras.addTo(map);
  }
  const bounds = L.latLngBounds([]);
  for (const c of data.cameras) bounds.extend([c.lat, c.lon]);
  if (grids.getLayers().length) bounds.extend(grids.getBounds());
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
  else map.setView([32.05, 118.8], 11);
  map.on("unload", () => {});
  return { map, data, renderer, layers: { roads, grids, cameras } };
}

/** Camera positions for reads, in time order: [[lat, lon], ...] (reads with unknown cameras skipped). */
export function readPoints(reads, byId) {
  const out = [];
  for (const r of reads) {
    const lat = r.lat ?? byId.get(r.camera_id)?.lat;
    const lon = r.lon ?? byId.get(r.camera_id)?.lon;
    if (lat !== undefined && lon !== undefined) out.push([lat, lon]);
  }
  return out;
}

/** A triangle marker for a scene. */
export function sceneMarker(lat, lon, label, opts = {}) {
  const icon = L.divIcon({
    className: "", iconSize: [18, 18], iconAnchor: [9, 12],
    html: `<svg width="18" height="18" viewBox="0 0 18 18"><path d="M9 1 L17 16 L1 16 Z" fill="${opts.color || "#c8102e"}" stroke="#fff" stroke-width="1.5"/></svg>`,
  });
  const m = L.marker([lat, lon], { icon, title: label, keyboard: false });
  if (label) m.bindTooltip(label, { permanent: !!opts.permanent, direction: "right", className: "case-label" });
  return m;
}

export const PALETTE = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];
