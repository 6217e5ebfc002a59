// The monitor feed in the browser: the server streams the engine's tap over a websocket; an
// AudioWorklet plays it; an AnalyserNode after it shows (and lets tests read) what is heard.
import { token } from "/static/api.js";

const HEADER_BYTES = 16; // <q first frame><i channels><i rate_hz>

export class MonitorAudio {
  constructor() {
    this.context = null;
    this.socket = null;
    this.stats = { messages: 0, frames: 0, lastFrame: -1, gaps: 0, buffered: 0, underruns: 0 };
    window.deskAudio = this; // the browser tests read the analyser through execute_script
  }

  async start(rate) {
    if (this.context && this.context.sampleRate !== rate) await this.stop();
    if (!this.context) {
      this.context = new AudioContext({ sampleRate: rate, latencyHint: "interactive" });
      await this.context.audioWorklet.addModule("/static/monitor-worklet.js");
      this.node = new AudioWorkletNode(this.context, "monitor-feed", { numberOfInputs: 0, outputChannelCount: [2] });
      this.node.port.onmessage = (e) => Object.assign(this.stats, e.data);
      this.analyser = this.context.createAnalyser();
      this.analyser.fftSize = 8192;
      this.analyser.smoothingTimeConstant = 0;
      this.node.connect(this.analyser);
      this.analyser.connect(this.context.destination);
    }
    if (this.context.state !== "running") await this.context.resume();
    if (!this.socket || this.socket.readyState > 1) this.connect();
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/monitor?token=${encodeURIComponent(token)}`);
    socket.binaryType = "arraybuffer";
    socket.onmessage = (message) => {
      const view = new DataView(message.data);
      const first = Number(view.getBigInt64(0, true));
      const channels = view.getInt32(8, true);
      const samples = new Float32Array(message.data, HEADER_BYTES);
      if (this.stats.lastFrame >= 0 && first !== this.stats.lastFrame) this.stats.gaps++;
      this.stats.lastFrame = first + samples.length / channels;
      this.stats.messages++;
      this.stats.frames += samples.length / channels;
      this.node.port.postMessage({ channels, samples }, [samples.buffer]);
    };
    this.socket = socket;
  }

  // Power (dB) in a band of the analyser's spectrum, averaged over its bins: what the tests compare.
  bandDb(lowHz, highHz) {
    if (!this.analyser) return null;
    const bins = new Float32Array(this.analyser.frequencyBinCount);
    this.analyser.getFloatFrequencyData(bins);
    const hzPerBin = this.context.sampleRate / this.analyser.fftSize;
    let sum = 0, n = 0;
    for (let i = Math.ceil(lowHz / hzPerBin); i <= Math.floor(highHz / hzPerBin) && i < bins.length; i++) {
      if (Number.isFinite(bins[i])) { sum += 10 ** (bins[i] / 10); n++; }
    }
    return n ? 10 * Math.log10(sum / n) : null;
  }

  // Whether the analyser's window holds a dry-run of the feed (exact digital silence: a run of zero
  // samples, which programme plus the rig's noise floor never has): such a window says nothing.
  windowRanDry(run = 32) {
    if (!this.analyser) return true;
    const samples = new Float32Array(this.analyser.fftSize);
    this.analyser.getFloatTimeDomainData(samples);
    let zeros = 0;
    for (const x of samples) { zeros = x === 0 ? zeros + 1 : 0; if (zeros >= run) return true; }
    return false;
  }

  async stop() {
    if (this.socket) this.socket.close();
    this.socket = null;
    if (this.context) await this.context.close();
    this.context = null;
  }
}
