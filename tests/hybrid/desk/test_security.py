"""The desk lets no one in without the token, takes state changes only from its own page, and serves
only its sessions and assets: each refusal proved against a real `hybrid desk` process."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from tests.hybrid.desk.server import ROOT, DeskProcess, make_session, start_desk


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DeskProcess, Path]]:
    root = tmp_path_factory.mktemp("desk-security")
    folder = make_session(root / "ep")
    (root / "secret.txt").write_text("not for the desk")
    server = start_desk(folder, state_dir=root / "state")
    yield server, folder
    server.stop()


def _get(server: DeskProcess, path: str, **kw: object) -> httpx.Response:
    return httpx.get(server.base + path, timeout=30, **kw)  # type: ignore[arg-type]


def test_it_binds_loopback_and_prints_one_url_with_a_token(desk: tuple[DeskProcess, Path]) -> None:
    server, _ = desk
    assert server.url.startswith("http://127.0.0.1:")
    assert len(server.token) >= 32


def test_the_page_needs_the_token(desk: tuple[DeskProcess, Path]) -> None:
    server, _ = desk
    assert _get(server, "/").status_code == 403
    assert _get(server, "/?token=wrong-token").status_code == 403
    ok = _get(server, f"/?token={server.token}")
    assert ok.status_code == 200 and "hybrid desk" in ok.text


@pytest.mark.parametrize("path", ["/api/desk", "/api/sessions/0", "/api/jobs", "/api/sessions/0/tracks/1/overview"])
def test_data_needs_the_token(desk: tuple[DeskProcess, Path], path: str) -> None:
    server, _ = desk
    none = _get(server, path)
    wrong = _get(server, path, headers={"x-desk-token": server.token[:-1] + "x"})
    assert (none.status_code, wrong.status_code) == (403, 403)
    assert "Desk EP" not in none.text + wrong.text
    assert _get(server, path, headers={"x-desk-token": server.token}).status_code == 200


def test_a_foreign_host_header_is_refused(desk: tuple[DeskProcess, Path]) -> None:
    # a page on attacker.example resolved to 127.0.0.1 (DNS rebinding) arrives with its own Host
    server, _ = desk
    reply = _get(server, "/api/sessions/0", headers={"x-desk-token": server.token, "host": "attacker.example"})
    assert reply.status_code == 403


def _commit(server: DeskProcess, origin: str | None, token: str | None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if origin is not None:
        headers["origin"] = origin
    if token is not None:
        headers["x-desk-token"] = token
    body = {"note": "from the security test", "settings": ["eq.high_gain_db=+1"]}
    return httpx.post(server.base + "/api/sessions/0/commit", headers=headers, content=json.dumps(body), timeout=30)


def _log(folder: Path) -> list[dict[str, object]]:
    done = subprocess.run([sys.executable, "-m", "hybrid", "session", "log", str(folder), "--json"],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(done.stdout)


def test_a_state_change_needs_the_token_and_the_desks_own_origin(desk: tuple[DeskProcess, Path]) -> None:
    server, folder = desk
    before = len(_log(folder))
    assert _commit(server, "http://evil.example", server.token).status_code == 403
    assert _commit(server, None, server.token).status_code == 403
    assert _commit(server, server.origin.replace("127.0.0.1", "127.0.0.2"), server.token).status_code == 403
    assert _commit(server, server.origin, None).status_code == 403
    assert _commit(server, server.origin, "wrong").status_code == 403
    assert len(_log(folder)) == before  # nothing written by any refused request
    ok = _commit(server, server.origin, server.token)
    assert ok.status_code == 200, ok.text
    assert _log(folder)[-1]["note"] == "from the security test"


async def _ws(server: DeskProcess, origin: str, token: str, path: str = "/ws") -> str:
    url = server.base.replace("http", "ws") + f"{path}?token={token}"
    try:
        async with websockets.connect(url, origin=origin, open_timeout=20) as socket:  # type: ignore[arg-type]
            return json.loads(await asyncio.wait_for(socket.recv(), 20))["type"]
    except websockets.exceptions.InvalidStatus as exc:
        return f"refused {exc.response.status_code}"
    except websockets.exceptions.ConnectionClosedError as exc:
        return f"closed {exc.rcvd.code if exc.rcvd else None}"


def test_the_live_socket_needs_the_token_and_the_origin(desk: tuple[DeskProcess, Path]) -> None:
    server, _ = desk
    assert asyncio.run(_ws(server, server.origin, server.token)) == "hello"
    assert asyncio.run(_ws(server, "http://evil.example", server.token)).startswith("refused 403")
    assert asyncio.run(_ws(server, server.origin, "wrong")).startswith("refused 403")
    # the monitor feed too: no engine runs, but a foreign page must not even get the socket
    assert asyncio.run(_ws(server, "http://evil.example", server.token, "/ws/monitor")).startswith("refused 403")
    assert asyncio.run(_ws(server, server.origin, "wrong", "/ws/monitor")).startswith("refused 403")


def test_listening_controls_need_the_token_and_origin(desk: tuple[DeskProcess, Path]) -> None:
    server, _ = desk
    for headers in ({"x-desk-token": server.token, "origin": "http://evil.example"}, {"origin": server.origin}):
        reply = httpx.post(server.base + "/api/sessions/0/listen/open", headers=headers, json={}, timeout=30)
        assert reply.status_code == 403
    # with both, no engine running: the engine's refusal in one line, nothing started
    reply = httpx.post(server.base + "/api/listen/move", json={"text": "eq.high_gain_db=1"}, timeout=30,
                       headers={"x-desk-token": server.token, "origin": server.origin})
    assert reply.status_code == 400 and reply.json()["error"].startswith("hybrid: ")


@pytest.mark.parametrize("path", [
    "/static/..%2F..%2Fsession%2Fstore.py",
    "/static/../../../etc/passwd",
    "/static/%2e%2e/app.py",
    "/static/app.py",
    "/api/sessions/1",
    "/api/sessions/-1",
    "/api/sessions/0/prints/..%2F..%2Fsecret.txt/report.html",
    "/api/sessions/0/prints/r0001-01/..%2F..%2F..%2Fsecret.txt",
    "/api/sessions/0/tracks/..%2F..%2Fsecret.txt/overview",
    "/api/sessions/0/tracks/%2Fetc%2Fpasswd/overview",
    "/etc/passwd",
])
def test_a_path_outside_the_session_is_refused(desk: tuple[DeskProcess, Path], path: str) -> None:
    server, _ = desk
    reply = _get(server, path, headers={"x-desk-token": server.token})
    assert reply.status_code in (400, 404), (path, reply.status_code)
    assert "not for the desk" not in reply.text and "root:" not in reply.text and "import" not in reply.text


def test_the_desks_own_assets_are_served(desk: tuple[DeskProcess, Path]) -> None:
    server, _ = desk
    reply = _get(server, "/static/desk.js")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/javascript")


def test_a_folder_that_is_not_a_session_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "hybrid", "desk", str(tmp_path), "--no-browser"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("hybrid: ") and len(done.stderr.strip().splitlines()) == 1
