// Imports: upload a file with progress, follow the import, then the batches and the rows set aside.
import { api, qs, upload } from "../api.js";
import { t, fmtTime, fmtNum } from "../i18n.js";
import { h, clear, table, pager, withProgress, progress, errorNotice } from "../ui.js";

const KINDS = ["reads", "cameras", "watchlist", "cases", "grids", "officers", "disputes"];

export async function render(root) {
  const kind = h("select", { name: "kind" }, KINDS.map((k) => h("option", { value: k }, t("kind." + k))));
  const file = h("input", { type: "file", name: "file", accept: ".csv,.parquet,.geojson,.json,.tsv,.txt" });
  const go = h("button", { type: "submit" }, t("imports.upload"));
  const form = h("form", { class: "form-row", id: "import-form" }, h("label", {}, t("imports.kind"), kind), h("label", {}, t("imports.file"), file), go);
  const status = h("div", { id: "import-status" });
  const batches = h("div", { id: "import-batches" });
  const rows = h("div", { id: "import-rows" });
  root.append(h("h2", {}, t("imports.title")), h("p", { class: "muted" }, t("imports.help")), form, status, batches, rows);

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clear(status);
    const f = file.files[0];
    if (!f) { status.append(h("div", { class: "notice" }, t("imports.choose"))); return; }
    go.disabled = true;
    const p = progress(status, t("imports.uploading", { name: f.name }));
    try {
      let job = await upload(`/api/imports${qs({ kind: kind.value, filename: f.name })}`, f, (x) => p.set(x, t("imports.uploading_pct", { name: f.name, pct: Math.round(x * 100) })));
      p.label(t("imports.importing", { name: f.name }));
      while (job.state === "receiving" || job.state === "importing") {
        await new Promise((r) => setTimeout(r, 400));
        job = await api(`/api/imports/jobs/${job.job_id}`);
        if (job.progress !== null && job.progress !== undefined) p.set(job.progress, t("imports.importing_pct", { name: f.name, pct: Math.round(job.progress * 100) }));
      }
      p.done();
      if (job.state === "failed") status.append(errorNotice(job.error));
      else status.append(h("div", { class: "notice" }, t("imports.done", { name: f.name, s: job.seconds }), " ",
        job.report?.summary || JSON.stringify(job.report)));
      await loadBatches(0);
    } catch (err) {
      p.done();
      status.append(errorNotice(err));
    } finally {
      go.disabled = false;
    }
  });

  async function loadBatches(offset) {
    clear(batches);
    const res = await withProgress(batches, t("state.loading"), () => api(`/api/imports${qs({ limit: 20, offset })}`));
    if (!res) return;
    batches.append(h("h3", {}, t("imports.batches")), pager(res.total, 20, offset, loadBatches), table([
      { label: "#", key: "batch_id", num: true }, { label: t("imports.kind"), render: (b) => t("kind." + b.kind) },
      { label: t("imports.file"), key: "file" }, { label: t("imports.user"), key: "user" },
      { label: t("imports.when"), render: (b) => fmtTime(b.started) },
      { label: t("imports.accepted"), render: (b) => fmtNum(b.accepted), num: true },
      { label: t("imports.set_aside"), render: (b) => b.set_aside ? h("button", { class: "link", onclick: () => loadRows(b.batch_id, 0) }, fmtNum(b.set_aside)) : "0", num: true },
      { label: t("imports.already"), render: (b) => fmtNum(b.already_stored), num: true },
    ], res.batches));
  }

  async function loadRows(batch, offset) {
    clear(rows);
    const res = await withProgress(rows, t("state.loading"), () => api(`/api/imports/${batch}/set-aside${qs({ limit: 50, offset })}`));
    if (!res) return;
    rows.append(h("h3", {}, t("imports.rows_title", { batch, n: fmtNum(res.total) })), pager(res.total, 50, offset, (o) => loadRows(batch, o)),
      table([{ label: t("imports.row"), key: "row", num: true }, { label: t("imports.reason"), key: "reason" },
             { label: t("imports.values"), render: (r) => JSON.stringify(r.values) }], res.rows));
  }

  await loadBatches(0);
}
