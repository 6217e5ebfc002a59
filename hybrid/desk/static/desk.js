// The desk page: the session this server was given, drawn from the same library views the CLI uses;
// live state (jobs, the listening engine) over a websocket. What the page keeps of its own (moved
// but uncommitted controls, ticks on a recall sheet) is kept in localStorage so a reload loses nothing.
import { get, post, live, withToken } from "/static/api.js";
import { h, fmtDb } from "/static/dom.js";
import { drawRack, refreshRack, markingOf, same } from "/static/rack.js";
import { drawTimeline } from "/static/timeline.js";
import { drawJobs, compliance } from "/static/jobs.js";
import { Waveform } from "/static/waveform.js";
import { Player } from "/static/player.js";

const $ = (id) => document.getElementById(id);
const state = {
  desk: null, sid: null, session: null, viewed: null, rack: [], track: 0, overviews: new Map(),
  jobs: new Map(), readBack: {}, engine: { available: false }, verified: new Map(), waitingReport: null,
};

// ---- what the page keeps across a reload
function key(kind) { return `hybrid-desk:${state.session.folder}:${kind}`; }
function loadKept(kind, fallback) {
  try { return JSON.parse(localStorage.getItem(key(kind))) ?? fallback; } catch { return fallback; }
}
function keep(kind, value) { localStorage.setItem(key(kind), JSON.stringify(value)); }

function pending() {
  if (player.on && state.engine.revision === state.session.latest) return state.engine.moved;
  return loadKept(`pending:r${state.session.latest}`, {});
}
function setPending(moves) { keep(`pending:r${state.session.latest}`, moves); }

function status(text, kind = "") {
  const el = $("status");
  el.textContent = text;
  el.className = `status ${kind}`;
}

// ---- the rack
function committedValue(unit, param) {
  const u = state.rack.find((x) => x.name === unit);
  return u ? u.values[param] : undefined;
}

const rackContext = {
  current(unit, param) {
    const moves = state.viewed === state.session.latest ? pending() : {};
    return moves[unit] && param in moves[unit] ? moves[unit][param] : committedValue(unit, param);
  },
  committed: committedValue,
  readBack(unit, param) {
    const source = player.on ? state.engine.panels : state.readBack;
    if (!(unit in source)) return undefined;
    return source[unit] === null ? null : source[unit][param];
  },
  move(unit, param, value) {
    if (state.viewed !== state.session.latest) {
      status(`revision ${state.viewed} is history: moves start from the latest (r${state.session.latest})`, "error");
      return;
    }
    const moves = loadKept(`pending:r${state.session.latest}`, {});
    if (same(value, committedValue(unit, param))) {
      if (moves[unit]) delete moves[unit][param];
      if (moves[unit] && !Object.keys(moves[unit]).length) delete moves[unit];
    } else {
      (moves[unit] ||= {})[param] = value;
    }
    setPending(moves);
    if (player.on) {
      // optimistic: drawn at once, then the engine's read-back (and state) redraws it
      (state.engine.moved[unit] ||= {})[param] = value;
      player.controlMoved(unit, param, value).then(() => { refreshRackNow(); drawCommitBar(); });
    }
    refreshRackNow();
    drawCommitBar();
  },
  ticks(unit) { return new Set(loadKept(`ticks:r${state.viewed}:${unit}`, [])); },
  tick(unit, param, on) {
    const ticks = this.ticks(unit);
    if (on) ticks.add(param); else ticks.delete(param);
    keep(`ticks:r${state.viewed}:${unit}`, [...ticks]);
    drawRackNow();
    drawActions();
  },
};

// After a move or a read-back: only the controls that changed are drawn again.
function refreshRackNow() {
  refreshRack($("rack"), state.rack, rackContext);
}

function drawRackNow() {
  $("rack-revision").textContent = state.viewed === state.session.latest ? `r${state.viewed} (latest)` : `r${state.viewed} (history)`;
  drawRack($("rack"), state.rack, rackContext);
}

function moveWords() {
  const words = [], shown = [];
  for (const [unit, params] of Object.entries(pending())) {
    const u = state.rack.find((x) => x.name === unit);
    for (const [param, value] of Object.entries(params)) {
      words.push(`${unit}.${param}=${value}`);
      const control = u && u.controls.find((c) => c.name === param);
      shown.push(control ? `${unit}.${param}: ${markingOf(control, committedValue(unit, param))} -> ${markingOf(control, value)}` : `${unit}.${param}=${value}`);
    }
  }
  return { words, shown };
}

function drawCommitBar() {
  const bar = $("commit-bar");
  const sheet = player.on ? state.engine.pending_sheet : "";
  // drawn again only when what it says changes (the engine's state comes ten times a second)
  const key = JSON.stringify([moveWords().shown, sheet || ""]);
  if (bar.dataset.key === key) return;
  bar.dataset.key = key;
  if (sheet) {
    // a manual unit's control moved: the engine waits for the engineer to turn it by hand
    bar.replaceChildren(h("div", { class: "moves" }, h("strong", {}, "Set by hand, then confirm:"), h("pre", { class: "sheet-text" }, sheet)),
      h("div", { class: "buttons" }, h("button", { type: "button", class: "primary", id: "confirm-sheet",
        onclick: async () => { await player.call("confirm"); refreshRackNow(); drawCommitBar(); } }, "Turned it: confirm")));
    return;
  }
  const { words, shown } = moveWords();
  if (!words.length) {
    bar.replaceChildren(h("span", { class: "dim" }, "No moves since the revision. Turn a control to audition it; commit writes a revision."));
    return;
  }
  bar.replaceChildren(
    h("div", { class: "moves" }, h("strong", {}, `${words.length} control${words.length > 1 ? "s" : ""} moved, not committed`),
      h("ul", {}, ...shown.map((t) => h("li", {}, t)))),
    h("div", { class: "buttons" },
      h("button", { type: "button", id: "revert-button", onclick: revert }, "Revert"),
      h("button", { type: "button", class: "primary", id: "commit-open", onclick: openCommit }, "Commit…")));
}

async function revert() {
  const back = {};
  for (const [unit, params] of Object.entries(pending())) {
    for (const param of Object.keys(params)) (back[unit] ||= {})[param] = committedValue(unit, param);
  }
  setPending({});
  await player.revert(back);
  drawRackNow();
  drawCommitBar();
}

function openCommit() {
  const dialog = $("commit-dialog");
  const { shown } = moveWords();
  $("commit-changes").replaceChildren(...shown.map((t) => h("li", {}, t)));
  $("commit-error").textContent = "";
  $("commit-track-label").textContent = `only track ${state.track + 1} (${state.session.tracks[state.track].title})`;
  dialog.showModal();
  $("commit-note").focus();
}

async function submitCommit(event) {
  event.preventDefault();
  const note = $("commit-note").value.trim();
  if (!note) { $("commit-error").textContent = "a revision needs a note: the client's words"; return; }
  const body = { note, settings: moveWords().words };
  if ($("commit-track").checked) body.track = state.session.tracks[state.track].id;
  try {
    // listening: the engine writes what it moved on the gear; else the page's moves (both: set_revision)
    const made = player.on ? (await post("/api/listen/commit", { note, for_track: Boolean(body.track) })).result :
      await post(`/api/sessions/${state.sid}/commit`, body);
    setPending({});
    $("commit-dialog").close();
    $("commit-note").value = "";
    await loadSession(state.sid, made.revision);
    status(`revision ${made.revision} written (from ${made.parent})${made.notes.length ? `; ${made.notes.join("; ")}` : ""}`, "ok");
  } catch (error) {
    $("commit-error").textContent = error.message;
  }
}

// ---- tracks
function trackRow(t, i) {
  const o = state.overviews.get(t.id);
  const loud = o && o.loudness;
  const findings = o ? o.findings.filter((f) => f.severity !== "info") : [];
  const canvas = h("canvas", { class: "mini-wave" });
  const row = h("li", {
    class: `track${i === state.track ? " selected" : ""}`, dataset: { track: t.id }, tabindex: 0,
    onclick: () => selectTrack(i),
  },
  h("div", { class: "track-head" }, h("span", { class: "track-no" }, String(t.position).padStart(2, "0")),
    h("span", { class: "track-title" }, t.title),
    h("span", { class: "track-dur" }, o ? `${Math.floor(o.duration_s / 60)}:${String(Math.round(o.duration_s % 60)).padStart(2, "0")}` : "")),
  canvas,
  h("div", { class: "track-figures" },
    o ? [h("span", { title: "integrated loudness (BS.1770)" }, `${fmtDb(loud.integrated_lufs)} LUFS`),
      h("span", { title: "true peak" }, `${fmtDb(loud.true_peak_dbtp, 2)} dBTP`),
      h("span", { title: "loudness range" }, `LRA ${loud.lra_lu === null ? "–" : loud.lra_lu.toFixed(1)} LU`)] :
      h("span", { class: "dim" }, "measuring…")),
  o ? h("div", { class: `qc ${o.ready ? "ready" : "revise"}`, title: o.verdict },
    findings.length ? findings.map((f) => h("div", { class: `finding ${f.severity}` }, f.message)) :
      h("div", { class: "finding ok" }, o.verdict)) : null);
  if (o) requestAnimationFrame(() => new Waveform(canvas).set(o.waveform, o.duration_s));
  return row;
}

function drawTracks() {
  $("tracks").replaceChildren(...state.session.tracks.map(trackRow));
}

function selectTrack(i) {
  state.track = i;
  drawTracks();
  player.setTrack(state.session.tracks[i], state.overviews.get(state.session.tracks[i].id));
}

async function measureTracks() {
  for (const t of state.session.tracks) {
    if (state.overviews.has(t.id)) continue;
    try {
      state.overviews.set(t.id, await get(`/api/sessions/${state.sid}/tracks/${encodeURIComponent(t.id)}/overview`));
    } catch (error) {
      state.overviews.set(t.id, { error: error.message, loudness: {}, findings: [], waveform: [], duration_s: 0 });
    }
    drawTracks();
    if (state.session.tracks[state.track].id === t.id) selectTrack(state.track);
  }
}

// ---- jobs and prints
function hasPrint(revision) {
  const r = state.session.revisions.find((x) => x.number === revision);
  return r && r.prints.length > 0;
}

function sheetsDone() {
  const missing = state.rack.filter((u) => u.manual && u.sheet && !u.sheet.every((row) => rackContext.ticks(u.name).has(row.parameter)));
  return missing.map((u) => u.name);
}

async function startJob(body, errorEl) {
  errorEl.textContent = "";
  try {
    const job = await post(`/api/sessions/${state.sid}/jobs`, body);
    state.jobs.set(job.id, job);
    drawJobsNow();
    return job;
  } catch (error) {
    errorEl.textContent = error.message;
    return null;
  }
}

function drawActions() {
  const r = state.viewed;
  const err = h("div", { class: "error-line", id: "action-error" });
  const missing = sheetsDone();
  const onlyTrack = h("input", { type: "checkbox", id: "print-one-track" });
  const printButton = h("button", {
    type: "button", class: "primary", id: "print-button", disabled: missing.length ? true : null,
    title: missing.length ? `tick every control of ${missing.join(", ")}'s recall sheet first (set by hand)` : "",
    onclick: async () => {
      const body = { kind: "print", revision: r, confirmed_units: state.rack.filter((u) => u.manual).map((u) => u.name) };
      if (onlyTrack.checked) body.tracks = [state.session.tracks[state.track].id];
      const job = await startJob(body, err);
      if (job) state.waitingReport = job.id;
    },
  }, `Print r${r}`);
  const verifyButton = h("button", {
    type: "button", id: "verify-button", disabled: hasPrint(r) ? null : true,
    title: hasPrint(r) ? "measure the chain now and compare with this revision's print" : `revision ${r} has no print to compare with`,
    onclick: () => startJob({ kind: "verify", revision: r }, err),
  }, `Verify r${r}`);
  const renderButton = h("button", {
    type: "button", id: "render-button", disabled: hasPrint(r) ? null : true,
    onclick: () => startJob({ kind: "render", revision: r }, err),
  }, `Render r${r}`);
  const readButton = h("button", { type: "button", id: "read-button", onclick: () => startJob({ kind: "read" }, err) }, "Read the gear");
  $("actions").replaceChildren(
    h("div", { class: "buttons" }, printButton, verifyButton, renderButton, readButton),
    h("label", { class: "opt" }, onlyTrack, ` print only track ${state.track + 1}`),
    h("div", { class: "hint" }, missing.length ? `Print and Listen wait for the recall sheet of ${missing.join(", ")}: tick each control once it is set by hand.` : ""),
    err);
}

function openReport(sid, name) {
  $("report-frame").src = withToken(`/api/sessions/${sid}/prints/${encodeURIComponent(name)}/report.html`);
  $("report-title").textContent = `Report: ${name}`;
  $("report-dialog").showModal();
}

function drawJobsNow() {
  drawJobs($("jobs"), [...state.jobs.values()].filter((j) => j.session === state.sid), { openReport });
}

function drawPrints() {
  const prints = [...state.session.prints].reverse();
  if (!prints.length) { $("prints").replaceChildren(h("div", { class: "dim" }, "No prints yet.")); return; }
  const rendered = [...(state.session.renders || [])].reverse().map((r) => h("div", { class: "print render", dataset: { render: r.name } },
    h("div", { class: "print-head" }, h("span", { class: "print-name" }, `render ${r.name}`),
      h("span", { class: r.current ? "dim" : "bad-text" }, r.current ? "deliverables/, current" : "STALE: render again")),
    ...r.stale.map((why) => h("div", { class: "line bad" }, why)),
    ...r.manifest_problems.map((why) => h("div", { class: "line bad" }, `manifest: ${why}`)),
    ...Object.entries(r.deliverables).map(([target, d]) => compliance(target, d.compliance))));
  $("prints").replaceChildren(...rendered, ...prints.map((p) => {
    const err = h("div", { class: "error-line" });
    return h("div", { class: "print", dataset: { print: p.name } },
      h("div", { class: "print-head" }, h("span", { class: "print-name" }, p.name),
        h("span", { class: "dim" }, `${p.tracks.length} track${p.tracks.length === 1 ? "" : "s"}`),
        p.report ? h("button", { type: "button", class: "link", onclick: () => openReport(state.sid, p.name) }, "Report") : null,
        p.deliverables.cd && p.deliverables.cd.ddp ? h("button", { type: "button", class: "link",
          onclick: () => startJob({ kind: "ddp", print_name: p.name }, err) }, "DDP verify") : null),
      ...Object.entries(p.deliverables).map(([target, d]) => compliance(target, d.compliance)),
      err);
  }));
}

// ---- the session
async function viewRevision(number) {
  state.viewed = number;
  state.rack = await get(`/api/sessions/${state.sid}/rack?revision=${number}`);
  drawTimeline($("timeline"), state.session, { viewed: state.viewed, verified: state.verified, onPick: viewRevision });
  drawRackNow();
  drawCommitBar();
  drawActions();
}

async function loadSession(sid, view = null) {
  state.sid = sid;
  state.session = await get(`/api/sessions/${sid}`);
  const s = state.session;
  $("album").replaceChildren(h("strong", {}, s.title), ` · ${s.artist || "no artist"} · rig ${s.rig} · ${s.tracks.length} tracks · targets ${s.targets.join(", ")}`);
  document.title = `${s.title}: hybrid desk`;
  state.track = Math.min(state.track, s.tracks.length - 1);
  drawTracks();
  drawPrints();
  await viewRevision(view ?? (state.viewed && state.viewed <= s.latest ? state.viewed : s.latest));
  player.setSession(s, state.sid);
  selectTrack(state.track);
  measureTracks();
}

function onEvent(event) {
  if (event.type === "hello") {
    status("connected", "ok");
    for (const job of event.jobs) state.jobs.set(job.id, job);
    state.engine = event.engine;
    player.engineState(event.engine);
    drawJobsNow();
  } else if (event.type === "job") {
    const job = event.job;
    state.jobs.set(job.id, job);
    if (job.state !== "running") {
      if (job.kind === "verify" && job.result) state.verified.set(job.result.revision, job.result);
      if (job.kind === "read" && job.result) { state.readBack = job.result; drawRackNow(); }
      if (job.kind === "print" && job.state === "done" && state.waitingReport === job.id) {
        state.waitingReport = null;
        openReport(job.session, job.result.print);
      }
    }
    drawJobsNow();
    if (job.kind === "verify" && job.state !== "running") drawTimeline($("timeline"), state.session, { viewed: state.viewed, verified: state.verified, onPick: viewRevision });
  } else if (event.type === "session" && event.session === state.sid) {
    loadSession(state.sid).catch((e) => status(e.message, "error"));
  } else if (event.type === "engine") {
    const was = player.on;
    player.engineState(event.engine); // sets state.engine (onEngine)
    if (state.session && (!was || !sameMoves(event.engine.moved, lastMoved) || (event.engine.pending_sheet || "") !== lastSheet)) {
      refreshRackNow();
      drawCommitBar();
    }
    lastSheet = player.on ? event.engine.pending_sheet || "" : "";
    lastMoved = player.on ? JSON.stringify(event.engine.moved) + JSON.stringify(event.engine.panels) : "";
    if (!was && player.on) replayMoves();
  } else if (event.type === "offline") {
    status("server not reachable: reconnecting", "error");
  }
}

let lastMoved = "";
let lastSheet = "";
function sameMoves(moved, last) { return JSON.stringify(moved) + JSON.stringify(state.engine.panels) === last; }

// Moves kept by the page (made before listening, or before a reload) go to the gear once it listens.
async function replayMoves() {
  const kept = loadKept(`pending:r${state.session.latest}`, {});
  for (const [unit, params] of Object.entries(kept)) {
    for (const [param, value] of Object.entries(params)) {
      if (!state.engine.moved[unit] || !same(state.engine.moved[unit][param], value)) await player.controlMoved(unit, param, value);
    }
  }
}

const player = new Player($("player"), {
  status,
  confirmedUnits: () => state.rack.filter((u) => u.manual && u.sheet && u.sheet.every((row) => rackContext.ticks(u.name).has(row.parameter))).map((u) => u.name),
  viewedRevision: () => state.viewed,
  onEngine: (engine) => { state.engine = engine; },
  referenceTrack: () => state.session.tracks.length > 1 ? state.session.tracks[(state.track + 1) % state.session.tracks.length] : null,
});

// Keys, as on the CLI player: space play/pause, A source, B chain, 1-4 the sources, L match, M mono,
// [ and ] the loop one length earlier / later.
document.addEventListener("keydown", (e) => {
  if (e.target.closest("input, textarea, select, dialog, [role=slider]") || e.ctrlKey || e.metaKey || e.altKey) return;
  const sources = { a: "source", b: "chain", 1: "source", 2: "chain", 3: "print", 4: "reference" };
  const k = e.key.toLowerCase();
  if (e.key === " ") { player.toggle(); e.preventDefault(); }
  else if (k in sources) player.select(sources[k]);
  else if (k === "l") player.match();
  else if (k === "m") player.mono();
  else if (e.key === "[" || e.key === "]") player.moveLoop(e.key === "]" ? 1 : -1);
  else return;
  e.preventDefault();
});

async function start() {
  try {
    state.desk = await get("/api/desk");
  } catch (error) {
    status(error.message, "error");
    document.body.dataset.ready = "error";
    return;
  }
  const pick = $("session-pick");
  pick.replaceChildren(...state.desk.sessions.map((s) => new Option(s.title || s.folder, s.id)));
  pick.onchange = () => loadSession(Number(pick.value));
  $("commit-form").addEventListener("submit", submitCommit);
  $("commit-cancel").addEventListener("click", () => $("commit-dialog").close());
  live(onEvent);
  if (state.desk.sessions.length) {
    try {
      await loadSession(state.desk.sessions[0].id);
    } catch (error) {
      status(error.message, "error");
    }
  } else {
    status("no session given: start `hybrid desk DIR`");
  }
  window.deskReadyAt = performance.now(); // first load, as the bench reads it: the session drawn
  document.body.dataset.ready = "1";
}

start();
