"""Errors of the language tools and the translation/summarization engines.

Every error carries a `user_message` that is safe to show to the person who asked.
"""

from __future__ import annotations

from bot.core.errors import SohbetError

__all__ = [
    "EmptyText",
    "EngineError",
    "EngineFailed",
    "EngineTimeout",
    "EngineUnavailable",
    "InputTooLong",
    "InvalidRequest",
    "LanguageNotDetected",
    "NlpError",
    "NotATranslation",
    "TextTooLong",
    "UnknownLanguage",
    "UnsupportedLanguage",
]

LANGUAGE_HINT = (
    "Use a two-letter code such as `tr`, `en`, `de` or `fr`, "
    "or a name such as `Turkish`, `Türkçe`, `German` or `Almanca`."
)


class NlpError(SohbetError):
    """Base of all errors raised by `bot.nlp` and the engines built on it."""


class UnknownLanguage(NlpError):
    def __init__(self, given: str, suggestion: str | None = None) -> None:
        hint = f" Did you mean `{suggestion}`?" if suggestion else ""
        super().__init__(f"I don't know the language “{given}”.{hint} {LANGUAGE_HINT}")
        self.given = given
        self.suggestion = suggestion


class LanguageNotDetected(NlpError):
    def __init__(self) -> None:
        super().__init__(
            "I couldn't tell which language that is — it has no words I can read. "
            f"You can name the language yourself. {LANGUAGE_HINT}"
        )


class EmptyText(NlpError):
    def __init__(self, action: str = "work with") -> None:
        super().__init__(f"There is no text to {action}. Send some words and try again.")


class TextTooLong(NlpError):
    """The request's text is over the server's limit for a command (refused before any engine
    runs, so unlike `InputTooLong` no fallback engine is tried)."""

    def __init__(
        self, length: int, limit: int, action: str, hint: str = "Send a shorter part of it."
    ) -> None:
        super().__init__(
            f"That text is {length:,} characters long; I {action} at most {limit:,} here. {hint}"
        )
        self.length = length
        self.limit = limit


class InvalidRequest(NlpError):
    """An option of the request is out of range (for example a summary length of 0)."""


class EngineError(NlpError):
    """A translation or summarization engine could not answer. `engine` names it."""

    def __init__(self, user_message: str, engine: str) -> None:
        super().__init__(user_message)
        self.engine = engine


class EngineUnavailable(EngineError):
    """The engine's model is missing or could not be loaded."""

    def __init__(self, engine: str, detail: str = "") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"The `{engine}` engine isn't available right now{extra}. "
            "An admin can check the model setting, or pick another engine.",
            engine,
        )


class EngineFailed(EngineError):
    """The engine raised or returned nothing usable. Nothing is lost: the input is unchanged."""

    def __init__(self, engine: str, detail: str = "") -> None:
        extra = f": {detail}" if detail else ""
        super().__init__(
            f"The `{engine}` engine couldn't finish this request{extra}. Please try again later.",
            engine,
        )


class NotATranslation(EngineError):
    """The model answered, but not with a translation into the language asked for: retrying
    the same model won't help, so the message says what would."""

    def __init__(self, engine: str, target: str, problem: str) -> None:
        super().__init__(
            f"The current AI model didn't translate this into {target} ({problem}), so I won't "
            "show its answer as a translation. A stronger chat model or a translation model "
            "(Opus-MT, NLLB) set up by the bot's operator would.",
            engine,
        )
        self.problem = problem


class EngineTimeout(EngineError):
    def __init__(self, engine: str, seconds: float) -> None:
        super().__init__(
            f"The `{engine}` engine took longer than {seconds:g} s and was stopped. "
            "Try a shorter text or try again later.",
            engine,
        )
        self.seconds = seconds


class InputTooLong(EngineError):
    def __init__(self, engine: str, length: int, limit: int) -> None:
        super().__init__(
            f"That text is too long for the `{engine}` engine: {length:,} characters, "
            f"the limit is {limit:,}. Send a shorter part of it.",
            engine,
        )
        self.length = length
        self.limit = limit


class UnsupportedLanguage(EngineError):
    """The engine cannot handle this language or language pair."""
