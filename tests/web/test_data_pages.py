"""Documents (upload with progress, delete), usage chart, audit filters, and "My data"."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta

import aiohttp

from bot.core.events import ConversationKey
from bot.providers import AIProviders
from tests.web.conftest import ADMIN, GENERAL, GUILD_A, GUILD_B, MEMBER, Site

A = f"/servers/{GUILD_A}"
NOTES = (
    "Kettle care\n\nDescale the Zephyr kettle once a month with citric acid. Fill it half way, "
    "boil and rinse three times. The warranty lasts 24 months with a receipt.\n"
)


async def upload(site: Site, name: str, data: bytes, channel: int = 0) -> dict[str, object]:
    form = aiohttp.FormData()
    form.add_field("csrf", await site.csrf())
    form.add_field("channel", str(channel))
    form.add_field("file", data, filename=name, content_type="text/plain")
    response = await site.client.post(
        f"{A}/documents", data=form, headers={"Accept": "application/json"}
    )
    assert response.status == 200, await response.text()
    job: dict[str, object] = await response.json()
    for _ in range(200):
        polled = await site.client.get(f"{job['url']}?format=json")
        job = {**await polled.json(), "url": job["url"]}
        if job["status"] != "running":
            return job
        await asyncio.sleep(0.05)
    raise AssertionError("the upload never finished")


async def test_upload_shows_progress_then_lists_and_deletes_the_document(site: Site) -> None:
    site.core.router.cooldowns.check = lambda *a: None  # type: ignore[method-assign]
    await site.login(ADMIN)
    job = await upload(site, "kettle.txt", NOTES.encode(), channel=GENERAL)
    assert job["status"] == "done" and job["percent"] == 100, job
    assert "kettle.txt" in str(job["message"])
    page = await (await site.client.get(f"{A}/documents")).text()
    assert "kettle.txt" in page and "#general" in page
    assert f'<span class="who" title="id {ADMIN}">Ada</span>' in page  # the uploader, by name
    # without JavaScript: the job's own page, refreshing itself while it runs
    html = await (await site.client.get(str(job["url"]))).text()
    assert 'id="job-progress" max="100" value="100"' in html
    # the same file again: refused by the docs plugin, and said so
    again = await upload(site, "copy.txt", NOTES.encode())
    assert again["status"] == "failed" and "already" in str(again["message"]).lower()
    docs = await site.core.store.documents.list(GUILD_A)
    assert len(docs) == 1
    # Deleting is asked first: the list links to a page that says what goes.
    confirm = f"{A}/documents/{docs[0].id}/delete"
    assert f'href="{confirm}"' in await (await site.client.get(f"{A}/documents")).text()
    page = await (await site.client.get(confirm)).text()
    assert "Delete kettle.txt?" in page and "can&#39;t be undone" in page
    response = await site.post(confirm)  # a form without the confirmation: asked again
    assert response.status == 303 and response.headers["Location"] == confirm
    assert len(await site.core.store.documents.list(GUILD_A)) == 1
    response = await site.post(confirm, {"confirm": "yes"})
    assert response.status == 303
    assert await site.core.store.documents.list(GUILD_A) == []
    assert "Deleted kettle.txt" in await (await site.client.get(f"{A}/documents")).text()


async def test_several_files_in_one_upload_have_one_progress_view(site: Site) -> None:
    await site.login(ADMIN)  # the command's cooldown stays on: one upload, one use of it
    form = aiohttp.FormData()
    form.add_field("csrf", await site.csrf())
    form.add_field("channel", "0")
    for i in range(3):
        text = f"Note {i}: the kettle {i} is descaled on day {i + 3}.\n"
        form.add_field("file", text.encode(), filename=f"note{i}.txt", content_type="text/plain")
    form.add_field("file", b"\x00\x01" * 40, filename="bad.txt", content_type="text/plain")
    response = await site.client.post(
        f"{A}/documents", data=form, headers={"Accept": "application/json"}
    )
    job: dict[str, object] = await response.json()
    assert job["name"] == "4 files"
    for _ in range(400):
        job = await (await site.client.get(f"{job['url']}?format=json")).json() | {
            "url": job["url"]
        }
        if job["status"] != "running":
            break
        await asyncio.sleep(0.05)
    assert job["status"] == "done" and job["percent"] == 100, job
    assert "Added 3 documents (3 chunks)" in str(job["message"]), job
    names = sorted(d.name for d in await site.core.store.documents.list(GUILD_A))
    assert names == ["note0.txt", "note1.txt", "note2.txt"]


async def test_a_document_of_another_server_cannot_be_deleted_here(site: Site) -> None:
    site.core.router.cooldowns.check = lambda *a: None  # type: ignore[method-assign]
    await site.login(ADMIN)
    await upload(site, "kettle.txt", NOTES.encode())
    doc = (await site.core.store.documents.list(GUILD_A))[0]
    # GUILD_B is a server where ADMIN is a plain member: refused whatever the document
    assert (await site.post(f"/servers/{GUILD_B}/documents/{doc.id}/delete")).status == 403
    assert len(await site.core.store.documents.list(GUILD_A)) == 1
    # nor can someone else poll the job
    assert (await site.client.get(f"{A}/documents/jobs/nope?format=json")).status == 404


async def test_usage_chart_against_the_budget(site: Site) -> None:
    usage = site.core.store.usage
    today = datetime.now(UTC).date()
    await usage.add(GUILD_A, ADMIN, 100, 50, day=today)
    await usage.add(GUILD_A, MEMBER, 900, 300, day=today - timedelta(days=3))
    await usage.add(GUILD_A, MEMBER, 5, 5, day=today - timedelta(days=45))  # too old
    await usage.add(GUILD_B, MEMBER, 7000, 0, day=today)  # another server
    await site.core.store.conversations.append(
        ConversationKey(GUILD_A, "user:502:chan:11"),
        "user",
        "hi",
        author_id=MEMBER,
        author_name="Mo",
    )
    ai = type(site.core.registry.get("ai"))
    await site.core.services.settings.set(
        ai, "daily_server_tokens", 1000, server_id=GUILD_A, actor_id=ADMIN
    )
    await site.login(ADMIN)
    page = await (await site.client.get(f"{A}/usage")).text()
    bars = re.findall(r'class="bar( over)?" [^>]*data-day="([\d-]+)" data-tokens="(\d+)"', page)
    assert len(bars) == 30
    by_day = {day: (int(tokens), bool(over)) for over, day, tokens in bars}
    assert by_day[today.strftime("%m-%d")] == (150, False)
    assert by_day[(today - timedelta(days=3)).strftime("%m-%d")] == (1200, True)
    assert sum(t for t, _ in by_day.values()) == 1350
    assert 'class="budget"' in page and "daily budget 1,000" in page
    members = page[page.index('id="top-members"') :]
    assert members.index(str(MEMBER)) < members.index(str(ADMIN)) and "Mo" in members


async def test_audit_log_filters_by_plugin_and_admin(site: Site) -> None:
    settings = site.core.services.settings
    ai, chat = type(site.core.registry.get("ai")), type(site.core.registry.get("chat"))
    await settings.set(ai, "daily_user_tokens", 10, server_id=GUILD_A, actor_id=ADMIN)
    await settings.set(chat, "history_turns", 7, server_id=GUILD_A, actor_id=777)
    await settings.set_enabled(chat, False, server_id=GUILD_A, actor_id=ADMIN)
    await settings.set(chat, "history_turns", 9, server_id=GUILD_B, actor_id=ADMIN)
    await site.login(ADMIN)

    async def rows(query: str) -> list[str]:
        page = await (await site.client.get(f"{A}/audit{query}")).text()
        return re.findall(
            r"<td>(setting\.set|plugin\.disable)</td>\s*<td><code>([^<]+)</code>", page
        )

    assert len(await rows("")) == 3  # not GUILD_B's change
    assert [t for _, t in await rows("?plugin=chat")] == ["chat", "chat.history_turns"]
    assert [t for _, t in await rows(f"?actor={ADMIN}")] == ["chat", "ai.daily_user_tokens"]
    assert [t for _, t in await rows(f"?plugin=chat&actor={ADMIN}")] == ["chat"]
    assert len(await rows("?plugin=<script>&actor=x")) == 3  # unknown filters: ignored


async def test_my_data_counts_downloads_and_deletes(site: Site) -> None:
    store = site.core.store
    await store.conversations.append(
        ConversationKey(GUILD_A, f"user:{MEMBER}:chan:11"),
        "user",
        "my secret question",
        author_id=MEMBER,
        author_name="Mo",
    )
    await store.conversations.append(
        ConversationKey(0, f"user:{MEMBER}:chan:5"),
        "user",
        "a DM",
        author_id=MEMBER,
        author_name="Mo",
    )
    await store.usage.add(GUILD_A, MEMBER, 10, 20)
    await store.conversations.append(
        ConversationKey(GUILD_A, f"user:{ADMIN}:chan:11"),
        "user",
        "not Mo's",
        author_id=ADMIN,
        author_name="Ada",
    )
    await site.login(MEMBER)
    page = await (await site.client.get("/me")).text()
    assert "Alpha" in page and "Direct messages" in page
    exported = await site.client.get("/me/export.json")
    assert exported.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(await exported.read())  # the same export as /privacy export
    text = json.dumps(data, ensure_ascii=False)
    assert "my secret question" in text and "a DM" in text
    assert data["core"]["token_usage_per_day"][0]["tokens_out"] == 20
    assert "not Mo's" not in text
    # without ticking the box nothing goes
    await site.post("/me/delete", {"scope": str(GUILD_A)})
    kept = json.dumps(await (await site.client.get("/me/export.json")).json())
    assert "my secret question" in kept and "a DM" in kept
    # a server Mo has nothing to do with: refused
    assert (await site.post("/me/delete", {"scope": str(GUILD_B), "confirm": "yes"})).status == 403
    # this server only, then everywhere (DMs too)
    await site.post("/me/delete", {"scope": str(GUILD_A), "confirm": "yes"})
    after = await (await site.client.get("/me/export.json")).json()
    assert "my secret question" not in json.dumps(after) and "a DM" in json.dumps(after)
    assert after["core"]["token_usage_per_day"] == []
    response = await site.post("/me/delete", {"scope": "all", "confirm": "yes"})
    assert response.status == 303
    page = await (await site.client.get("/me")).text()
    assert "Deleted: 1 conversation message" in page and 'id="nothing-stored"' in page
    # the admin's data is untouched
    _summary, turns = await store.conversations.history(
        ConversationKey(GUILD_A, f"user:{ADMIN}:chan:11")
    )
    assert [t.content for t in turns] == ["not Mo's"]


async def test_deleting_my_data_asks_about_documents_others_use(site: Site) -> None:
    """An admin's uploads answer everyone's questions: "Delete all my data" warns, and the
    member chooses to delete them or to leave them, no longer linked to them."""
    site.core.router.cooldowns.check = lambda *a: None  # type: ignore[method-assign]
    await site.login(ADMIN)
    assert (await upload(site, "kettle.txt", NOTES.encode()))["status"] == "done"
    page = await (await site.client.get("/me")).text()
    assert 'id="documents-choice"' in page and "The document you uploaded" in page
    # no choice made: nothing deleted
    await site.post("/me/delete", {"scope": "all", "confirm": "yes"})
    page = await (await site.client.get("/me")).text()
    assert "Choose whether to delete them too or to leave them for the others" in page
    assert len(await site.core.store.documents.list(GUILD_A)) == 1
    # leave them: the document stays, no longer linked to Ada, in the rows and the vectors
    await site.post("/me/delete", {"scope": "all", "confirm": "yes", "documents": "keep"})
    page = await (await site.client.get("/me")).text()
    assert "Kept for the others, no longer linked to you: 1 document." in page
    [doc] = await site.core.store.documents.list(GUILD_A)
    assert doc.uploader_id == 0
    vectors = await site.core.services.get("ai", AIProviders).vectors()
    assert {c.uploader_id for c in await vectors.document_chunks(GUILD_A, doc.id)} == {0}
    page = await (await site.client.get(f"{A}/documents")).text()
    assert "kettle.txt" in page and "no one" in page
    exported = json.dumps(await (await site.client.get("/me/export.json")).json())
    assert "kettle.txt" not in exported
