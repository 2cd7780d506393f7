// What the views share: who is logged in, the purpose of the current work, the vehicle being looked at.
const listeners = [];

export const state = {
  user: null,
  role: null,
  purpose: sessionStorage.getItem("pingan.purpose") || "",
  authorisation: sessionStorage.getItem("pingan.authorisation") || "",
  vehicle: null, // {plate, start, end} — kept in memory, never in the URL
  collide: new Set(),
  setPurpose(p) {
    this.purpose = (p || "").trim();
    sessionStorage.setItem("pingan.purpose", this.purpose);
    for (const fn of listeners) fn(this.purpose);
  },
  onPurpose(fn) { listeners.push(fn); },
  setAuthorisation(ref) {
    this.authorisation = (ref || "").trim();
    sessionStorage.setItem("pingan.authorisation", this.authorisation);
  },
};
