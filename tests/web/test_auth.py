"""Logging in with (fake) Discord, sessions, CSRF, redirects, rate limits, headers."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import ValidationError

from bot.web import WebSettings
from bot.web.security import Signer, safe_next
from tests.web.conftest import ADMIN, GUILD_A, MEMBER, Site, StartSite, state_of
from tests.web.fake_discord import CLIENT_SECRET

ADMIN_PAGES = [
    f"/servers/{GUILD_A}/plugins",
    f"/servers/{GUILD_A}/plugins/ai",
    f"/servers/{GUILD_A}/documents",
    f"/servers/{GUILD_A}/usage",
    f"/servers/{GUILD_A}/audit",
]


async def test_without_a_session_every_page_sends_to_login(site: Site) -> None:
    for path in ["/servers", "/me", "/me/export.json", *ADMIN_PAGES]:
        response = await site.client.get(path, allow_redirects=False)
        assert response.status == 303, path
        assert response.headers["Location"].startswith("/?next=/"), path
    for path in ["/logout", "/me/delete", f"/servers/{GUILD_A}/plugins/chat/enabled"]:
        response = await site.client.post(path, data={}, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"].startswith("/?next="), path
    page = await site.client.get("/")
    assert 'href="/login?next=/servers"' in await page.text()


async def test_login_with_discord_lands_on_next_with_a_safe_cookie(site: Site) -> None:
    start = await site.client.get("/login?next=/me", allow_redirects=False)
    location = start.headers["Location"]
    assert location.startswith(f"{site.discord.url}/oauth2/authorize?")
    assert "scope=identify+guilds" in location and state_of(location)
    assert parse_qs(urlsplit(location).query)["redirect_uri"] == [
        f"{site.dash.settings.base_url}/auth/callback"
    ]
    response = await site.login(ADMIN, "/me")
    assert response.status == 303 and response.headers["Location"] == "/me"
    cookie = next(c for c in response.headers.getall("Set-Cookie") if "sohbet_session=" in c)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    page = await site.client.get("/me")
    assert page.status == 200 and "Ada" in await page.text()


async def test_wrong_or_missing_state_is_refused(site: Site) -> None:
    start = await site.client.get("/login", allow_redirects=False)
    state = state_of(start.headers["Location"])
    code = site.discord.code_for(ADMIN)
    wrong = await site.client.get(
        f"/auth/callback?code={code}&state=x{state}", allow_redirects=False
    )
    assert wrong.status == 400
    # Another browser (no login cookie) with the right state: refused as well.
    site.client.session.cookie_jar.clear()
    stolen = await site.client.get(
        f"/auth/callback?code={code}&state={state}", allow_redirects=False
    )
    assert stolen.status == 400
    assert (await site.client.get("/servers", allow_redirects=False)).status == 303


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "servers",
    ],
)
async def test_next_pointing_elsewhere_is_ignored(site: Site, target: str) -> None:
    from urllib.parse import quote

    response = await site.login(ADMIN, quote(target, safe=""))
    assert response.headers["Location"] == "/servers"


def test_safe_next_keeps_only_local_paths() -> None:
    assert safe_next("/servers/1/plugins?channel=2") == "/servers/1/plugins?channel=2"
    for bad in ["//x", "/\\x", "http://x", "/a\nb", "", None, "x"]:
        assert safe_next(bad) == "/servers"


def test_signatures_refuse_tampering_and_age() -> None:
    signer = Signer(b"k" * 32, "session")
    signed = signer.sign("abc", now=1000)
    assert signer.unsign(signed, 60, now=1010) == "abc"
    assert signer.unsign(signed, 60, now=2000) is None
    assert signer.unsign(signed.replace("abc", "abd"), 60, now=1010) is None
    assert Signer(b"x" * 32, "session").unsign(signed, 60, now=1010) is None
    assert Signer(b"k" * 32, "oauth").unsign(signed, 60, now=1010) is None


async def test_logout_needs_csrf_and_ends_the_session(site: Site) -> None:
    await site.login(ADMIN)
    assert (await site.post("/logout", csrf=False)).status == 403
    assert (
        await site.client.post("/logout", data={"csrf": "nope"}, allow_redirects=False)
    ).status == 403
    assert (await site.post("/logout")).status == 303
    assert (await site.client.get("/servers", allow_redirects=False)).status == 303


async def test_sessions_expire(site: Site) -> None:
    await site.login(ADMIN)
    assert (await site.client.get("/servers", allow_redirects=False)).status == 200
    site.dash.sessions.lifetime = 0
    assert (await site.client.get("/servers", allow_redirects=False)).status == 303


async def test_a_forged_cookie_is_no_session(site: Site) -> None:
    await site.login(ADMIN)
    site.client.session.cookie_jar.clear()
    site.client.session.cookie_jar.update_cookies({"sohbet_session": "x.1.forged"})
    assert (await site.client.get("/servers", allow_redirects=False)).status == 303


async def test_login_is_rate_limited(site: Site) -> None:
    statuses = [(await site.client.get("/login", allow_redirects=False)).status for _ in range(12)]
    assert statuses[:10] == [303] * 10 and statuses[10:] == [429, 429]


async def test_security_headers_and_no_inline_script(site: Site) -> None:
    await site.login(ADMIN)
    for path in ["/", "/servers", "/me", *ADMIN_PAGES, "/servers/9/plugins"]:
        response = await site.client.get(path, allow_redirects=False)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        body = await response.text()
        assert "<script>" not in body and " on" + "click=" not in body


async def test_secrets_stay_out_of_pages_and_logs(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await site.login(ADMIN)
    token = next(iter(site.discord.tokens))
    bodies = [await (await site.client.get(p)).text() for p in ["/servers", "/me", *ADMIN_PAGES]]
    for secret in (CLIENT_SECRET, token, "bot-token-for-tests"):
        assert all(secret not in body for body in bodies)
        assert secret not in caplog.text


async def test_secure_cookies_behind_https(site: Site) -> None:
    site.dash.settings.base_url = "https://dash.example.org"
    start = await site.client.get("/login", allow_redirects=False)
    cookie = start.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    assert query["redirect_uri"] == ["https://dash.example.org/auth/callback"]


async def test_servers_lists_managed_servers_with_the_bots_status(site: Site) -> None:
    await site.login(ADMIN)
    page = await (await site.client.get("/servers")).text()
    assert "Alpha" in page and f"/servers/{GUILD_A}/plugins" in page
    assert "Gamma" in page and "Sohbet is not in this server" in page
    assert "Beta" not in page  # a member there, without Manage Server
    await site.post("/logout")
    await site.login(MEMBER)
    page = await (await site.client.get("/servers")).text()
    assert "Alpha" not in page and "manage any server Sohbet is in" in page


async def _login_statuses(site: Site, forwarded_for: str | None, times: int) -> list[int]:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return [
        (await site.client.get("/login", headers=headers, allow_redirects=False)).status
        for _ in range(times)
    ]


async def test_behind_a_trusted_proxy_the_login_limit_is_per_client(
    start_site: StartSite,
) -> None:
    """The docs put the dashboard behind a reverse proxy: every request then comes from the
    proxy's address, and one client's attempts must not lock everyone out."""
    site = await start_site(trusted_proxies="127.0.0.1, 10.0.0.0/8")
    assert await _login_statuses(site, "203.0.113.5", 11) == [303] * 10 + [429]
    assert await _login_statuses(site, "203.0.113.6", 1) == [303]  # another member
    # what the client wrote itself (left of what our proxies added) changes nothing
    assert await _login_statuses(site, "198.51.100.1, 203.0.113.5", 1) == [429]
    # two proxies: the first address our proxies didn't add is the client
    assert await _login_statuses(site, "203.0.113.5, 10.1.2.3", 1) == [429]


async def test_forwarded_for_from_anyone_else_is_ignored(site: Site) -> None:
    spoofed = [
        (
            await site.client.get(
                "/login", headers={"X-Forwarded-For": f"203.0.113.{n}"}, allow_redirects=False
            )
        ).status
        for n in range(12)
    ]
    assert spoofed == [303] * 10 + [429, 429]


def test_trusted_proxies_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOHBET_WEB_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8,::1")
    assert [str(n) for n in WebSettings().trusted_proxies] == [
        "127.0.0.1/32",
        "10.0.0.0/8",
        "::1/128",
    ]
    monkeypatch.setenv("SOHBET_WEB_TRUSTED_PROXIES", "my-proxy")
    with pytest.raises(ValidationError, match="SOHBET_WEB_TRUSTED_PROXIES"):
        WebSettings()


async def test_a_rejected_bot_token_is_not_a_logged_out_member(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    """A reset or mistyped DISCORD_TOKEN: Discord answers 401 to the bot. The member's own
    login is fine, so they stay logged in, and admins read what is wrong."""
    site.discord.bot_token = "reset-in-the-developer-portal"
    response = await site.login(ADMIN)
    assert response.headers["Location"] == "/servers"
    for path in ["/servers", *ADMIN_PAGES]:
        page = await site.client.get(path, allow_redirects=False)
        assert page.status == 503, path  # not a redirect to the login page
        assert "bot&#39;s token is rejected by Discord" in await page.text(), path
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    mine = await site.client.get("/me", allow_redirects=False)
    assert mine.status == 200  # still logged in
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "Discord rejected DISCORD_TOKEN" in errors[0]  # once, not per page
    assert "reset-in-the-developer-portal" not in caplog.text
    # the member's own token revoked: that session ends, as before
    site.discord.bot_token = "bot-token-for-tests"
    site.discord.tokens.clear()
    response = await site.client.get("/servers", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/"
