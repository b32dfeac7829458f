"""Personal data and secrets never reach the log output, in text or JSON form."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import configure_logging, mask_sensitive

DISCORD_TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0Mw.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"
OPENAI_KEY = "sk-proj-Abcdefghijklmnopqrstuvwx1234567890"


TELEGRAM = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize(
    ("raw", "secret", "placeholder"),
    [
        ("write to ali.veli+bot@example.com.tr today", "ali.veli+bot@example.com.tr", "<email>"),
        ("call +90 532 123 45 67 now", "532 123 45 67", "<phone>"),
        ("call +15551234567 now", "5551234567", "<phone>"),
        ("call 0532 123 45 67 now", "0532 123 45 67", "<phone>"),
        ("call (555) 123-4567 now", "123-4567", "<phone>"),
        ("call 555-123-4567 now", "555-123-4567", "<phone>"),
        ("call 555.123.4567 now", "555.123.4567", "<phone>"),
        ("call 05321234567 now", "05321234567", "<phone>"),
        (f"logging in with {DISCORD_TOKEN}", DISCORD_TOKEN, "<token>"),
        (f"POST https://api.telegram.org/bot{TELEGRAM}/getMe", TELEGRAM, "/bot<token>/"),
        (f"token {TELEGRAM} rejected", TELEGRAM, "token <token> rejected"),
        (f"key={OPENAI_KEY}", "Abcdefghijklmnopqrstuvwx", "***"),
        (f"using {OPENAI_KEY} for chat", OPENAI_KEY, "sk-***"),
        ("Authorization: Bearer eyJhbGciOi.payload12345", "eyJhbGciOi", "***"),
        ("headers={'Authorization': 'Bot abc.def.ghi'}", "abc.def.ghi", "***"),
        ("got bearer abcdef1234567890 back", "abcdef1234567890", "bearer ***"),
        ("postgresql+asyncpg://sohbet:s3cr3t@db:5432/sohbet", "s3cr3t", "sohbet:***@db"),
        ("https://x.example/api?user=a&password=hunter2&page=2", "hunter2", "password=***"),
        ("https://x.example/api?token=abc123&page=2", "abc123", "token=***"),
        ('{"password": "hunter2", "user": "a"}', "hunter2", '"password": "***"'),
    ],
)
def test_masks_personal_data_and_secrets(raw: str, secret: str, placeholder: str) -> None:
    masked = mask_sensitive(raw)
    assert secret not in masked
    assert placeholder in masked


@pytest.mark.parametrize(
    "harmless",
    [
        "user 123456789012345678 in guild 987654321098765432",  # Discord ids
        "at 1700000000 (1700000000123 ms)",  # Unix timestamps
        "on 2024-01-15 12:30:45, took 12.5 ms",
        "from 192.168.10.20 with version 3.11.4",
        "postgresql+asyncpg://sohbet@db:5432/sohbet",  # no password: nothing to hide
        "conversation 100/user:7:chan:10 has 42 turns",
        "rate limited: retry after 1.25 s (429)",
    ],
)
def test_leaves_ordinary_log_text_alone(harmless: str) -> None:
    assert mask_sensitive(harmless) == harmless


def test_text_logs_are_masked_including_arguments_and_exceptions(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    log = logging.getLogger("bot.test")
    log.info("user %s wrote from %s", "ali@example.com", "+44 20 7946 0958")
    try:
        raise RuntimeError(f"login failed for token {DISCORD_TOKEN}")
    except RuntimeError:
        log.exception("discord said no")
    err = capsys.readouterr().err
    assert "ali@example.com" not in err
    assert "7946 0958" not in err
    assert DISCORD_TOKEN not in err
    assert "<email>" in err and "<phone>" in err and "<token>" in err
    assert "RuntimeError: login failed for token <token>" in err  # the traceback survives


def test_json_logs_are_masked(restore_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", json_lines=True)
    log = logging.getLogger("plugins.chat")
    log.warning("openai key %s rejected for %s", OPENAI_KEY, "veli@example.org")
    try:
        raise ValueError("postgresql://u:pa55word@db/x unreachable")
    except ValueError:
        log.error("database", exc_info=True)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert len(lines) == 2
    assert lines[0]["message"] == "openai key sk-*** rejected for <email>"
    assert lines[0]["level"] == "WARNING" and lines[0]["logger"] == "plugins.chat"
    assert "pa55word" not in lines[1]["exception"]
    assert "postgresql://u:***@db/x unreachable" in lines[1]["exception"]


def test_secret_values_from_the_environment_are_masked_verbatim(
    restore_logging: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A secret that no pattern recognises is still hidden, because its value is known.
    monkeypatch.setenv("OPENAI_API_KEY", "plain-looking-value-42")
    masking = configure_logging("INFO", secrets=["another secret value"])
    masking.add_secret("added-later-secret")
    log = logging.getLogger("bot.test")
    log.info("config: %s / %s", "plain-looking-value-42", "another secret value")
    log.info("late: added-later-secret")
    err = capsys.readouterr().err
    assert "plain-looking-value-42" not in err
    assert "another secret value" not in err
    assert "added-later-secret" not in err
    assert err.count("***") == 3


def test_a_broken_format_string_is_still_logged(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    logging.getLogger("bot.test").info("bad %d format for a@b.example", "x")
    err = capsys.readouterr().err
    assert "bad %d format for <email>" in err


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://bot:pa/ss@w0rd@db.example:5432/sohbet",  # `/` and `@` unescaped
        "postgresql://bot:a#b?c;d@db.example/sohbet",
        "postgresql://bot:plain-secret@db.example/sohbet",
    ],
)
def test_passwords_with_unusual_characters_never_show(url: str) -> None:
    from bot.config import mask_url, url_password

    password = url_password(url)
    assert password and password not in mask_url(url)
    assert mask_url(url).startswith("postgresql") and "db.example" in mask_url(url)
    assert password not in mask_sensitive(f"could not connect to {url}: refused")
