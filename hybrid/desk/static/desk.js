// The desk page: loads the sessions this server was given and draws them; live state over a websocket.
import { get, live } from "/static/api.js";

const state = { desk: null, session: null };

function status(text, kind = "") {
  const el = document.getElementById("status");
  el.textContent = text;
  el.className = `status ${kind}`;
}

async function loadSession(sid) {
  state.session = await get(`/api/sessions/${sid}`);
  document.getElementById("album").textContent = `${state.session.title} · ${state.session.artist}`;
  const tracks = document.getElementById("tracks");
  tracks.replaceChildren(...state.session.tracks.map((t) => {
    const li = document.createElement("li");
    li.textContent = t.title;
    return li;
  }));
}

async function start() {
  try {
    state.desk = await get("/api/desk");
  } catch (error) {
    status(error.message, "error");
    return;
  }
  const pick = document.getElementById("session-pick");
  pick.replaceChildren(...state.desk.sessions.map((s) => new Option(s.title || s.folder, s.id)));
  if (state.desk.sessions.length) await loadSession(state.desk.sessions[0].id);
  else status("no session given: start `hybrid desk DIR`");
  live((event) => { if (event.type === "offline") status("server not reachable", "error"); });
  document.body.dataset.ready = "1";
}

start();
