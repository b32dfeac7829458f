"""Logging set-up: readable or JSON lines, with personal data and secrets masked everywhere.

Every record that reaches the root handler passes `MaskingFilter` first, which rewrites the
message and any exception text: e-mail addresses, phone numbers, Discord bot tokens, OpenAI-style
keys, bearer/authorization values, passwords in URLs (user:password@ and ?password=) and the exact
values of secret environment variables (DISCORD_TOKEN, OPENAI_API_KEY, ...).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable

__all__ = ["MaskingFilter", "configure_logging", "mask_sensitive"]

# Environment variables whose values are secrets wherever they appear in a log line.
SECRET_ENV_VARS = (
    "DISCORD_TOKEN",
    "TELEGRAM_TOKEN",
    "OPENAI_API_KEY",
    "POSTGRES_PASSWORD",
    "SOHBET_EMBEDDING_API_KEY",
)

_Rule = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]

# Greedy to the last `@` of the URL: a password may hold `/` or `@` unescaped.
_URL_PASSWORD = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)\S*@")
_QUERY_SECRET = re.compile(
    r"(?i)([?&;](?:password|passwd|pwd|pass|token|access_token|api_key|apikey|key|secret)=)"
    r"[^&\s#'\"]+"
)
_KEY_VALUE_SECRET = re.compile(
    r"(?i)\b((?:password|passwd|secret|api[_-]?key|client_secret)[\"']?\s*[:=]\s*[\"']?)"
    r"(?!\*\*\*)[^\s\"',;&}]+"
)
_AUTHORIZATION = re.compile(
    r"(?i)\b(authorization[\"']?\s*[:=]\s*[\"']?)(?:(?:bot|bearer|basic)\s+)?[^\s\"',}]+"
)
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}")
# Discord tokens: base64(user id) . base64(timestamp) . HMAC, all base64url. JWTs match too.
_DISCORD_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{20,40}\.[A-Za-z0-9_-]{4,10}\.[A-Za-z0-9_-]{20,}"
)
_DISCORD_MFA_TOKEN = re.compile(r"\bmfa\.[A-Za-z0-9_-]{20,}")
# Telegram bot tokens: the bot's id, a colon, 35 base64url characters (also in /bot<token>/ URLs).
_TELEGRAM_TOKEN = re.compile(r"(?:(?<=/bot)|(?<![A-Za-z0-9_-]))\d{5,16}:[A-Za-z0-9_-]{30,}")
_OPENAI_KEY = re.compile(r"\bsk-[A-Za-z0-9_-]{16,}")
_EMAIL = re.compile(
    r"(?<![\w.%+/-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
# Phone numbers: international (+CC ...), grouped national (0532 123 45 67, (555) 123-4567,
# 555-123-4567) and 0-prefixed digit runs (05321234567). Plain digit runs without a leading 0
# are left alone: they are usually Discord ids, timestamps or counters.
_PHONE_INTERNATIONAL = re.compile(r"(?<![\w+])\+\d[\d\s().-]{6,20}\d(?![\w])")
_PHONE_GROUPED = re.compile(
    r"(?<![\w.+-])(?:\(\d{2,4}\)\s?|\d{2,4}[\s-])\d{3,4}[\s-]\d{2,4}(?:[\s-]\d{2,4})?(?![\w-])"
)
_PHONE_DOTTED = re.compile(r"(?<![\w.])\d{3}\.\d{3}\.\d{4}(?![\w.])")
_PHONE_LEADING_ZERO = re.compile(r"(?<![\w.+])0[1-9]\d{8,10}(?![\w.])")


def _phone(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return "<phone>" if 8 <= digits <= 15 else match.group(0)


# Order matters: URL credentials before e-mail addresses, tokens before phone numbers.
_RULES: list[_Rule] = [
    (_URL_PASSWORD, r"\1***@"),
    (_QUERY_SECRET, r"\1***"),
    (_AUTHORIZATION, r"\1***"),
    (_BEARER, r"\1 ***"),
    (_KEY_VALUE_SECRET, r"\1***"),
    (_OPENAI_KEY, "sk-***"),
    (_DISCORD_MFA_TOKEN, "<token>"),
    (_TELEGRAM_TOKEN, "<token>"),
    (_DISCORD_TOKEN, "<token>"),
    (_EMAIL, "<email>"),
    (_PHONE_INTERNATIONAL, _phone),
    (_PHONE_GROUPED, _phone),
    (_PHONE_DOTTED, "<phone>"),
    (_PHONE_LEADING_ZERO, "<phone>"),
]


def mask_sensitive(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with personal data and secrets replaced by placeholders."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


class MaskingFilter(logging.Filter):
    """Rewrites each record's message and exception text in place; never drops a record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret containing another is replaced whole. Very short values
        # would mask innocent text; they are not secrets worth the name.
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)
        self._exceptions = logging.Formatter()

    def add_secret(self, value: str) -> None:
        if len(value) >= 6 and value not in self.secrets:
            self.secrets = sorted([*self.secrets, value], key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the raw template, masked
            message = str(record.msg)
        record.msg = mask_sensitive(message, self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._exceptions.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_sensitive(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = mask_sensitive(record.stack_info, self.secrets)
        return True


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info or record.exc_text:
            data["exception"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        if record.stack_info:
            data["stack"] = record.stack_info
        return json.dumps(data, ensure_ascii=False)


def _secrets_from_environment() -> list[str]:
    from bot.config import url_password

    values = [os.environ.get(name, "") for name in SECRET_ENV_VARS]
    # The database password, wherever it shows up (a driver's error quoting it, say).
    for name in ("SOHBET_DATABASE_URL", "SOHBET_QDRANT_URL", "SOHBET_BROKER_URL"):
        password = url_password(os.environ.get(name, ""))
        if password:
            values.append(password)
    return [v for v in values if v]


def configure_logging(
    level: str = "INFO", *, json_lines: bool = False, secrets: Iterable[str] = ()
) -> MaskingFilter:
    """Send all logs to stderr through a masking filter; returns the filter (add_secret)."""
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    masking = MaskingFilter([*_secrets_from_environment(), *secrets])
    handler.addFilter(masking)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("discord.http", "httpx", "urllib3", "alembic", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return masking
