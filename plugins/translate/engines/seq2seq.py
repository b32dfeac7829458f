"""Translation with a transformers sequence-to-sequence model, by hub id or local path.

Three families, told apart from the loaded model and tokenizer (or forced with `style`):
- `marian`: Opus-MT, one model per language pair (`Helsinki-NLP/opus-mt-tr-en`). The pair comes
  from `pair=` or from the model id; multi-target models get their `>>xxx<<` target token.
- `nllb`: NLLB-200, FLORES-200 codes (`tur_Latn`) as `src_lang` and forced BOS token.
- `m2m100`: M2M-100, ISO codes (`__tr__`) as `src_lang` and forced BOS token.

The model loads lazily in a worker thread on first use (or with `await load()`); sentences are
translated in batches of `batch_size`, each `generate` call in a worker thread.
"""

from __future__ import annotations

import asyncio
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bot.nlp.chunking import chunk_texts, reassemble, segment_text
from bot.nlp.errors import EngineUnavailable, UnsupportedLanguage
from bot.nlp.languages import flores_code, iso3_codes, language_name
from bot.nlp.runtime import in_thread
from bot.nlp.seq2seq import load_seq2seq
from plugins.translate.engines.base import BaseTranslator

__all__ = ["Seq2SeqTranslator", "Style", "detect_style"]

Style = Literal["auto", "marian", "nllb", "m2m100"]
_OPUS_PAIR = re.compile(r"opus-mt-(?:tc-big-)?([a-z]{2,3})-([a-z]{2,3})(?:$|[-_/])")


def detect_style(
    model: Any, tokenizer: Any, engine: str = "seq2seq"
) -> Literal["marian", "nllb", "m2m100"]:
    """Which family a loaded translation model belongs to."""
    model_type = getattr(model.config, "model_type", "")
    if model_type == "marian":
        return "marian"
    if "Nllb" in type(tokenizer).__name__:
        return "nllb"
    if model_type == "m2m_100":
        return "m2m100"
    raise EngineUnavailable(engine, f"unsupported translation model type `{model_type}`")


@dataclass(frozen=True, slots=True)
class _Loaded:
    model: Any
    tokenizer: Any
    style: Literal["marian", "nllb", "m2m100"]


class Seq2SeqTranslator(BaseTranslator):
    def __init__(
        self,
        model: str | Path,
        *,
        name: str | None = None,
        style: Style = "auto",
        pair: tuple[str, str] | None = None,
        device: str = "cpu",
        batch_size: int = 8,
        num_beams: int = 1,
        max_new_tokens: int = 512,
        max_sentence_chars: int = 400,
        local_files_only: bool = True,
        timeout: float | None = 120.0,
        max_input_chars: int = 20_000,
    ) -> None:
        super().__init__(timeout=timeout, max_input_chars=max_input_chars)
        self.model_id = str(model)
        self.name = name or f"seq2seq:{Path(self.model_id).name}"
        self.style = style
        self.pair = pair or self._pair_from_id(self.model_id)
        self.device = device
        self.batch_size = batch_size
        self.num_beams = num_beams
        self.max_new_tokens = max_new_tokens
        self.max_sentence_chars = max_sentence_chars
        self.local_files_only = local_files_only
        self._loaded: _Loaded | None = None
        self._load_lock = asyncio.Lock()
        self._generate_lock = threading.Lock()  # the tokenizer's src_lang is shared state

    @staticmethod
    def _pair_from_id(model_id: str) -> tuple[str, str] | None:
        match = _OPUS_PAIR.search(model_id.lower())
        return (match.group(1), match.group(2)) if match else None

    # -- loading -------------------------------------------------------------------------------

    async def load(self) -> None:
        """Load model and tokenizer (once). Raises `EngineUnavailable` if they can't be loaded."""
        async with self._load_lock:
            if self._loaded is None:
                await in_thread(self.load_sync)

    def load_sync(self) -> None:
        """Blocking load (for warm-up in a worker thread or a script)."""
        with self._generate_lock:
            if self._loaded is None:
                self._loaded = self._read_model()

    def _read_model(self) -> _Loaded:
        tokenizer, model = load_seq2seq(
            self.model_id,
            engine=self.name,
            device=self.device,
            local_files_only=self.local_files_only,
        )
        style = detect_style(model, tokenizer, self.name) if self.style == "auto" else self.style
        if style == "marian" and self.pair is None:
            source = getattr(tokenizer, "source_lang", None)
            target = getattr(tokenizer, "target_lang", None)
            if source and target:
                self.pair = (source, target)
        return _Loaded(model, tokenizer, style)

    # -- languages -----------------------------------------------------------------------------

    def _check_languages(self, source: str, target: str) -> None:
        if self.pair is None or self.style not in {"auto", "marian"}:
            return
        model_source, model_target = self.pair
        if not _matches(source, model_source) or not _matches(target, model_target):
            raise UnsupportedLanguage(
                f"The `{self.name}` model only translates {_describe(model_source)} → "
                f"{_describe(model_target)}, not {language_name(source)} → "
                f"{language_name(target)}.",
                self.name,
            )

    def _generation_args(self, loaded: _Loaded, source: str, target: str) -> dict[str, Any]:
        tokenizer = loaded.tokenizer
        if loaded.style == "marian":
            return {}
        if loaded.style == "nllb":
            src, tgt = flores_code(source), flores_code(target)
        else:
            src, tgt = source, target
        for code, lang in ((src, source), (tgt, target)):
            if code is None or _token_id(tokenizer, _lang_token(loaded.style, code)) is None:
                raise UnsupportedLanguage(
                    f"The `{self.name}` model doesn't know {language_name(lang)}.", self.name
                )
        tokenizer.src_lang = src
        return {"forced_bos_token_id": _token_id(tokenizer, _lang_token(loaded.style, tgt or ""))}

    def _target_prefix(self, loaded: _Loaded, target: str) -> str:
        """Multi-target Opus-MT models select the output language with a `>>xxx<<` token."""
        if loaded.style != "marian":
            return ""
        vocab = loaded.tokenizer.get_vocab()
        for code in (*iso3_codes(target), target):
            if f">>{code}<<" in vocab:
                return f">>{code}<< "
        return ""

    # -- translation ---------------------------------------------------------------------------

    async def _translate(self, text: str, source: str, target: str) -> str:
        await self.load()
        self._check_languages(source, target)  # the pair may come from the loaded tokenizer
        # Sentence splitting of up to max_input_chars is CPU work: keep it off the loop.
        segments = await in_thread(segment_text, text, source, max_chars=self.max_sentence_chars)
        sentences = chunk_texts(segments)
        outputs: list[str] = []
        for start in range(0, len(sentences), self.batch_size):
            batch = sentences[start : start + self.batch_size]
            outputs.extend(await in_thread(self.translate_batch, batch, source, target))
        return reassemble(segments, outputs)

    def translate_batch(self, sentences: list[str], source: str, target: str) -> list[str]:
        """Blocking: translate sentences in one `generate` call. Outputs keep the input order."""
        ids = self.generate_ids(sentences, source, target)
        assert self._loaded is not None
        decoded = self._loaded.tokenizer.batch_decode(ids, skip_special_tokens=True)
        return [text.strip() for text in decoded]

    def generate_ids(self, sentences: list[str], source: str, target: str) -> Any:
        """Blocking: the generated token ids (a tensor, one row per sentence)."""
        import torch

        self.load_sync()
        assert self._loaded is not None
        loaded = self._loaded
        positions = int(getattr(loaded.model.config, "max_position_embeddings", 0) or 512)
        with self._generate_lock:
            kwargs = self._generation_args(loaded, source, target)
            prefix = self._target_prefix(loaded, target)
            inputs = loaded.tokenizer(
                [prefix + s for s in sentences],
                return_tensors="pt",
                padding=True,
                truncation=True,
                max_length=min(512, positions),
            ).to(self.device)
        longest = int(inputs["input_ids"].shape[1])
        budget = min(self.max_new_tokens, 2 * longest + 16, positions - 2)
        with torch.inference_mode():
            return loaded.model.generate(
                **inputs, **kwargs, num_beams=self.num_beams, do_sample=False, max_new_tokens=budget
            )


def _lang_token(style: str, code: str) -> str:
    return f"__{code}__" if style == "m2m100" else code


def _token_id(tokenizer: Any, token: str) -> int | None:
    token_id = tokenizer.convert_tokens_to_ids(token)
    if token_id is None or token_id == tokenizer.unk_token_id:
        return None
    return int(token_id)


def _matches(code: str, model_code: str) -> bool:
    return model_code in {"mul", code, *iso3_codes(code)}


def _describe(model_code: str) -> str:
    return "many languages" if model_code == "mul" else language_name(model_code)
