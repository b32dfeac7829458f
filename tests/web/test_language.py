"""The dashboard speaks the browser's language (Accept-Language) or the member's choice (the
language menu's cookie); a form's result and a plugin's settings follow it."""

from __future__ import annotations

from tests.web.conftest import ADMIN, GUILD_A, Site

A = f"/servers/{GUILD_A}"


async def test_login_page_follows_accept_language(site: Site) -> None:
    english = await site.client.get("/")
    assert 'lang="en"' in await english.text()
    assert "Log in with Discord" in await english.text()
    turkish = await site.client.get("/", headers={"Accept-Language": "tr-TR,tr;q=0.9,en;q=0.5"})
    page = await turkish.text()
    assert '<html lang="tr">' in page and turkish.headers["Content-Language"] == "tr"
    assert "Discord ile giriş yapın" in page and "Sohbet paneli" in page
    assert "Accept-Language" in turkish.headers["Vary"]
    french = await site.client.get("/", headers={"Accept-Language": "fr-FR, de;q=0.3"})
    assert '<html lang="de">' in await french.text()  # the best language Sohbet speaks


async def test_the_members_choice_wins_and_never_redirects_elsewhere(site: Site) -> None:
    await site.login(ADMIN)
    chosen = await site.client.get(
        f"/language?lang=tr&next={A}/plugins", allow_redirects=False
    )
    assert chosen.status == 303 and chosen.headers["Location"] == f"{A}/plugins"
    page = await (await site.client.get(f"{A}/plugins", headers={"Accept-Language": "en"})).text()
    assert "<h1>Eklentiler</h1>" in page
    assert "Bu sunucu için model seçimi ve günlük token bütçeleri" in page  # ai's description
    assert "Kapat" in page  # the buttons
    settings = await (await site.client.get(f"{A}/plugins/core")).text()
    assert "Üyenin uygulaması kendi dilini bildirmediğinde" in settings  # core.language
    saved = await site.post(f"{A}/plugins/ai", {"daily_user_tokens": "5"})
    assert saved.status == 303
    assert "1 ayar kaydedildi." in await (await site.client.get(saved.headers["Location"])).text()
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        away = await site.client.get(f"/language?lang=tr&next={target}", allow_redirects=False)
        assert away.headers["Location"] == "/"
    back = await site.client.get("/language?lang=en&next=/servers", allow_redirects=False)
    assert back.status == 303
    servers = await (await site.client.get("/servers")).text()
    assert "Your servers" in servers
