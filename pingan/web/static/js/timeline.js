// A timeline of reads: the query window across, the offence window shaded, one lane per camera.
import { fmtTime } from "./i18n.js";

const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

export function timeline(reads, window, offence, opts = {}) {
  const W = 600, H = opts.height || 90, left = 54, right = 10, top = 8, bottom = 20;
  const t0 = new Date(window.start).getTime(), t1 = new Date(window.end).getTime();
  const x = (ts) => left + ((new Date(ts).getTime() - t0) / Math.max(1, t1 - t0)) * (W - left - right);
  const cams = [...new Set(reads.map((r) => r.camera_id))];
  const lane = (H - top - bottom) / Math.max(1, cams.length);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "timeline", role: "img", "data-reads": reads.length });
  if (offence) {
    const a = Math.max(left, x(offence.start)), b = Math.min(W - right, x(offence.end));
    root.append(svg("rect", { x: a, y: top, width: Math.max(1, b - a), height: H - top - bottom, fill: "#fde3e2" }));
  }
  // hour ticks
  const step = (t1 - t0) > 36 * 3600e3 ? 6 * 3600e3 : (t1 - t0) > 12 * 3600e3 ? 3 * 3600e3 : 3600e3;
  const m = /([+-])(\d\d):(\d\d)$/.exec(window.start || "");
  const off = m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60e3 : 0; // the deployment's offset
  for (let tt = Math.ceil((t0 + off) / step) * step - off; tt <= t1; tt += step) {
    const px = x(tt);
    root.append(svg("line", { x1: px, x2: px, y1: top, y2: H - bottom, stroke: "#e3e7ec" }));
    const label = new Date(tt + off).toISOString().slice(11, 16);
    root.append(svg("text", { x: px, y: H - 6, "font-size": 10, "text-anchor": "middle", fill: "#5f6b7a" }, label));
  }
  cams.forEach((cam, i) => {
    const y = top + lane * (i + 0.5);
    root.append(svg("text", { x: 4, y: y + 3, "font-size": 10, fill: "#333" }, cam));
    root.append(svg("line", { x1: left, x2: W - right, y1: y, y2: y, stroke: "#f0f2f5" }));
  });
  reads.forEach((r, i) => {
    const y = top + lane * (cams.indexOf(r.camera_id) + 0.5);
    const dot = svg("circle", { cx: x(r.ts), cy: y, r: 4.5, fill: opts.colour || "#d62728", stroke: "#fff", "stroke-width": 1 });
    dot.append(svg("title", {}, `${i + 1}. ${r.camera_id} ${fmtTime(r.ts, true)}`));
    root.append(dot);
  });
  return root;
}
