"""Errors of the language tools and the translation/summarization engines.

Every error carries a `user_message` that is safe to show to the person who asked.
"""

from __future__ import annotations

from bot.core.errors import SohbetError
from bot.i18n import N_, _, format_number

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

LANGUAGE_HINT = N_(
    "Use a two-letter code such as `tr`, `en`, `de` or `fr`, "
    "or a name such as `Turkish`, `Türkçe`, `German` or `Almanca`."
)


class NlpError(SohbetError):
    """Base of all errors raised by `bot.nlp` and the engines built on it."""


class UnknownLanguage(NlpError):
    def __init__(self, given: str, suggestion: str | None = None) -> None:
        hint = " " + _("Did you mean `{suggestion}`?", suggestion=suggestion) if suggestion else ""
        super().__init__(
            _("I don't know the language “{given}”.", given=given) + hint + " " + _(LANGUAGE_HINT)
        )
        self.given = given
        self.suggestion = suggestion


class LanguageNotDetected(NlpError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "I couldn't tell which language that is — it has no words I can read. You can "
                "name the language yourself."
            )
            + " "
            + _(LANGUAGE_HINT)
        )


# What a refusal says per action (`EmptyText("translate")`), in every language.
_EMPTY = {
    "translate": N_("There is no text to translate. Send some words and try again."),
    "analyse": N_("There is no text to analyse. Send some words and try again."),
    "summarize": N_("There is no text to summarize. Send some words and try again."),
}
_TOO_LONG = {
    "translate": N_(
        "That text is {length} characters long; I translate at most {limit} here. {hint}"
    ),
    "analyse": N_("That text is {length} characters long; I analyse at most {limit} here. {hint}"),
    "summarize": N_(
        "That text is {length} characters long; I summarize at most {limit} here. {hint}"
    ),
}


class EmptyText(NlpError):
    def __init__(self, action: str = "work with") -> None:
        default = N_("There is no text to work with. Send some words and try again.")
        super().__init__(_(_EMPTY.get(action, default)))


class TextTooLong(NlpError):
    """The request's text is over the server's limit for a command (refused before any engine
    runs, so unlike `InputTooLong` no fallback engine is tried)."""

    def __init__(self, length: int, limit: int, action: str, hint: str | None = None) -> None:
        default = N_(
            "That text is {length} characters long; I work with at most {limit} here. {hint}"
        )
        super().__init__(
            _(
                _TOO_LONG.get(action, default),
                length=format_number(length),
                limit=format_number(limit),
                hint=hint or _("Send a shorter part of it."),
            )
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
            _(
                "The `{engine}` engine isn't available right now{detail}. An admin can check "
                "the model setting, or pick another engine.",
                engine=engine,
                detail=extra,
            ),
            engine,
        )


class EngineFailed(EngineError):
    """The engine raised or returned nothing usable. Nothing is lost: the input is unchanged."""

    def __init__(self, engine: str, detail: str = "") -> None:
        extra = f": {detail}" if detail else ""
        super().__init__(
            _(
                "The `{engine}` engine couldn't finish this request{detail}. Please try again "
                "later.",
                engine=engine,
                detail=extra,
            ),
            engine,
        )


class NotATranslation(EngineError):
    """The model answered, but not with a translation into the language asked for: retrying
    the same model won't help, so the message says what would."""

    def __init__(self, engine: str, target: str, problem: str) -> None:
        super().__init__(
            _(
                "The current AI model didn't translate this into {target} ({problem}), so I "
                "won't show its answer as a translation. A stronger chat model or a translation "
                "model (Opus-MT, NLLB) set up by the bot's operator would.",
                target=target,
                problem=problem,
            ),
            engine,
        )
        self.problem = problem


class EngineTimeout(EngineError):
    def __init__(self, engine: str, seconds: float) -> None:
        super().__init__(
            _(
                "The `{engine}` engine took longer than {seconds} s and was stopped. Try a "
                "shorter text or try again later.",
                engine=engine,
                seconds=format(seconds, "g"),
            ),
            engine,
        )
        self.seconds = seconds


class InputTooLong(EngineError):
    def __init__(self, engine: str, length: int, limit: int) -> None:
        super().__init__(
            _(
                "That text is too long for the `{engine}` engine: {length} characters, the "
                "limit is {limit}. Send a shorter part of it.",
                engine=engine,
                length=format_number(length),
                limit=format_number(limit),
            ),
            engine,
        )
        self.length = length
        self.limit = limit


class UnsupportedLanguage(EngineError):
    """The engine cannot handle this language or language pair."""
