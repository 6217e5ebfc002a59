// The revision timeline: number, author, time, note, the changes from its parent in panel markings,
// its prints, the client's approvals (and this desk's verify results).
import { h, when } from "/static/dom.js";

export function drawTimeline(root, session, { viewed, verified, onPick }) {
  const rows = [...session.revisions].reverse().map((r) => {
    const badges = [];
    if (r.prints.length) badges.push(h("span", { class: "badge printed", title: r.prints.join(", ") }, `printed ×${r.prints.length}`));
    for (const a of r.approvals || []) {
      badges.push(h("span", { class: "badge approved", title: `${a.by}, ${when(a.at)}, on print ${a.print}${a.note ? `: ${a.note}` : ""}` }, `approved by ${a.by}`));
    }
    const v = verified.get(r.number);
    if (v) badges.push(h("span", { class: `badge ${v.pass ? "verified" : "failed"}`, title: v.summary || "" }, v.pass ? "verified" : "verify failed"));
    if (r.number === session.latest) badges.push(h("span", { class: "badge latest" }, "latest"));
    return h("li", {
      class: `revision${r.number === viewed ? " viewed" : ""}`, dataset: { revision: r.number },
      onclick: () => onPick(r.number), tabindex: 0,
      onkeydown: (e) => { if (e.key === "Enter") onPick(r.number); },
    },
    h("div", { class: "rev-head" },
      h("span", { class: "rev-number" }, `r${r.number}`),
      h("span", { class: "rev-note" }, r.note || "(no note)"),
      ...badges),
    h("div", { class: "rev-meta" }, `${r.author} · ${when(r.created_at)}${r.parent && r.parent !== r.number - 1 ? ` · from r${r.parent}` : ""}`),
    r.changes.length ? h("ul", { class: "rev-changes" }, ...r.changes.map((c) => h("li", {}, c))) :
      h("div", { class: "rev-changes none" }, r.parent ? "no setting changed" : "every unit at its profile default"));
  });
  root.replaceChildren(...rows);
}
