// A track's overview: the waveform (min/max per column), the loop region dragged across it, the playhead.
export class Waveform {
  constructor(canvas, { onLoop } = {}) {
    this.canvas = canvas;
    this.onLoop = onLoop || (() => {});
    this.columns = [];
    this.duration = 0;
    this.loop = null; // [from_s, to_s]
    this.playhead = null;
    canvas.addEventListener("pointerdown", (e) => this._drag(e));
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  set(columns, duration) {
    this.columns = columns || [];
    this.duration = duration || 0;
    this.draw();
  }

  setLoop(loop) { this.loop = loop; this.draw(); }
  setPlayhead(t) { this.playhead = t; this.draw(); }

  _time(clientX) {
    const rect = this.canvas.getBoundingClientRect();
    return Math.min(1, Math.max(0, (clientX - rect.left) / rect.width)) * this.duration;
  }

  _drag(e) {
    if (!this.duration) return;
    this.canvas.setPointerCapture(e.pointerId);
    this.dragging = true;
    const start = this._time(e.clientX);
    const move = (m) => {
      const t = this._time(m.clientX);
      this.loop = [Math.min(start, t), Math.max(start, t)];
      this.draw();
    };
    const up = (u) => {
      this.canvas.removeEventListener("pointermove", move);
      this.canvas.removeEventListener("pointerup", up);
      const t = this._time(u.clientX);
      this.dragging = false;
      // a click (no drag) clears the loop: the whole track plays
      this.loop = Math.abs(t - start) < this.duration / 200 ? null : [Math.min(start, t), Math.max(start, t)];
      this.draw();
      this.onLoop(this.loop);
    };
    this.canvas.addEventListener("pointermove", move);
    this.canvas.addEventListener("pointerup", up);
  }

  draw() {
    const c = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(c.clientWidth * ratio));
    const height = Math.max(1, Math.round(c.clientHeight * ratio));
    if (c.width !== width || c.height !== height) { c.width = width; c.height = height; }
    const g = c.getContext("2d");
    g.clearRect(0, 0, width, height);
    const mid = height / 2;
    g.fillStyle = "#23272c";
    g.fillRect(0, 0, width, height);
    g.strokeStyle = "#343a40";
    g.beginPath(); g.moveTo(0, mid); g.lineTo(width, mid); g.stroke();
    if (this.loop && this.duration) {
      const x0 = (this.loop[0] / this.duration) * width, x1 = (this.loop[1] / this.duration) * width;
      g.fillStyle = "rgba(224,160,64,0.16)";
      g.fillRect(x0, 0, x1 - x0, height);
      g.fillStyle = "#e0a040";
      g.fillRect(x0, 0, Math.max(1, ratio), height);
      g.fillRect(x1 - ratio, 0, Math.max(1, ratio), height);
    }
    const n = this.columns.length;
    if (n) {
      g.fillStyle = "#7fb3d5";
      for (let x = 0; x < width; x++) {
        const [lo, hi] = this.columns[Math.min(n - 1, Math.floor((x / width) * n))];
        const y0 = mid - Math.min(1, hi) * mid * 0.95, y1 = mid - Math.max(-1, lo) * mid * 0.95;
        g.fillRect(x, y0, 1, Math.max(1, y1 - y0));
      }
    }
    if (this.playhead !== null && this.duration) {
      g.fillStyle = "#ffffff";
      g.fillRect((this.playhead / this.duration) * width, 0, Math.max(1, ratio), height);
    }
  }
}
