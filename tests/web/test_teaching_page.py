"""The dashboard's Teaching page: lists what a server taught and changes it through the teach
plugin's own commands (admin check, CSRF, audit); nothing of another server shows or moves."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.app import App, build_app
from bot.config import Config
from bot.teaching import TeachingService
from plugins.admin import AdminPlugin
from plugins.sentiment import SentimentPlugin
from plugins.teach import TeachPlugin
from tests.conftest import isolate_environment, migrated_sqlite
from tests.web.conftest import ADMIN, BOT_TOKEN, GUILD_A, GUILD_B, MEMBER, Site

A = f"/servers/{GUILD_A}"


@pytest.fixture
async def core(
    fast_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path
) -> AsyncIterator[App]:
    isolate_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", BOT_TOKEN)
    data = fast_dir / "data"
    migrated_sqlite(sqlite_template, data / "sohbet.db")
    app = await build_app(
        Config(data_dir=data), plugins=[AdminPlugin(), TeachPlugin(), SentimentPlugin()]
    )
    yield app
    await app.close()


async def page(site: Site, path: str = f"{A}/teaching") -> str:
    response = await site.client.get(path)
    assert response.status == 200, response.status
    return html.unescape(await response.text())


async def test_admins_teach_list_edit_and_remove_on_the_page(site: Site) -> None:
    await site.login(ADMIN)
    assert "No classifier of this server's own yet" in await page(site)
    teaching = site.core.services.get("teaching", TeachingService)

    await site.post(f"{A}/teaching/example", {"text": "that clutch was sick", "label": "positive"})
    await site.post(
        f"{A}/teaching/glossary", {"source": "raid", "target": "baskın", "from": "en", "to": "tr"}
    )
    await site.post(f"{A}/teaching/answer", {"question": "When is the raid?", "answer": "Fridays."})
    await site.post(f"{A}/teaching/persona", {"member_says": "gg", "bot_says": "gg wp!"})
    shown = await page(site)
    for text in ("that clutch was sick", "baskın", "When is the raid?", "gg wp!"):
        assert text in shown, text

    answer = (await teaching.repo.answers(GUILD_A))[0]
    await site.post(
        f"{A}/teaching/edit-answer", {"item": str(answer.id), "answer": "Saturdays at nine."}
    )
    assert (await teaching.repo.answers(GUILD_A))[0].answer == "Saturdays at nine."
    term = (await teaching.repo.terms(GUILD_A))[0]
    await site.post(f"{A}/teaching/remove", {"what": "glossary", "item": str(term.id)})
    assert await teaching.repo.terms(GUILD_A) == []
    actions = [a.action for a in await site.core.store.audit.recent(GUILD_A, 20)]
    assert {"teach.sentiment.add", "teach.answer.edit", "teach.term.remove"} <= set(actions)

    # Another server's item can't be removed from this server's page.
    await site.post(f"/servers/{GUILD_B}/teaching/answer", {"question": "q", "answer": "a"})
    other = await teaching.repo.answers(GUILD_B)
    await site.post(
        f"{A}/teaching/remove", {"what": "answers", "item": str(other[0].id)} if other else {}
    )
    assert await teaching.repo.answers(GUILD_B) == other


async def test_a_bad_csv_is_refused_row_by_row_and_nothing_is_stored(site: Site) -> None:
    await site.login(ADMIN)
    form = aiohttp.FormData()
    form.add_field("csrf", await site.csrf(f"{A}/teaching"))
    form.add_field("task", "sentiment")
    form.add_field("file", b"text,label\nok text,positive\n,negative\n", filename="x.csv")
    await site.client.post(f"{A}/teaching/import", data=form, allow_redirects=False)
    shown = await page(site)
    assert "Nothing was imported" in shown and "Row 3: the text is empty." in shown
    teaching = site.core.services.get("teaching", TeachingService)
    assert await teaching.repo.example_counts(GUILD_A, "sentiment") == {}


async def test_members_and_forged_forms_are_refused(site: Site) -> None:
    await site.login(MEMBER)
    assert (await site.client.get(f"{A}/teaching")).status == 403
    await site.login(ADMIN)
    forged = await site.post(f"{A}/teaching/train", csrf=False)
    assert forged.status == 403
    assert (await site.post(f"{A}/teaching/nonsense")).status == 404
