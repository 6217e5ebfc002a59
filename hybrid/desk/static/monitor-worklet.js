// The monitor feed's last step: frames from the server's websocket, buffered a little, to the speakers.
// The buffer is kept short (the control-to-ear time) and bounded (a stall never builds up delay).
const PREBUFFER = 3072; // frames held before sound starts, and again after a run dry (64 ms at 48 kHz)
const MAX_BUFFER = 9600; // beyond this the oldest frames go (~200 ms at 48 kHz)

class MonitorFeed extends AudioWorkletProcessor {
  constructor() {
    super();
    this.size = 1 << 16;
    this.channels = 2;
    this.ring = [new Float32Array(this.size), new Float32Array(this.size)];
    this.read = 0;
    this.write = 0;
    this.running = false;
    this.underruns = 0;
    this.dropped = 0;
    this.port.onmessage = (event) => this.push(event.data);
  }

  get buffered() { return (this.write - this.read + this.size) % this.size; }

  push({ channels, samples }) {
    const frames = samples.length / channels;
    for (let i = 0; i < frames; i++) {
      for (let c = 0; c < 2; c++) this.ring[c][this.write] = samples[i * channels + Math.min(c, channels - 1)];
      this.write = (this.write + 1) % this.size;
    }
    const over = this.buffered - MAX_BUFFER;
    if (over > 0) { this.read = (this.read + over) % this.size; this.dropped += over; }
  }

  process(inputs, outputs) {
    const out = outputs[0];
    const frames = out[0].length;
    if (!this.running && this.buffered >= PREBUFFER) this.running = true;
    for (let i = 0; i < frames; i++) {
      if (this.running && this.buffered > 0) {
        for (let c = 0; c < out.length; c++) out[c][i] = this.ring[Math.min(c, 1)][this.read];
        this.read = (this.read + 1) % this.size;
      } else {
        for (let c = 0; c < out.length; c++) out[c][i] = 0;
        if (this.running) { this.running = false; this.underruns++; }
      }
    }
    if ((currentFrame & 0x3fff) < frames) this.port.postMessage({ buffered: this.buffered, underruns: this.underruns, dropped: this.dropped });
    return true;
  }
}

registerProcessor("monitor-feed", MonitorFeed);
