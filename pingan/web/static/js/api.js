// One way to talk to the API: JSON in, JSON out, the one error shape turned into an ApiError.
export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

let onUnauthenticated = () => {};
export function setUnauthenticatedHandler(fn) { onUnauthenticated = fn; }

async function errorOf(res) {
  try {
    const body = await res.json();
    if (body && body.error) return new ApiError(res.status, body.error.code, body.error.message);
  } catch { /* not JSON */ }
  return new ApiError(res.status, "error", res.statusText || `HTTP ${res.status}`);
}

export async function api(path, { method = "GET", body, raw = false, signal } = {}) {
  const init = { method, credentials: "same-origin", signal, headers: {} };
  if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
  let res = await fetch(path, init);
  // The store admits one writer at a time: when two requests write together (the session's last-seen time,
  // the audit chain's next entry) one may be refused with a conflict. Its answer was withheld and its
  // audit entry not written: ask again.
  for (let attempt = 1; res.status === 500 && attempt <= 3; attempt += 1) {
    const err = await errorOf(res.clone());
    if (!/TransactionException|ConstraintException/.test(err.message)) break;
    await new Promise((r) => setTimeout(r, 40 * attempt));
    res = await fetch(path, init);
  }
  if (!res.ok) {
    const err = await errorOf(res);
    if (res.status === 401 && !path.endsWith("/login")) onUnauthenticated(err);
    throw err;
  }
  return raw ? res : res.json();
}

import { state } from "./state.js";

/** POST a JSON body; a supervisor's authorisation reference, when the analyst has one, goes with it. */
export const post = (path, body, opts = {}) => {
  const withRef = state.authorisation && body && !("authorisation" in body) ? { ...body, authorisation: state.authorisation } : body;
  return api(path, { ...opts, method: "POST", body: withRef });
};

/** Query string from an object, skipping empty values. */
export function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** Upload a file as the request body, reporting progress (0..1) as it goes. */
export function upload(path, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(xhr.status, body?.error?.code || "error", body?.error?.message || xhr.statusText));
    };
    xhr.onerror = () => reject(new ApiError(0, "network", "The upload failed (network)."));
    xhr.send(file);
  });
}
