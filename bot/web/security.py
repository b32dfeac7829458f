"""Sessions, signatures, CSRF tokens, login rate limits and safe redirects for the dashboard.

Sessions live in this process's memory: the cookie holds only a signed random id (HttpOnly,
SameSite=Lax, Secure behind HTTPS), so logging out or expiring really ends a session, and a
Discord access token never leaves the server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any
from urllib.parse import urlsplit

__all__ = ["RateLimiter", "Session", "SessionStore", "Signer", "client_address", "safe_next"]

Network = IPv4Network | IPv6Network


class Signer:
    """HMAC-SHA256 signatures with a timestamp: `value.time.signature`, checked in constant
    time; a signature older than `max_age` seconds is refused."""

    def __init__(self, key: bytes, purpose: str) -> None:
        self._key = hashlib.sha256(key + b"\0" + purpose.encode()).digest()

    def _mac(self, payload: str) -> str:
        digest = hmac.new(self._key, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def sign(self, value: str, now: float | None = None) -> str:
        payload = f"{value}.{int(now if now is not None else time.time())}"
        return f"{payload}.{self._mac(payload)}"

    def unsign(self, signed: str, max_age: float, now: float | None = None) -> str | None:
        payload, _, mac = signed.rpartition(".")
        value, _, stamp = payload.rpartition(".")
        if not payload or not hmac.compare_digest(mac.encode(), self._mac(payload).encode()):
            return None
        if not stamp.isdigit():
            return None
        age = (now if now is not None else time.time()) - int(stamp)
        return value if -60 <= age <= max_age else None


@dataclass
class Session:
    id: str
    user_id: int
    user_name: str
    created: float
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    access_token: str = field(default="", repr=False)
    avatar_url: str = ""
    local: bool = False  # `sohbet web --local`: the console's user, no Discord
    # The member's guilds as Discord last told us (id -> data) and when.
    guilds: dict[int, dict[str, Any]] = field(default_factory=dict, repr=False)
    guilds_at: float = 0.0
    flash: list[str] = field(default_factory=list)  # shown once, on the next page


class SessionStore:
    """Sessions by id; each ends `lifetime` seconds after login, or at logout."""

    def __init__(self, lifetime: float) -> None:
        self.lifetime = lifetime
        self._sessions: dict[str, Session] = {}

    def create(self, user_id: int, user_name: str, **extra: Any) -> Session:
        self._expire()
        session = Session(secrets.token_urlsafe(32), user_id, user_name, time.time(), **extra)
        self._sessions[session.id] = session
        return session

    def get(self, session_id: str) -> Session | None:
        session = self._sessions.get(session_id)
        if session is None:
            return None
        if time.time() - session.created > self.lifetime:
            self._sessions.pop(session_id, None)
            return None
        return session

    def end(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)

    def _expire(self) -> None:
        now = time.time()
        for key in [k for k, s in self._sessions.items() if now - s.created > self.lifetime]:
            del self._sessions[key]


class RateLimiter:
    """At most `limit` events per `window` seconds per key (e.g. login attempts per address)."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._events: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        events = self._events.setdefault(key, deque())
        while events and now - events[0] > self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        if len(self._events) > 10_000:  # forget idle addresses
            self._events = {k: v for k, v in self._events.items() if v}
        return True


def safe_next(target: str | None, default: str = "/servers") -> str:
    """A redirect target only when it is a path on this site ("/servers/1"); anything that
    could leave it ("//evil", "https://...", "/\\evil", control characters) gives `default`."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(c) < 0x20 or c == "\\" for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def client_address(peer: str | None, forwarded_for: str | None, proxies: Sequence[Network]) -> str:
    """Who is on the other end, for per-client limits. The connection's address, unless it is
    one of our reverse `proxies`; then X-Forwarded-For read from the right (each proxy appends
    the address it saw), skipping our proxies: the first other address is the client. Hops
    further left were written by the client itself and can't be trusted."""
    if not peer or not _is_proxy(peer, proxies) or not forwarded_for:
        return peer or "unknown"
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_proxy(hop, proxies):
            return hop if _is_address(hop) else peer
    return hops[0] if hops and _is_address(hops[0]) else peer


def _is_address(text: str) -> bool:
    try:
        ip_address(text)
    except ValueError:
        return False
    return True


def _is_proxy(text: str, proxies: Sequence[Network]) -> bool:
    try:
        address = ip_address(text)
    except ValueError:
        return False
    return any(address in network for network in proxies)
