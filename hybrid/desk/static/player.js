// The player: a face of the listening engine on the server. Track and loop (dragged on the waveform),
// the monitor source (source / chain / print rN / reference) by click and keys, loudness matching with
// the gain shown, the meters, and the monitor feed played in the browser. With no engine running it
// says why and plays nothing.
import { post } from "/static/api.js";
import { h, fmtDb } from "/static/dom.js";
import { Waveform } from "/static/waveform.js";
import { MonitorAudio } from "/static/audio.js";

const SOURCES = [["source", "Source", "A / 1"], ["chain", "Chain", "B / 2"], ["print", "Print", "3"], ["reference", "Reference", "4"]];
const METERS = [["momentary", "M", "momentary loudness (400 ms)", "LUFS"], ["short", "S", "short-term loudness (3 s)", "LUFS"],
  ["integrated", "I", "integrated over the loop (the playing source)", "LUFS"], ["peak", "TP", "true peak (last 3 s)", "dBTP"],
  ["gr", "GR", "gain reduction reported by the units", "dB"]];

export class Player {
  constructor(root, { status, confirmedUnits, viewedRevision, referenceTrack, onEngine }) {
    this.root = root;
    this.onEngine = onEngine || (() => {});
    this.status = status;
    this.confirmedUnits = confirmedUnits;
    this.viewedRevision = viewedRevision;
    this.referenceTrack = referenceTrack;
    this.engine = { available: false, reason: "connecting to the desk" };
    this.audio = new MonitorAudio();
    this.track = null;
    this.overview = null;
    this.canvas = h("canvas", { class: "big-wave", id: "player-wave" });
    this.wave = new Waveform(this.canvas, { onLoop: (loop) => this.setLoop(loop) });
    this.error = h("div", { class: "error-line", id: "player-error" });
    this.body = h("div", { class: "player-body" });
    this.head = h("div", { class: "player-track", id: "player-track" });
    root.replaceChildren(this.head, this.canvas, this.body, this.error);
    this.build();
    window.deskTimings = [];
    window.deskPlayer = this; // for the browser tests and the bench
  }

  get on() { return this.engine.available && this.engine.session_id === this.sid; }

  setSession(session, sid) { this.session = session; this.sid = sid; this.update(); }

  setTrack(track, overview) {
    const changed = !this.track || this.track.id !== track.id;
    this.track = track;
    this.overview = overview;
    if (overview) this.wave.set(overview.waveform, overview.duration_s);
    if (changed && this.on && this.engine.track !== track.id) this.listen();
    this.update();
  }

  async call(action, body = {}) {
    this.error.textContent = "";
    try {
      const reply = await post(`/api/listen/${action}`, body);
      this.engineState(reply.engine);
      return reply.result;
    } catch (error) {
      this.error.textContent = error.message;
      return null;
    }
  }

  async listen() {
    this.error.textContent = "";
    const button = this.body.querySelector("#listen-button");
    if (button) { button.disabled = true; button.textContent = "Starting…"; }
    try {
      const state = await post(`/api/sessions/${this.sid}/listen/open`, {
        track: this.track ? this.track.id : null, revision: null, confirmed_units: this.confirmedUnits() });
      this.engineState(state);
      await this.audio.start(state.rate_hz);
    } catch (error) {
      this.error.textContent = error.message;
      this.build();
    }
  }

  async stop() { await this.call("close"); await this.audio.stop(); }

  async toggle() {
    if (!this.on) return this.listen();
    await this.audio.start(this.engine.rate_hz);
    return this.call("toggle");
  }

  async select(source) {
    if (!this.on) return null;
    if (source === "print" && !this.engine.sources.print.loaded) {
      if ((await this.call("load_print", { revision: this.viewedRevision() })) === null) return null;
    }
    if (source === "reference" && !this.engine.sources.reference.loaded) {
      const ref = this.referenceTrack();
      if (!ref) { this.error.textContent = "no other track to use as the reference"; return null; }
      if ((await this.call("reference", { track: ref.id })) === null) return null;
    }
    return this.call("select", { source });
  }

  match() { return this.on ? this.call("match", { on: !this.engine.match }) : null; }
  mono() { return this.on ? this.call("check", { check: this.engine.check === "mono" ? "stereo" : "mono" }) : null; }

  moveLoop(direction) { return this.on ? this.call("move_loop", { direction }) : null; }

  setLoop(loop) {
    if (!this.on) return;
    if (loop) this.call("loop", { start_s: loop[0], end_s: loop[1] });
    else this.call("loop", { start_s: null, end_s: null });
  }

  // A control moved on the rack: sent over the unit's wire now, through the engine (timed for the bench).
  async controlMoved(unit, param, value) {
    if (!this.on) return null;
    const started = performance.now();
    const move = await this.call("move", { text: `${unit}.${param}=${value}` });
    if (move) window.deskTimings.push({ unit, param, value, started, answered: performance.now(), move });
    return move;
  }

  async revert(moves) {
    for (const [unit, params] of Object.entries(moves || {})) {
      for (const [param, value] of Object.entries(params)) await this.controlMoved(unit, param, value);
    }
  }

  engineState(engine) {
    this.engine = engine || { available: false };
    this.onEngine(this.engine);
    this.update();
  }

  build() {
    const on = this.on;
    this.builtOn = on;
    const transport = h("div", { class: "transport" },
      on ? h("button", { type: "button", id: "play-button", title: "space", onclick: () => this.toggle() }, "▶ Play") :
        h("button", { type: "button", id: "listen-button", class: "primary", onclick: () => this.listen(),
          title: "open the listening engine on the rig (recalls the latest revision)" }, "Listen"),
      h("div", { class: "sources", role: "radiogroup" },
        ...SOURCES.map(([id, label, keyName]) => h("button", {
          type: "button", disabled: on ? null : true, dataset: { source: id }, title: `key ${keyName}`,
          onclick: () => this.select(id) }, h("span", { class: "src-label" }, label), h("span", { class: "gain" })))),
      h("button", { type: "button", id: "match-button", disabled: on ? null : true, title: "L: loudness match", onclick: () => this.match() }, "Match"),
      h("button", { type: "button", id: "mono-button", disabled: on ? null : true, title: "M: mono", onclick: () => this.mono() }, "Mono"),
      on ? h("button", { type: "button", id: "stop-listen", class: "link", onclick: () => this.stop() }, "stop listening") : null);
    const meters = h("div", { class: "meters" }, ...METERS.map(([id, abbr, name, unit]) => h("div", { class: "meter", dataset: { meter: id }, title: name },
      h("div", { class: "meter-bar" }, h("div", { class: "meter-fill" })), h("div", { class: "meter-label" }, `${abbr} ${unit}`),
      h("div", { class: "meter-value" }, "–"))));
    const parts = [transport, meters, h("div", { class: "loop-line", id: "loop-line" })];
    if (!on) parts.push(h("div", { class: "engine-off", id: "engine-off" }, `Listening is off: ${this.engine.reason || "the listening engine is not running"}.`));
    this.body.replaceChildren(...parts);
  }

  update() {
    const e = this.engine, on = this.on;
    if (this.builtOn !== on) this.build();
    this.head.textContent = this.track ? `${this.track.position}. ${this.track.title}` + (on ? ` · r${e.revision} on the gear` : "") : "";
    const loopLine = this.body.querySelector("#loop-line");
    if (!on) {
      if (loopLine) loopLine.textContent = "drag across the waveform to set a loop once listening";
      const off = this.body.querySelector("#engine-off");
      if (off) off.textContent = `Listening is off: ${e.reason || "the listening engine is not running"}.`;
      return;
    }
    this.body.querySelector("#play-button").textContent = e.playing ? "❚❚ Pause" : "▶ Play";
    for (const button of this.body.querySelectorAll(".sources button")) {
      const src = e.sources[button.dataset.source];
      button.classList.toggle("on", e.selected === button.dataset.source);
      button.querySelector(".src-label").textContent = button.dataset.source === "print" && src.loaded ? (src.label || "Print") : SOURCES.find((x) => x[0] === button.dataset.source)[1];
      button.querySelector(".gain").textContent = src.loaded && src.gain_db !== null ? ` ${fmtDb(src.gain_db)} dB` : "";
      button.dataset.gain = src.gain_db ?? "";
    }
    this.body.querySelector("#match-button").classList.toggle("on", e.match);
    this.body.querySelector("#mono-button").classList.toggle("on", e.check === "mono");
    const gr = Object.values(e.gain_reduction_db || {});
    const values = { momentary: e.meter.momentary_lufs, short: e.meter.short_term_lufs,
      integrated: e.sources[e.selected] ? e.sources[e.selected].lufs : null, peak: e.meter.true_peak_dbtp,
      gr: gr.length ? Math.max(...gr) : null };
    for (const [id, , name] of METERS) {
      const el = this.body.querySelector(`[data-meter="${id}"]`);
      const v = values[id];
      el.querySelector(".meter-value").textContent = v === null || v === undefined ? "–" : fmtDb(v);
      el.dataset.value = v ?? "";
      const fraction = id === "gr" ? Math.min(1, (v || 0) / 12) : Math.min(1, Math.max(0, ((v ?? -60) + 60) / 60));
      el.querySelector(".meter-fill").style.width = `${(fraction * 100).toFixed(1)}%`;
      if (id === "gr" && v === null) el.title = `${name}: none of this rig's units reports it`;
    }
    if (loopLine) loopLine.textContent = `loop ${e.loop.start_s.toFixed(2)}–${e.loop.end_s.toFixed(2)} s` +
      `${e.match ? " · loudness-matched" : " · matching off"}${e.check !== "stereo" ? ` · ${e.check}` : ""}` +
      `${e.sources.chain.measuring ? " · measuring the chain" : ""}${e.glitches ? ` · ${e.glitches} glitches` : ""}`;
    if (this.wave.duration && !this.wave.dragging) {
      this.wave.loop = [e.loop.start_s, e.loop.end_s];
      this.wave.setPlayhead(e.position_s);
    }
  }
}
