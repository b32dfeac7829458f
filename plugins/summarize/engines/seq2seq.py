"""Summaries from a transformers summarization model (BART, PEGASUS, T5, mT5...) by id or path.

The model loads lazily in a worker thread. Texts longer than the model's input are cut at
sentence boundaries into chunks of at most `chunk_tokens` tokens; each chunk is summarized and,
when there are several, their joined summaries are summarized once more. T5-style models get
their `summarize: ` prefix. The output is cut to the requested length at a sentence end.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from bot.nlp.chunking import chunk_texts, segment_text
from bot.nlp.errors import EngineFailed
from bot.nlp.runtime import in_thread
from bot.nlp.seq2seq import load_seq2seq
from plugins.summarize.engines.base import BaseSummarizer, Length, enforce_length

__all__ = ["Seq2SeqSummarizer"]

_TOKENS_PER_WORD = 2  # generous: Turkish words often take 2-3 subword tokens
_TOKENS_PER_SENTENCE = 40


class Seq2SeqSummarizer(BaseSummarizer):
    def __init__(
        self,
        model: str | Path,
        *,
        name: str | None = None,
        prefix: str | None = None,
        chunk_tokens: int = 480,
        device: str = "cpu",
        num_beams: int = 2,
        batch_size: int = 4,
        local_files_only: bool = True,
        timeout: float | None = 180.0,
        max_input_chars: int = 30_000,
    ) -> None:
        super().__init__(timeout=timeout, max_input_chars=max_input_chars)
        self.model_id = str(model)
        self.name = name or f"seq2seq:{Path(self.model_id).name}"
        self.prefix = prefix
        self.chunk_tokens = chunk_tokens
        self.device = device
        self.num_beams = num_beams
        self.batch_size = batch_size
        self.local_files_only = local_files_only
        self._model: Any = None
        self._tokenizer: Any = None
        self._load_lock = asyncio.Lock()
        self._thread_lock = threading.Lock()

    async def load(self) -> None:
        """Load model and tokenizer once. Raises `EngineUnavailable` if they can't be loaded."""
        async with self._load_lock:
            if self._model is None:
                await in_thread(self.load_sync)

    def load_sync(self) -> None:
        """Blocking load (for warm-up in a worker thread or a script)."""
        with self._thread_lock:
            if self._model is None:
                self._read_model()

    def _read_model(self) -> None:
        tokenizer, model = load_seq2seq(
            self.model_id,
            engine=self.name,
            device=self.device,
            local_files_only=self.local_files_only,
        )
        if self.prefix is None:
            self.prefix = "summarize: " if model.config.model_type in {"t5", "mt5"} else ""
        self._tokenizer, self._model = tokenizer, model

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer(text, add_special_tokens=True)["input_ids"])

    def _fits(self, text: str) -> bool:
        return self.count_tokens((self.prefix or "") + text) <= self.chunk_tokens

    def _pieces(self, sentence: str) -> list[str]:
        """The sentence itself, or word-packed parts of it when it alone is over budget."""
        if self._fits(sentence):
            return [sentence]
        pieces: list[str] = []
        current: list[str] = []
        for word in sentence.split():
            if current and not self._fits(" ".join([*current, word])):
                pieces.append(" ".join(current))
                current = []
            current.append(word)
        if current:
            pieces.append(" ".join(current))
        return pieces

    def _chunks(self, text: str, lang: str) -> list[str]:
        """Sentence-packed chunks that fit `chunk_tokens` (measured with the real tokenizer)."""
        sentences = chunk_texts(segment_text(text, lang, max_chars=1000))
        chunks: list[str] = []
        current: list[str] = []
        for piece in (p for sentence in sentences for p in self._pieces(sentence)):
            if current and not self._fits(" ".join([*current, piece])):
                chunks.append(" ".join(current))
                current = []
            current.append(piece)
        if current:
            chunks.append(" ".join(current))
        return chunks

    def _max_new_tokens(self, length: Length) -> int:
        budget = []
        if length.words is not None:
            budget.append(length.words * _TOKENS_PER_WORD)
        if length.sentences is not None:
            budget.append(length.sentences * _TOKENS_PER_SENTENCE)
        return max(16, min(min(budget), 512))

    def generate(self, texts: list[str], max_new_tokens: int) -> list[str]:
        """Blocking: summarize each text in one batched `generate` call."""
        import torch

        with self._thread_lock:
            inputs = self._tokenizer(
                [(self.prefix or "") + t for t in texts],
                return_tensors="pt",
                padding=True,
                truncation=True,
                max_length=self.chunk_tokens,
            ).to(self.device)
            with torch.inference_mode():
                ids = self._model.generate(
                    **inputs,
                    max_new_tokens=max_new_tokens,
                    num_beams=self.num_beams,
                    do_sample=False,
                )
            return [t.strip() for t in self._tokenizer.batch_decode(ids, skip_special_tokens=True)]

    async def _summarize(self, text: str, length: Length, lang: str) -> str:
        await self.load()
        max_new = self._max_new_tokens(length)
        chunks = await in_thread(self._chunks, text, lang)
        partials: list[str] = []
        for start in range(0, len(chunks), self.batch_size):
            batch = chunks[start : start + self.batch_size]
            partials.extend(await in_thread(self.generate, batch, max_new))
        summary = partials[0] if len(partials) == 1 else None
        if summary is None:
            joined = " ".join(partials)
            summary = (await in_thread(self.generate, [joined], max_new))[0]
        if not summary:
            raise EngineFailed(self.name, "the model returned an empty summary")
        return enforce_length(summary, length, lang)
