"""Platform-qualified ids: one integer space for servers, channels and users of every platform.

The core (store, vector store, settings, budgets, privacy) keys everything by integers. Two
platforms can hand out the same number — a Telegram chat id can equal a Discord guild id — so
each platform's native ids are mapped into a range of their own, and the platform can always be
read back from an id:

- Discord (and the console): ids as they are, ``0 <= id < 2**63`` (snowflakes are positive).
- Telegram: ``TELEGRAM_BASE + native``. Telegram ids (users positive, groups negative) have at
  most 52 significant bits, so they land in ``(-2**62 - 2**52, -2**62 + 2**52)``: negative, far
  from zero and from every Discord id.

Existing rows need no rewrite: every id stored before Telegram existed is a Discord one. Server
id 0 stays "direct messages" on every platform; what is stored there is kept apart by the
(platform-qualified) user and channel ids.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "CONSOLE_CHANNEL_ID",
    "CONSOLE_SERVER_ID",
    "TELEGRAM_BASE",
    "Platform",
    "core_id",
    "member_id",
    "native_id",
    "platform_of",
]

# The console's one server and channel (`sohbet chat`; the dashboard's `--local` mode shows it).
CONSOLE_SERVER_ID = 1
CONSOLE_CHANNEL_ID = 1

TELEGRAM_BASE = -(1 << 62)
_TELEGRAM_SPAN = 1 << 53  # Telegram ids have at most 52 significant bits (plus the sign)
_DISCORD_MAX = (1 << 63) - 1


class Platform(StrEnum):
    DISCORD = "discord"
    TELEGRAM = "telegram"


def core_id(platform: Platform | str, native: int) -> int:
    """The core's id for a platform's native id (server, channel, user or thread)."""
    platform = Platform(platform)
    if platform is Platform.DISCORD:
        if not 0 <= native <= _DISCORD_MAX:
            raise ValueError(f"{native} is not a Discord id")
        return native
    if not -_TELEGRAM_SPAN < native < _TELEGRAM_SPAN:
        raise ValueError(f"{native} is not a Telegram id")
    return TELEGRAM_BASE + native


def platform_of(ident: int) -> Platform:
    """Which platform a core id belongs to (0, direct messages, counts as Discord's)."""
    if ident >= 0:
        return Platform.DISCORD
    if TELEGRAM_BASE - _TELEGRAM_SPAN < ident < TELEGRAM_BASE + _TELEGRAM_SPAN:
        return Platform.TELEGRAM
    raise ValueError(f"{ident} is not an id of any platform")


def native_id(ident: int) -> tuple[Platform, int]:
    """The platform and its native id for a core id."""
    platform = platform_of(ident)
    if platform is Platform.TELEGRAM:
        return platform, ident - TELEGRAM_BASE
    return platform, ident


def member_id(text: str) -> int | None:
    """The core id in a member reference as plugins show them (`<@id>`, `<@!id>` or the bare
    id; Telegram's are negative), or None when `text` is not one."""
    digits = text.strip().removeprefix("<@").removeprefix("!").removesuffix(">")
    sign, number = ("-", digits[1:]) if digits.startswith("-") else ("", digits)
    if not number.isdigit() or not number.isascii():
        return None
    ident = int(sign + number)
    try:
        platform_of(ident)
    except ValueError:
        return None
    return ident
