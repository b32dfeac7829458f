"""Chat-model failures as project errors with a message that is safe to show to people.

Every provider failure (local or remote) ends up as one `ModelError` subclass through
`to_model_error`, so callers catch one family and show `user_message`. The technical detail
stays in `detail` for the logs; it never contains an API key.
"""

from __future__ import annotations

import sys
from typing import Any

from bot.core.errors import SohbetError

__all__ = [
    "ContextTooLongError",
    "ModelAuthError",
    "ModelConfigError",
    "ModelError",
    "ModelNotFoundError",
    "ModelRateLimitError",
    "ModelResponseError",
    "ModelTimeoutError",
    "ModelUnavailableError",
    "to_model_error",
]


class ModelError(SohbetError):
    """Base of all chat-model failures. `retryable`: the same request may succeed later."""

    default_message = "The AI model could not answer this time. Please try again later."
    retryable = False

    def __init__(self, detail: str = "", *, user_message: str | None = None) -> None:
        super().__init__(user_message or self.default_message)
        self.detail = detail or self.user_message

    def __str__(self) -> str:
        return self.detail


class ModelTimeoutError(ModelError):
    default_message = "The AI model took too long to answer. Please try again."
    retryable = True


class ModelUnavailableError(ModelError):
    """The provider cannot be reached (connection refused, DNS, network down)."""

    default_message = "The AI model service can't be reached right now. Please try again later."
    retryable = True


class ModelAuthError(ModelError):
    """The provider rejected the credentials (HTTP 401/403) or no key is configured."""

    default_message = (
        "The AI model service rejected the bot's credentials. "
        "An administrator needs to check the API key."
    )


class ModelRateLimitError(ModelError):
    default_message = "The AI model service is busy right now. Please wait a moment and try again."
    retryable = True

    def __init__(
        self, detail: str = "", *, user_message: str | None = None, retry_after: float | None = None
    ) -> None:
        if user_message is None and retry_after is not None:
            user_message = (
                f"The AI model service is busy right now. Please try again in {retry_after:.0f} s."
            )
        super().__init__(detail, user_message=user_message)
        self.retry_after = retry_after


class ContextTooLongError(ModelError):
    default_message = (
        "This conversation is too long for the AI model. "
        "Try a shorter message or start a new conversation."
    )


class ModelNotFoundError(ModelError):
    """A local model file/folder is missing or the provider does not know the model name."""

    default_message = (
        "The configured AI model could not be found. "
        "An administrator needs to check the model setting."
    )


class ModelConfigError(ModelError):
    """The configuration cannot work as given (e.g. an optional package is not installed)."""

    default_message = (
        "The AI model is not set up correctly. "
        "An administrator needs to check the bot's model configuration."
    )


class ModelResponseError(ModelError):
    """The provider answered with an error we have no better class for (4xx/5xx)."""


def to_model_error(exc: BaseException) -> ModelError:
    """Translate any exception raised by a model call into the matching `ModelError`."""
    if isinstance(exc, ModelError):
        return exc
    detail = f"{type(exc).__name__}: {exc}"
    return (
        _from_openai(exc, detail)
        or _from_langchain(exc, detail)
        or _from_httpx(exc, detail)
        or _from_builtin(exc, detail)
        or ModelError(detail)
    )


def _is_context_overflow(text: str) -> bool:
    text = text.lower()
    return any(
        marker in text
        for marker in (
            "context_length_exceeded",
            "maximum context length",
            "context window",
            "exceed context window",
            "prompt is too long",
            "too many tokens",
        )
    )


def _retry_after(exc: Any) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    value = headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _from_openai(exc: BaseException, detail: str) -> ModelError | None:
    openai = sys.modules.get("openai")  # not imported: no openai exception can exist
    if openai is None or not isinstance(exc, openai.OpenAIError):
        return None
    # APITimeoutError subclasses APIConnectionError: test it first.
    if isinstance(exc, openai.APITimeoutError):
        return ModelTimeoutError(detail)
    if isinstance(exc, openai.APIConnectionError):
        return ModelUnavailableError(detail)
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return ModelAuthError(detail)
    if isinstance(exc, openai.RateLimitError):
        return ModelRateLimitError(detail, retry_after=_retry_after(exc))
    if isinstance(exc, openai.NotFoundError):
        return ModelNotFoundError(detail)
    if _is_context_overflow(str(exc)):
        return ContextTooLongError(detail)
    if isinstance(exc, openai.APIStatusError):
        error = ModelResponseError(detail)
        error.retryable = exc.status_code >= 500
        return error
    return None


def _from_langchain(exc: BaseException, detail: str) -> ModelError | None:
    lc = sys.modules.get("langchain_core.exceptions")
    if lc is None:
        return None
    mapping: list[tuple[str, type[ModelError]]] = [
        ("ContextOverflowError", ContextTooLongError),
        ("ModelTimeoutError", ModelTimeoutError),
        ("ModelConnectionError", ModelUnavailableError),
        ("ModelAuthenticationError", ModelAuthError),
        ("ModelPermissionDeniedError", ModelAuthError),
        ("ModelRateLimitError", ModelRateLimitError),
        ("ModelNotFoundError", ModelNotFoundError),
    ]
    for name, ours in mapping:
        lc_type = getattr(lc, name, None)
        if lc_type is not None and isinstance(exc, lc_type):
            return ours(detail)
    return None


def _from_httpx(exc: BaseException, detail: str) -> ModelError | None:
    httpx = sys.modules.get("httpx")
    if httpx is None:
        return None
    if isinstance(exc, httpx.TimeoutException):
        return ModelTimeoutError(detail)
    if isinstance(exc, httpx.ConnectError | httpx.NetworkError):
        return ModelUnavailableError(detail)
    return None


def _from_builtin(exc: BaseException, detail: str) -> ModelError | None:
    if isinstance(exc, TimeoutError):  # asyncio.TimeoutError is TimeoutError on 3.11
        return ModelTimeoutError(detail)
    if isinstance(exc, ConnectionError):
        return ModelUnavailableError(detail)
    if isinstance(exc, FileNotFoundError):
        return ModelNotFoundError(detail)
    if isinstance(exc, ImportError):
        return ModelConfigError(detail)
    if isinstance(exc, ValueError) and _is_context_overflow(str(exc)):
        return ContextTooLongError(detail)  # llama-cpp-python: "Requested tokens exceed context"
    return None
