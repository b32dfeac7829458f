"""Which language an answer should be in: the member's own, or the server's choice.

Small models drift into English (or invented words) even when the system prompt says "answer
in the language the person writes in": the instruction works when it names the language and
comes last, next to the message (checked with `sohbet eval`'s chat task).
"""

from __future__ import annotations

from bot.nlp.errors import NlpError
from bot.nlp.langdetect import detect_language
from bot.nlp.languages import language_name

__all__ = ["reply_language_instruction"]


async def reply_language_instruction(text: str, setting: str = "auto") -> str | None:
    """"Reply in Turkish." for a Turkish message (or the server's fixed language);
    None when the language can't be told reliably (a word or two, only emoji)."""
    if setting and setting != "auto":
        return f"Reply in {language_name(setting)}."
    if len(text.split()) < 3:
        return None
    try:
        detected = await detect_language(text)
    except NlpError:
        return None
    if not detected.reliable:
        return None
    return f"Reply in {language_name(detected.code)}."
