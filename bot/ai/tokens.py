"""Token counting and context budgets per model.

- Local models (``transformers``) count with their own tokenizer and chat template: exact.
- ``llamacpp`` counts with llama.cpp's tokenizer (message framing estimated).
- Remote models count with tiktoken when its encoding files are available (they are downloaded
  on first use, so offline machines fall back), else with a characters-per-token heuristic.

`counter_for` and `context_window_for` may load a model: call them off the event loop
(`acounter_for` does).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Protocol, runtime_checkable

from langchain_core.messages import BaseMessage

from bot.ai.models import ModelConfig

__all__ = [
    "CHARS_PER_TOKEN",
    "MESSAGE_OVERHEAD",
    "HFTokenizerCounter",
    "HeuristicCounter",
    "LlamaCppCounter",
    "TiktokenCounter",
    "TokenCounter",
    "acounter_for",
    "context_window_for",
    "counter_for",
    "prompt_budget",
]

log = logging.getLogger(__name__)

CHARS_PER_TOKEN = 3.5  # conservative for English; other scripts use more tokens per char
MESSAGE_OVERHEAD = 4  # role markers and separators around each message
REPLY_PRIMER = 3  # the "assistant:" header the model is primed with

# Known windows of remote model families (prefix match, longest first); else 8192.
_REMOTE_WINDOWS: dict[str, int] = {
    "gpt-4.1": 1_047_576,
    "gpt-5": 400_000,
    "gpt-4o": 128_000,
    "gpt-4-turbo": 128_000,
    "o1": 200_000,
    "o3": 200_000,
    "o4": 200_000,
    "gpt-4": 8_192,
    "gpt-3.5-turbo": 16_385,
}
_DEFAULT_WINDOW = 8_192


@runtime_checkable
class TokenCounter(Protocol):
    """Counts tokens of text and of whole prompts. `exact`: the model's own tokenizer."""

    name: str
    exact: bool

    def count_text(self, text: str) -> int: ...

    def count_messages(self, messages: Sequence[BaseMessage]) -> int:
        """Tokens of the prompt these messages make, including the reply primer."""
        ...


class _FramedCounter:
    """count_messages as the sum of message texts plus fixed per-message framing."""

    name = "framed"
    exact = False

    def count_text(self, text: str) -> int:
        raise NotImplementedError

    def count_messages(self, messages: Sequence[BaseMessage]) -> int:
        return REPLY_PRIMER + sum(MESSAGE_OVERHEAD + self.count_text(m.text) for m in messages)


class HeuristicCounter(_FramedCounter):
    """No tokenizer at hand: about `chars_per_token` characters per token (rounded up)."""

    name = "heuristic"

    def __init__(self, chars_per_token: float = CHARS_PER_TOKEN) -> None:
        self.chars_per_token = chars_per_token

    def count_text(self, text: str) -> int:
        return math.ceil(len(text) / self.chars_per_token)


class TiktokenCounter(_FramedCounter):
    def __init__(self, encoding: Any) -> None:
        self.encoding = encoding
        self.name = f"tiktoken:{encoding.name}"

    def count_text(self, text: str) -> int:
        return len(self.encoding.encode(text, disallowed_special=()))


class LlamaCppCounter(_FramedCounter):
    def __init__(self, llama: Any) -> None:
        self.llama = llama
        self.name = "llama.cpp"

    def count_text(self, text: str) -> int:
        return len(self.llama.tokenize(text.encode(), add_bos=False, special=False))


class HFTokenizerCounter:
    """A Hugging Face tokenizer; prompts are counted through the model's chat template."""

    exact = True

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.name = f"hf:{type(tokenizer).__name__}"

    def count_text(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def count_messages(self, messages: Sequence[BaseMessage]) -> int:
        from bot.ai.local_chat import plain_prompt, to_chat_dicts

        chat = to_chat_dicts(messages)
        if getattr(self.tokenizer, "chat_template", None):
            encoded = self.tokenizer.apply_chat_template(
                chat, add_generation_prompt=True, return_dict=True
            )
            return len(encoded["input_ids"])
        return len(self.tokenizer.encode(plain_prompt(chat)))


@lru_cache(maxsize=8)
def _tiktoken_encoding(model: str) -> Any | None:
    """tiktoken's encoding for a model, or None when tiktoken or its files are unavailable."""
    try:
        import tiktoken
    except ImportError:
        return None
    try:
        try:
            return tiktoken.encoding_for_model(model)
        except KeyError:  # not an OpenAI model name (Ollama, vLLM...): a modern BPE is close
            return tiktoken.get_encoding("o200k_base")
    except Exception as exc:  # offline: the encoding file cannot be downloaded
        log.info("tiktoken unavailable (%s); counting tokens by characters", type(exc).__name__)
        return None


def counter_for(cfg: ModelConfig) -> TokenCounter:
    """The best token counter for this model. May load the model: call it off the loop."""
    if cfg.provider == "transformers":
        from bot.ai.local_engine import load_engine

        return HFTokenizerCounter(load_engine(cfg.model).tokenizer)
    if cfg.provider == "llamacpp":
        from bot.ai.models import build_chat_model

        client = getattr(build_chat_model(cfg), "client", None)
        if client is not None:
            return LlamaCppCounter(client)
    if cfg.provider == "openai":
        encoding = _tiktoken_encoding(cfg.model)
        if encoding is not None:
            return TiktokenCounter(encoding)
    return HeuristicCounter()


async def acounter_for(cfg: ModelConfig) -> TokenCounter:
    return await asyncio.to_thread(counter_for, cfg)


def context_window_for(cfg: ModelConfig) -> int:
    """Tokens the model accepts (prompt + reply). May load the model: call it off the loop."""
    if cfg.provider == "transformers":
        from bot.ai.local_engine import load_engine

        return load_engine(cfg.model, context_window=cfg.context_window).context_window
    if cfg.context_window is not None:
        return cfg.context_window
    if cfg.provider == "llamacpp":
        return 4096  # the n_ctx `build_chat_model` gives llama.cpp by default
    if cfg.provider == "openai":
        name = cfg.model.lower().rsplit("/", 1)[-1]
        for prefix in sorted(_REMOTE_WINDOWS, key=len, reverse=True):
            if name.startswith(prefix):
                return _REMOTE_WINDOWS[prefix]
    return _DEFAULT_WINDOW


def prompt_budget(cfg: ModelConfig, window: int | None = None, *, margin: float = 0.05) -> int:
    """Tokens left for the prompt: the window minus the reply and a safety margin."""
    window = context_window_for(cfg) if window is None else window
    reserve = cfg.max_new_tokens + max(16, int(window * margin))
    return max(0, window - reserve)
