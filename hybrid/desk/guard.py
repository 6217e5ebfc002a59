"""Who may talk to the desk: the random token on every data request, and the desk's own Origin and
Host on anything that changes state (a page on another site cannot drive the gear through it)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

TOKEN_HEADER = "x-desk-token"
TOKEN_QUERY = "token"
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def new_token() -> str:
    """A fresh secret for one run of the server (192 bits, URL-safe)."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Guard:
    """The token of this run and the origins the page is served from (scheme://host:port)."""

    token: str
    origins: frozenset[str]
    hosts: frozenset[str]

    @classmethod
    def for_address(cls, token: str, host: str, port: int) -> Guard:
        """A loopback bind answers to 127.0.0.1, localhost and [::1]; another bind only to its own name."""
        names = _LOOPBACK_NAMES if host in ("127.0.0.1", "localhost", "::1") else (_bracket(host),)
        hosts = frozenset(f"{name}:{port}" for name in names)
        return cls(token, frozenset(f"http://{h}" for h in hosts), hosts)

    def token_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def host_ok(self, host: str | None) -> bool:
        """The Host header names this server (a DNS-rebinding page arrives with its own name)."""
        return host is not None and host.lower() in self.hosts

    def origin_ok(self, origin: str | None) -> bool:
        """A state change must come from the desk's own page: same scheme, host and port."""
        return origin is not None and origin.lower() in self.origins

    def refusal(self, *, token: str | None, host: str | None, origin: str | None,
                changes_state: bool) -> str | None:
        """Why a request is refused (one line), or None when it may go on."""
        if not self.host_ok(host):
            return f"Host {host!r} is not this desk's address"
        if not self.token_ok(token):
            return "no token or a wrong token: open the URL `hybrid desk` printed"
        if changes_state and not self.origin_ok(origin):
            return f"Origin {origin!r} is not this desk's page"
        return None


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
