"""The edit throttle: spacing, Retry-After and back-off, with a fake clock."""

from __future__ import annotations

import discord
import pytest

from bot.platforms.discord.ratelimit import EditThrottle, is_rate_limit, retry_after_of


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _Response:
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.reason = "Too Many Requests"
        self.headers = headers or {}


def _http_429(headers: dict[str, str] | None = None) -> discord.HTTPException:
    return discord.HTTPException(_Response(429, headers), {"message": "rate limited", "code": 0})


def test_edits_are_spaced_by_the_interval():
    clock = FakeClock()
    throttle = EditThrottle(1.0, clock=clock)
    assert throttle.due()
    throttle.sent()
    clock.now = 0.5
    assert not throttle.due() and throttle.wait_time() == pytest.approx(0.5)
    clock.now = 1.0
    assert throttle.due()


def test_retry_after_is_honoured():
    clock = FakeClock()
    throttle = EditThrottle(1.0, clock=clock)
    assert throttle.limited(discord.RateLimited(4.5)) == pytest.approx(4.5)
    clock.now = 4.4
    assert not throttle.due()
    clock.now = 4.5
    assert throttle.due()
    assert throttle.limited(_http_429({"Retry-After": "2.5"})) == pytest.approx(2.5)
    assert throttle.rate_limited == 2


def test_backoff_doubles_without_retry_after_and_resets_after_success():
    throttle = EditThrottle(0.1, clock=FakeClock())
    assert [throttle.limited(_http_429()) for _ in range(3)] == [1.0, 2.0, 4.0]
    throttle.sent()
    assert throttle.limited(_http_429()) == 1.0


def test_rate_limit_detection():
    assert is_rate_limit(discord.RateLimited(1.0))
    assert is_rate_limit(_http_429())
    assert not is_rate_limit(discord.HTTPException(_Response(500), "boom"))
    assert not is_rate_limit(ValueError())
    assert retry_after_of(_http_429({"X-RateLimit-Reset-After": "0.75"})) == 0.75
    assert retry_after_of(_http_429({"Retry-After": "soon"}), fallback=3.0) == 3.0
