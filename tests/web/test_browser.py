"""The dashboard in a real browser (Debian's headless Chromium through Selenium): log in with
(fake) Discord, change a setting, upload a document and watch its progress, read the usage
chart, download and delete my data.

Screenshots go to $SOHBET_DASHBOARD_SCREENSHOTS when set (docs/dashboard/ holds the ones the
documentation shows), else to the test's temporary folder.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp.test_utils import TestServer

from bot.app import App
from bot.core.events import ConversationKey
from bot.web import create_dashboard
from bot.web.base import DASHBOARD
from tests.web.conftest import ADMIN, GENERAL, GUILD_A, web_settings
from tests.web.fake_discord import FakeDiscord

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
)
T = TypeVar("T")
SHOTS = os.environ.get("SOHBET_DASHBOARD_SCREENSHOTS")  # read before fixtures clear SOHBET_*


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture
def browser(downloads: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1200,1000",
        "--disable-gpu",
        "--no-first-run",
    ):
        options.add_argument(arg)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(SHOTS).resolve() if SHOTS else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def base_url(core: App, discord: FakeDiscord) -> AsyncIterator[str]:
    server = TestServer(create_dashboard(core, web_settings(discord)), host="127.0.0.1")
    await server.start_server()
    url = str(server.make_url("")).rstrip("/")
    server.app[DASHBOARD].settings.base_url = url
    yield url
    await server.close()


async def off_loop(call: Callable[..., T], *args: Any) -> T:
    """Selenium blocks: run it in a thread while the event loop serves the pages."""
    return await asyncio.to_thread(call, *args)


async def wait_for(check: Callable[[], Any], within: float = 20.0) -> Any:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            found = await off_loop(check)
        except (NoSuchElementException, StaleElementReferenceException):
            found = None  # the page is changing
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("timed out waiting in the browser")


async def test_an_admin_uses_the_dashboard_in_chromium(
    browser: Any,
    base_url: str,
    core: App,
    discord: FakeDiscord,
    downloads: Path,
    shots: Path,
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By

    def find(css: str) -> Any:
        return browser.find_element(By.CSS_SELECTOR, css)

    # Some history for the usage chart and "My data".
    today = datetime.now(UTC).date()
    for days_ago, tokens in [(0, 1800), (1, 2600), (2, 900), (5, 3200), (9, 1500), (16, 700)]:
        await core.store.usage.add(
            GUILD_A, ADMIN, tokens // 2, tokens // 2, day=today - timedelta(days=days_ago)
        )
    await core.store.conversations.append(
        ConversationKey(GUILD_A, f"user:{ADMIN}:chan:{GENERAL}"),
        "user",
        "Hello Sohbet!",
        author_id=ADMIN,
        author_name="Ada",
    )
    ai = type(core.registry.get("ai"))
    await core.services.settings.set(
        ai, "daily_server_tokens", 3000, server_id=GUILD_A, actor_id=ADMIN
    )

    # Log in with Discord
    discord.next_user = ADMIN
    await off_loop(browser.get, f"{base_url}/")
    await off_loop(browser.save_screenshot, str(shots / "login.png"))
    await off_loop(lambda: find("#login").click())
    await wait_for(lambda: browser.current_url.endswith("/servers"))
    assert "Ada" in await off_loop(lambda: find("#user-name").text)
    await off_loop(browser.save_screenshot, str(shots / "servers.png"))

    # Change a setting (and see a refusal next to its field first)
    await off_loop(browser.get, f"{base_url}/servers/{GUILD_A}/plugins/chat")

    def type_into(css: str, text: str) -> None:
        field = find(css)
        field.clear()
        field.send_keys(text)

    await off_loop(type_into, "#f-history_turns", "999")
    await off_loop(lambda: find("#save").click())
    error = await wait_for(lambda: browser.find_elements(By.ID, "error-history_turns"))
    assert "200" in await off_loop(lambda: error[0].text)
    await off_loop(browser.save_screenshot, str(shots / "settings-error.png"))
    await off_loop(type_into, "#f-history_turns", "12")
    await off_loop(lambda: find("#save").click())
    await wait_for(lambda: "Saved 1 setting" in find("main").text)
    chat = type(core.registry.get("chat"))
    assert (await core.services.settings.values(chat, GUILD_A))["history_turns"] == 12
    await off_loop(browser.save_screenshot, str(shots / "settings.png"))

    # Upload a document and watch its progress
    core.router.cooldowns.check = lambda *a: None  # type: ignore[method-assign]
    manual = tmp_path / "kettle-manual.txt"
    manual.write_text(
        "Kettle manual\n\n"
        + "\n\n".join(
            f"Section {i}. Descale the kettle once a month; rinse it {i} times." for i in range(60)
        )
    )
    await off_loop(browser.get, f"{base_url}/servers/{GUILD_A}/documents")
    await off_loop(lambda: find("#file").send_keys(str(manual)))
    await off_loop(lambda: find("#upload").click())
    seen: list[int] = []

    def progress() -> bool:
        # The state first: the page sets the bar before the state, so a "done" read here is
        # always followed by the bar's final value (the other order raced under load).
        state = find("#upload-form").get_attribute("data-state")
        seen.append(int(find("#upload-progress").get_attribute("value") or 0))
        return state in ("done", "failed")

    await wait_for(progress, within=60)
    assert find("#upload-form").get_attribute("data-state") == "done", find("#upload-message").text
    assert max(seen) == 100
    await off_loop(browser.save_screenshot, str(shots / "documents-upload.png"))
    await wait_for(lambda: "kettle-manual.txt" in find("#documents").text)
    await off_loop(browser.save_screenshot, str(shots / "documents.png"))
    assert [d.name for d in await core.store.documents.list(GUILD_A)] == ["kettle-manual.txt"]

    # Read the usage chart
    await off_loop(browser.get, f"{base_url}/servers/{GUILD_A}/usage")
    bars = await off_loop(
        lambda: [
            (
                b.get_attribute("data-day"),
                int(b.get_attribute("data-tokens")),
                "over" in b.get_attribute("class"),
            )
            for b in browser.find_elements(By.CSS_SELECTOR, "#usage-chart rect.bar")
        ]
    )
    assert len(bars) == 30
    assert bars[-1] == (today.strftime("%m-%d"), 1800, False)
    assert bars[-6] == ((today - timedelta(days=5)).strftime("%m-%d"), 3200, True)
    height = await off_loop(
        lambda: browser.find_elements(By.CSS_SELECTOR, "#usage-chart rect.bar")[-6].size["height"]
    )
    assert height > 0  # drawn, not only in the markup
    await off_loop(browser.save_screenshot, str(shots / "usage.png"))

    # Audit log: the web change, by this admin
    await off_loop(browser.get, f"{base_url}/servers/{GUILD_A}/audit?plugin=chat")
    assert "chat.history_turns" in await off_loop(lambda: find("#audit").text)
    await off_loop(browser.save_screenshot, str(shots / "audit.png"))

    # Download and delete my data
    await off_loop(browser.get, f"{base_url}/me")
    await off_loop(browser.save_screenshot, str(shots / "mydata.png"))
    await off_loop(lambda: find("#download").click())
    exported = await wait_for(lambda: [p for p in downloads.glob("*.json")], within=20)
    data = json.loads(exported[0].read_text())
    assert "Hello Sohbet!" in json.dumps(data)  # the same export as /privacy export
    assert len(data["plugins"]["docs"]["documents"]) == 1
    assert len(data["core"]["token_usage_per_day"]) == 6
    await off_loop(lambda: find("#confirm-all").click())
    # Ada's document answers everyone's questions: the form asks what becomes of it.
    assert "Other members ask Sohbet" in await off_loop(lambda: find("#documents-choice").text)
    await off_loop(lambda: find("#delete-all-button").click())  # no choice: the browser asks
    assert await off_loop(
        browser.execute_script, "return !document.getElementById('delete-all').checkValidity()"
    )
    assert len(await core.store.documents.list(GUILD_A)) == 1
    await wait_for(lambda: find("#documents-delete").click() or True)
    await off_loop(lambda: find("#delete-all-button").click())
    await wait_for(lambda: "Deleted:" in find("main").text)
    row = await off_loop(lambda: find("#my-data tbody tr").text)
    assert row.startswith("Alpha 0 0 0 2")  # audit entries stay, their values erased
    assert "Deleted:" in await off_loop(lambda: find("main").text)
    assert await core.store.documents.list(GUILD_A) == []
    await off_loop(browser.save_screenshot, str(shots / "mydata-deleted.png"))
