"""A small aiohttp server for probes and scraping: /healthz, /readyz and /metrics.

/healthz answers 200 while the event loop is alive (a blocked loop answers nothing, which is
what a liveness probe should see). /readyz runs every readiness check concurrently, each with a
timeout, and answers 200 when all pass, else 503; the body says which check failed and why.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from bot.core.errors import SohbetError
from bot.logs import mask_sensitive

__all__ = ["Check", "CheckResult", "HealthServer", "MetricsPortUnavailable", "run_checks"]

# A readiness check returns normally when its dependency works and raises when it doesn't.
Check = Callable[[], Awaitable[None]]
CheckResult = dict[str, Any]


class MetricsPortUnavailable(SohbetError):
    """The health/metrics port can't be opened (in use, or a host this machine doesn't have)."""

    def __init__(self, host: str, port: int, error: OSError) -> None:
        super().__init__(
            f"Can't serve health checks and metrics on {host}:{port} ({error.strerror or error}). "
            "Choose another SOHBET_METRICS_PORT (or SOHBET_METRICS_HOST), or stop what uses it."
        )


def _reason(error: BaseException) -> str:
    """A short, masked explanation for operators (never a password or token)."""
    reason = getattr(error, "reason", None)
    text = reason if isinstance(reason, str) and reason else str(error) or type(error).__name__
    return mask_sensitive(f"{type(error).__name__}: {text.splitlines()[0] if text else ''}")[:200]


async def _run_check(check: Check, within: float) -> CheckResult:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check(), within)
    except TimeoutError:
        return {"ok": False, "error": f"no answer within {within:g} s"}
    except Exception as exc:
        return {"ok": False, "error": _reason(exc)}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


async def run_checks(checks: Mapping[str, Check], within: float = 3.0) -> tuple[bool, CheckResult]:
    """Run all checks at once, each limited to `within` s: (all passed, result per check)."""
    names = list(checks)
    results = await asyncio.gather(*(_run_check(checks[n], within) for n in names))
    by_name = dict(zip(names, results, strict=True))
    return all(r["ok"] for r in results), by_name


class HealthServer:
    """Serves the probes and the metrics on host:port (port 0 picks a free port)."""

    def __init__(
        self,
        *,
        render_metrics: Callable[[], bytes],
        metrics_content_type: str,
        checks: Mapping[str, Check] | Callable[[], Mapping[str, Check]],
        host: str = "127.0.0.1",
        port: int = 9108,
        check_timeout: float = 3.0,
    ) -> None:
        self.render_metrics = render_metrics
        self.metrics_content_type = metrics_content_type
        # A mapping, or a function returning one per request (services registered later count).
        self.checks = checks
        self.host = host
        self.port = port
        self.check_timeout = check_timeout
        self.started_at = time.monotonic()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        try:
            sock = socket.create_server((self.host, self.port), family=family)
        except OSError as exc:
            raise MetricsPortUnavailable(self.host, self.port, exc) from exc
        self.port = int(sock.getsockname()[1])
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
        except BaseException:
            await runner.cleanup()
            sock.close()
            raise
        self._runner = runner

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _healthz(self, _request: web.Request) -> web.Response:
        uptime = round(time.monotonic() - self.started_at, 1)
        return _json(200, {"status": "ok", "uptime_seconds": uptime})

    async def _readyz(self, _request: web.Request) -> web.Response:
        checks = self.checks() if callable(self.checks) else self.checks
        ready, results = await run_checks(checks, self.check_timeout)
        return _json(
            200 if ready else 503,
            {"status": "ready" if ready else "unavailable", "checks": results},
        )

    async def _metrics(self, _request: web.Request) -> web.Response:
        # Collection reads /proc for the process metrics: keep that file IO off the loop.
        body = await asyncio.to_thread(self.render_metrics)
        response = web.Response(body=body)
        response.headers["Content-Type"] = self.metrics_content_type
        return response


def _json(status: int, data: dict[str, Any]) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(data),
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )
