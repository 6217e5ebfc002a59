// The player: a track with its loop region on the waveform, the monitor source (source / chain /
// print rN / reference), loudness matching and the meters. It is a face of the listening engine on
// the server; while no engine runs it says why and plays nothing (nothing here pretends to listen).
import { h, fmtDb } from "/static/dom.js";
import { Waveform } from "/static/waveform.js";

export class Player {
  constructor(root, { status }) {
    this.root = root;
    this.status = status;
    this.engine = { available: false, reason: "connecting to the desk" };
    this.track = null;
    this.loop = null;
    this.canvas = h("canvas", { class: "big-wave", id: "player-wave" });
    this.wave = new Waveform(this.canvas, { onLoop: (loop) => { this.loop = loop; this.draw(); } });
    this.body = h("div", { class: "player-body" });
    root.replaceChildren(h("div", { class: "player-track", id: "player-track" }), this.canvas, this.body);
    this.draw();
  }

  setSession(session, sid) { this.session = session; this.sid = sid; this.draw(); }

  setTrack(track, overview) {
    this.track = track;
    this.root.querySelector("#player-track").textContent = track ? `${track.position}. ${track.title}` : "";
    if (overview) this.wave.set(overview.waveform, overview.duration_s);
    this.draw();
  }

  engineState(engine) { this.engine = engine || { available: false }; this.draw(); }

  controlMoved() {}

  revert() {}

  draw() {
    const off = !this.engine.available;
    const reason = this.engine.reason || "the listening engine is not running";
    const sources = [["source", "Source", "A"], ["chain", "Chain", "B"], ["print", "Print", "3"], ["reference", "Reference", "4"]];
    this.body.replaceChildren(
      h("div", { class: "transport" },
        h("button", { type: "button", id: "play-button", disabled: off || null, title: "space" }, "▶ Play"),
        h("div", { class: "sources", role: "radiogroup" },
          ...sources.map(([id, label, keyName]) => h("button", { type: "button", disabled: off || null, dataset: { source: id }, title: `key ${keyName}` }, label))),
        h("button", { type: "button", id: "match-button", disabled: off || null, title: "L: loudness match" }, "Match"),
        h("button", { type: "button", id: "mono-button", disabled: off || null, title: "M: mono" }, "Mono")),
      h("div", { class: "meters" },
        ...[["M", "momentary"], ["S", "short-term"], ["I", "integrated"], ["TP", "true peak"], ["GR", "gain reduction"]].map(([abbr, name]) =>
          h("div", { class: "meter", title: name }, h("div", { class: "meter-bar" }, h("div", { class: "meter-fill" })),
            h("div", { class: "meter-label" }, abbr), h("div", { class: "meter-value" }, "–")))),
      h("div", { class: "loop-line" }, this.loop ? `loop ${this.loop[0].toFixed(2)}–${this.loop[1].toFixed(2)} s` : "drag across the waveform to set a loop"),
      off ? h("div", { class: "engine-off", id: "engine-off" }, `Listening is off: ${reason}.`) : null);
  }
}

export { fmtDb };
