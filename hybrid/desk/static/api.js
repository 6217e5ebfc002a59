// The desk's wire to its server: every request carries the token; errors come back as the CLI's line.
const params = new URLSearchParams(location.search);
export const token = params.get("token") || sessionStorage.getItem("hybrid-desk-token") || "";
sessionStorage.setItem("hybrid-desk-token", token);

export class DeskError extends Error {}

async function call(method, path, body) {
  const init = { method, headers: { "x-desk-token": token } };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    const line = (data && (data.error || (typeof data.detail === "string" ? data.detail : null))) || text.trim();
    throw new DeskError(line || `${response.status} ${response.statusText}`);
  }
  return data;
}

export const get = (path) => call("GET", path);
export const post = (path, body) => call("POST", path, body ?? {});

export function withToken(path) {
  return `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;
}

// Live state: reconnects by itself; every event goes to `onEvent`.
export function live(onEvent) {
  let backoff = 250;
  const open = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws?token=${encodeURIComponent(token)}`);
    socket.onmessage = (message) => { backoff = 250; onEvent(JSON.parse(message.data)); };
    socket.onclose = () => { onEvent({ type: "offline" }); setTimeout(open, backoff); backoff = Math.min(backoff * 2, 4000); };
    return socket;
  };
  return open();
}
