// The rack: each unit drawn from its profile. Stepped knobs show their detents, switches their named
// positions; every control shows the revision's value in the panel's marking, what the gear reads
// back, and a mark when it was moved and not committed yet.
import { h, s } from "/static/dom.js";

const SWEEP = 270; // degrees of knob travel, as on most front panels
const MAX_TICKS = 25;
const PX_PER_STEP = 6;

// A drag lives on the document, not on the knob: the rack is redrawn under the pointer as the
// gear reads back, and a drag must survive that.
let drag = null;
document.addEventListener("pointermove", (m) => {
  if (!drag) return;
  const steps = Math.trunc((drag.lastY - m.clientY) / PX_PER_STEP);
  if (steps) { drag.lastY -= steps * PX_PER_STEP; drag.step(steps); }
});
document.addEventListener("pointerup", () => { drag = null; });

function same(a, b) {
  if (typeof a === "number" && typeof b === "number") return Math.abs(a - b) < 1e-9;
  return a === b;
}

function indexOf(control, value) {
  return control.detents.findIndex((d) => same(d, value));
}

function markingOf(control, value) {
  if (control.detents) {
    const i = indexOf(control, value);
    if (i >= 0) return control.markings[i];
  }
  if (typeof value === "number") return `${value}${control.unit ? ` ${control.unit}` : ""}`;
  return value ?? "–";
}

function tickIndices(count) {
  if (count <= MAX_TICKS) return [...Array(count).keys()];
  const every = Math.ceil((count - 1) / (MAX_TICKS - 1));
  const out = [];
  for (let i = 0; i < count; i += every) out.push(i);
  if (out[out.length - 1] !== count - 1) out.push(count - 1);
  return out;
}

function knobSvg(control, index) {
  const count = control.detents.length;
  const angle = (i) => -SWEEP / 2 + (SWEEP * i) / Math.max(1, count - 1);
  const ticks = tickIndices(count).map((i) => {
    const a = (angle(i) - 90) * (Math.PI / 180);
    const major = i === 0 || i === count - 1 || same(control.detents[i], control.neutral);
    const r1 = 27, r2 = major ? 33 : 31;
    return s("line", { x1: 36 + r1 * Math.cos(a), y1: 36 + r1 * Math.sin(a), x2: 36 + r2 * Math.cos(a),
      y2: 36 + r2 * Math.sin(a), class: major ? "tick major" : "tick" });
  });
  const a = angle(Math.max(0, index));
  return s("svg", { viewBox: "0 0 72 72", class: "knob-svg", "aria-hidden": "true" },
    ...ticks,
    s("circle", { cx: 36, cy: 36, r: 22, class: "knob-skirt" }),
    s("circle", { cx: 36, cy: 36, r: 17, class: "knob-cap" }),
    s("line", { x1: 36, y1: 36, x2: 36, y2: 17, class: "knob-pointer", transform: `rotate(${a} 36 36)` }));
}

function knob(unit, control, value, ctx) {
  const index = indexOf(control, value);
  const step = (delta) => {
    const i = Math.min(control.detents.length - 1, Math.max(0, indexOf(control, ctx.current(unit.name, control.name)) + delta));
    ctx.move(unit.name, control.name, control.detents[i]);
  };
  const el = h("div", {
    class: "knob", tabindex: 0, role: "slider", "aria-label": `${unit.name} ${control.label}`,
    "aria-valuemin": 0, "aria-valuemax": control.detents.length - 1, "aria-valuenow": index,
    "aria-valuetext": markingOf(control, value),
    onkeydown: (e) => {
      const keys = { ArrowUp: 1, ArrowRight: 1, ArrowDown: -1, ArrowLeft: -1, PageUp: 5, PageDown: -5 };
      if (e.key in keys) { step(keys[e.key]); e.preventDefault(); e.stopPropagation(); }
      else if (e.key === "Home") { ctx.move(unit.name, control.name, control.detents[0]); e.preventDefault(); }
      else if (e.key === "End") { ctx.move(unit.name, control.name, control.detents.at(-1)); e.preventDefault(); }
    },
    onwheel: (e) => { step(e.deltaY < 0 ? 1 : -1); e.preventDefault(); },
    ondblclick: () => ctx.move(unit.name, control.name, ctx.committed(unit.name, control.name)),
  }, knobSvg(control, index));
  el.addEventListener("pointerdown", (e) => {
    el.focus();
    drag = { lastY: e.clientY, step };
    e.preventDefault();
  });
  return el;
}

function switchControl(unit, control, value, ctx) {
  return h("div", { class: "positions", role: "radiogroup", "aria-label": `${unit.name} ${control.label}` },
    ...control.detents.map((position, i) => h("button", {
      type: "button", role: "radio", "aria-checked": same(position, value) ? "true" : "false",
      class: same(position, value) ? "on" : "",
      onclick: () => ctx.move(unit.name, control.name, position),
    }, control.markings[i])));
}

function controlView(unit, control, ctx) {
  const value = ctx.current(unit.name, control.name);
  const committed = ctx.committed(unit.name, control.name);
  const read = ctx.readBack(unit.name, control.name);
  const changed = !same(value, committed);
  const mismatch = read !== undefined && read !== null && !same(read, value);
  const body = control.kind === "switch" ? switchControl(unit, control, value, ctx) : knob(unit, control, value, ctx);
  return h("div", {
    class: `control ${control.kind}${changed ? " changed" : ""}${mismatch ? " mismatch" : ""}`,
    dataset: { unit: unit.name, param: control.name, value: JSON.stringify(value),
      committed: JSON.stringify(committed), readback: read === undefined ? "" : JSON.stringify(read) },
    title: `${unit.name}.${control.name}${changed ? ` (revision: ${markingOf(control, committed)})` : ""}`,
  },
  h("div", { class: "label" }, control.label, changed ? h("span", { class: "dot", title: "moved, not committed" }) : null),
  body,
  h("div", { class: "value" }, markingOf(control, value)),
  h("div", { class: `readback${mismatch ? " bad" : ""}` },
    read === undefined ? "\u00a0" : read === null ? "no read-back" : `gear ${markingOf(control, read)}`));
}

function sheetView(unit, ctx) {
  const ticks = ctx.ticks(unit.name);
  const rows = unit.sheet.map((row) => h("li", { class: ticks.has(row.parameter) ? "ticked" : "" },
    h("label", {},
      h("input", { type: "checkbox", checked: ticks.has(row.parameter) || null,
        dataset: { unit: unit.name, param: row.parameter },
        onchange: (e) => ctx.tick(unit.name, row.parameter, e.target.checked) }),
      h("span", { class: "sheet-label" }, row.label),
      h("span", { class: "sheet-pos" }, row.position))));
  const done = unit.sheet.every((row) => ticks.has(row.parameter));
  return h("div", { class: `sheet${done ? " done" : ""}` },
    h("div", { class: "sheet-head" }, done ? "Recall sheet: every control set by hand" :
      `Recall sheet: set by hand, tick each control (${ticks.size}/${unit.sheet.length})`),
    h("ol", {}, ...rows));
}

export function drawRack(root, units, ctx) {
  const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest(".control");
  const keep = focused ? `.control[data-unit="${focused.dataset.unit}"][data-param="${focused.dataset.param}"] .knob` : null;
  root.replaceChildren(...units.map((unit) => h("div", {
    class: `unit${unit.manual ? " manual" : ""}`, dataset: { unit: unit.name } },
  h("div", { class: "faceplate" },
    h("div", { class: "unit-name" }, unit.name.toUpperCase()),
    h("div", { class: "unit-model" }, unit.model),
    h("div", { class: `wire wire-${unit.wire}` }, unit.wire === "manual" ? "MANUAL" : unit.wire.toUpperCase())),
  h("div", { class: "controls" }, ...unit.controls.map((c) => controlView(unit, c, ctx))),
  unit.manual && unit.sheet ? sheetView(unit, ctx) : null)));
  if (keep) { const again = root.querySelector(keep); if (again) again.focus(); }
}

// Redraw only the controls whose value, revision value or read-back changed (a move, a read-back,
// the engine's state ten times a second): the rest of the rack, and a drag on it, stay as they are.
export function refreshRack(root, units, ctx) {
  const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest(".control");
  for (const unit of units) {
    for (const control of unit.controls) {
      const el = root.querySelector(`.control[data-unit="${unit.name}"][data-param="${control.name}"]`);
      if (!el) { drawRack(root, units, ctx); return; }
      const read = ctx.readBack(unit.name, control.name);
      const now = [JSON.stringify(ctx.current(unit.name, control.name)), JSON.stringify(ctx.committed(unit.name, control.name)),
        read === undefined ? "" : JSON.stringify(read)];
      if (now[0] === el.dataset.value && now[1] === el.dataset.committed && now[2] === el.dataset.readback) continue;
      const fresh = controlView(unit, control, ctx);
      el.replaceWith(fresh);
      if (focused === el) { const knob = fresh.querySelector(".knob"); if (knob) knob.focus(); }
    }
  }
}

export { markingOf, same };
