// Jobs started from the page (print, verify, render, ddp verify, read the gear): live progress from the
// websocket, their results, and errors in the CLI's words.
import { h, fmtDb } from "/static/dom.js";

const NAMES = { print: "Print", verify: "Verify", render: "Render", ddp: "DDP verify", read: "Read the gear" };

function resultView(job, { openReport }) {
  const r = job.result;
  if (!r) return null;
  if (job.kind === "print") {
    return h("div", { class: "result" }, `printed revision ${r.revision} into ${r.print}`,
      h("button", { type: "button", class: "link", onclick: () => openReport(job.session, r.print) }, "Open report"),
      ...(r.notes || []).map((n) => h("div", { class: "note" }, `note: ${n}`)));
  }
  if (job.kind === "verify") {
    return h("div", { class: `result verify ${r.pass ? "pass" : "fail"}` },
      h("div", { class: "verdict" }, r.pass ? `PASS: the chain matches revision ${r.revision} as printed in ${r.print}` :
        `FAIL: the chain differs from revision ${r.revision} as printed in ${r.print}`),
      ...(r.pass ? [] : (r.summary || []).map((line) => h("div", { class: "line" }, line))),
      r.suspects && r.suspects.length ? h("div", { class: "suspects" }, h("div", {}, "most likely moved:"),
        ...r.suspects.map((s) => h("div", { class: "suspect" }, s.text))) : null);
  }
  if (job.kind === "render") {
    return h("div", { class: "result" }, `rendered revision ${r.revision}`,
      ...Object.entries(r.targets).map(([target, t]) => compliance(target, t.compliance)));
  }
  if (job.kind === "ddp") {
    return h("div", { class: `result ${r.ok ? "pass" : "fail"}` },
      `${r.level || "DDP"}: ${(r.tracks || []).length} tracks, total ${r.total || "?"}; ` +
      `${r.checksums_ok === false ? "CHECKSUMS DO NOT MATCH" : r.checksums_ok ? "checksums match" : "no CHECKSUM.MD5"}`,
      ...((r.problems || []).length ? r.problems.map((p) => h("div", { class: "line bad" }, `problem: ${p}`)) :
        [h("div", { class: "line" }, "no problems found")]));
  }
  if (job.kind === "read") return h("div", { class: "result" }, "read back from the gear: shown on the rack");
  return null;
}

export function compliance(target, c) {
  const errors = (c && c.errors) || [], warnings = (c && c.warnings) || [];
  return h("div", { class: `compliance ${errors.length ? "bad" : "ok"}`, dataset: { target } },
    h("span", { class: "target" }, target),
    errors.length ? `${errors.length} error(s)` : "compliant",
    warnings.length ? ` · ${warnings.length} warning(s)` : "",
    ...errors.concat(warnings).map((w) => h("div", { class: `line ${w.level === "error" ? "bad" : ""}` }, w.message)));
}

export function drawJobs(root, jobs, ctx) {
  const sorted = [...jobs].sort((a, b) => b.started_at - a.started_at).slice(0, 8);
  root.replaceChildren(...sorted.map((job) => h("div", {
    class: `job ${job.state}`, dataset: { job: job.id, kind: job.kind, state: job.state, fraction: job.fraction } },
  h("div", { class: "job-head" },
    h("span", { class: "job-kind" }, `${NAMES[job.kind] || job.kind}${job.params.revision ? ` r${job.params.revision}` : ""}`),
    h("span", { class: "job-state" }, job.state === "running" ? `${Math.round(job.fraction * 100)} %` : job.state)),
  h("div", { class: "bar" }, h("div", { class: "fill", style: `width:${(job.fraction * 100).toFixed(1)}%` })),
  job.state === "running" ? h("div", { class: "job-step" }, job.step) : null,
  job.error ? h("div", { class: "error-line" }, job.error) : null,
  resultView(job, ctx))));
}

export { fmtDb };
