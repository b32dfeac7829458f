"""The teaching service: what one server's admins teach Sohbet, kept per server, audited,
applied by the plugins that consume it (sentiment, translate, docs, chat).

Built once by the composition root and handed to plugins as `services.extras["teaching"]`; the
Discord, Telegram and console adapters, the dashboard and `sohbet teach` all reach it through
the same `/teach` commands.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.i18n import _
from bot.shared.errors import SohbetError
from bot.shared.records import AuditChange
from bot.store.models import TaughtAnswer, TaughtHead, TaughtPersona
from bot.store.teaching import ExampleRow, TermRow
from bot.teaching import head as heads
from bot.teaching.bias_sets import counterfactual_set
from bot.teaching.csv_rows import LABELS, text_key
from bot.teaching.glossary import Glossary, Term

if TYPE_CHECKING:
    from bot.ai.base import Embedder
    from bot.store.database import Store

__all__ = [
    "ANSWER_MIN_COSINE",
    "MIN_PER_CLASS",
    "SENTIMENT",
    "Baseline",
    "FixedAnswer",
    "HeadReport",
    "Pending",
    "TaughtSentiment",
    "TeachingService",
    "TeachingStatus",
    "head_in_use",
    "head_state",
]

SENTIMENT = "sentiment"
MIN_PER_CLASS = 10
# Cosine similarity from which a question counts as the one an admin answered. Measured by
# bench/teaching.py on the EN/TR paraphrase set of bench/embeddings.py with the default
# embedder: at 0.5, 92 % of paraphrases (same or other language) match and none of 720 pairs
# of other sentences on the same topic (their 99th percentile: 0.38); 0.45 lets 0.3 % in.
ANSWER_MIN_COSINE = 0.5
CACHE_S = 30.0  # another process (the dashboard, a worker) may have taught meanwhile
PENDING_S = 15 * 60
CACHED_EXAMPLES = 20_000  # texts whose embedding (2 KB each) and default label are kept
NOTED_ANSWERS = 2000
FLIP_EXAMPLES = 5

# The default engine's labels for texts: what a taught head must beat.
Baseline = Callable[[Sequence[str]], Awaitable[list[str]]]


def head_in_use(head: TaughtHead) -> bool:
    """Used by `auto` only while current, significantly better than the default engine on the
    server's own examples (cross-validated), and not worse on bias unless an admin confirmed
    it."""
    return head.current and head.confirmed and head.beats_default


def head_state(head: TaughtHead) -> str:
    """Where a version stands, in one phrase (chat and the dashboard)."""
    if head_in_use(head):
        return _("in use")
    if head.current and not head.confirmed:
        return _("waiting for an admin's `/teach confirm` (bias check failed)")
    if head.current:
        return _("current, but the default engine answers (it was as good or better)")
    return _("rolled back") if head.rolled_back else _("an earlier version")


@dataclass(frozen=True)
class HeadReport:
    version: int
    examples: int
    per_class: dict[str, int]
    left_out: dict[str, int]  # classes below the minimum, not trained
    cv_accuracy: float
    default_accuracy: float
    flip_rate: float
    default_flip_rate: float
    flips: list[dict[str, str]]
    seconds: float
    confirmed: bool
    beats_default: bool

    @property
    def used(self) -> bool:
        return self.confirmed and self.beats_default


@dataclass(frozen=True)
class TeachingStatus:
    counts: dict[str, int]
    heads: list[TaughtHead]
    terms: int
    answers: int
    persona: int


@dataclass(frozen=True)
class FixedAnswer:
    id: int
    question: str
    answer: str
    updated_at: datetime
    similarity: float


@dataclass(frozen=True)
class Pending:
    """What an admin picked with the "Teach Sohbet" message command, waiting for a label
    or the right answer."""

    text: str
    writer_id: int | None
    question: str | None  # set when the message was the bot's answer to a question
    asker_id: int | None
    at: float = field(default_factory=time.monotonic)


class TaughtSentiment:
    """A server's head, ready to classify: embeds with the embedder it was trained on."""

    def __init__(self, row: TaughtHead, embedder: Embedder) -> None:
        self.version = row.version
        self.name = f"taught v{row.version}"
        self.weights = row.weights
        self.embedder = embedder

    async def classify(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        vectors = np.asarray(await self.embedder.embed_documents(list(texts)), dtype=np.float64)
        classes, probabilities = heads.predict_proba(self.weights, vectors)
        best = probabilities.argmax(axis=1)
        return [
            (classes[i], round(float(p[i]), 4)) for i, p in zip(best, probabilities, strict=True)
        ]


def _change(actor_id: int, action: str, target: str, new: Any = None) -> AuditChange:
    return AuditChange(actor_id, action, target, None, new)


def _cosine(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(vector) or 1.0)
    return np.asarray(matrix @ vector / np.where(norms == 0, 1.0, norms))


class TeachingService:
    def __init__(self, store: Store, embedder: Callable[[], Embedder] | None = None) -> None:
        self.store = store
        self.repo = store.teaching
        self._embedder_factory = embedder
        self._embedder: Embedder | None = None
        self._baseline: tuple[str, Baseline] | None = None
        self._locks: dict[int, asyncio.Lock] = {}
        self._heads: dict[int, tuple[float, TaughtSentiment | None]] = {}
        self._answers: dict[int, tuple[float, list[TaughtAnswer], np.ndarray]] = {}
        self._glossaries: dict[tuple[int, str, str], tuple[float, Glossary]] = {}
        self._persona: dict[int, tuple[float, list[TaughtPersona]]] = {}
        self._pending: dict[tuple[int, int], Pending] = {}
        self._noted: OrderedDict[tuple[int, int], tuple[str, int]] = OrderedDict()
        self._counterfactual_vectors: np.ndarray | None = None
        self._vector_cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._label_cache: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._default_flips: tuple[str, float, list[dict[str, str]]] | None = None

    # ----- what the service is given ------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        """The frozen sentence encoder: the packaged default the sentiment engine uses."""
        if self._embedder is None:
            if self._embedder_factory is not None:
                self._embedder = self._embedder_factory()
            else:
                from bot.ai.embeddings import build_embedder

                self._embedder = build_embedder()
        return self._embedder

    def set_sentiment_baseline(self, name: str, baseline: Baseline) -> None:
        """The sentiment plugin's default engine, which a taught head has to beat."""
        self._baseline = (name, baseline)
        self._default_flips = None
        self._label_cache.clear()

    async def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 1))
        return np.asarray(await self.embedder.embed_documents(list(texts)), dtype=np.float64)

    async def _example_vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of examples, remembered (bounded) so that retraining after one more
        label embeds one text, not all of them again."""
        name = self.embedder.name
        missing = [t for t in dict.fromkeys(texts) if (name, t) not in self._vector_cache]
        if missing:
            found = await self._vectors(missing)
            for text, vector in zip(missing, found, strict=True):
                self._vector_cache[(name, text)] = vector.astype(np.float32)
        rows = []
        for text in texts:
            self._vector_cache.move_to_end((name, text))
            rows.append(self._vector_cache[(name, text)])
        while len(self._vector_cache) > CACHED_EXAMPLES:
            self._vector_cache.popitem(last=False)
        return np.asarray(rows, dtype=np.float64)

    def _lock(self, server_id: int) -> asyncio.Lock:
        return self._locks.setdefault(server_id, asyncio.Lock())

    # ----- sentiment ------------------------------------------------------------------------

    async def teach_sentiment(
        self, server_id: int, rows: Sequence[ExampleRow], teacher_id: int
    ) -> tuple[int, int]:
        """Store labelled texts (a relabelled text keeps only its newest label)."""
        for row in rows:
            if row.label not in LABELS:
                raise SohbetError(
                    _(
                        "“{label}” is not a sentiment label: use positive, neutral or negative.",
                        label=row.label,
                    )
                )
        audit = _change(
            teacher_id,
            "teach.sentiment.add",
            SENTIMENT,
            {"texts": len(rows), "source": rows[0].source if rows else ""},
        )
        return await self.repo.put_examples(server_id, SENTIMENT, rows, teacher_id, audit)

    @staticmethod
    def example(text: str, label: str, *, writer_id: int | None, source: str) -> ExampleRow:
        return ExampleRow(text.strip(), label, text_key(text), writer_id, source)

    async def train_sentiment(
        self, server_id: int, actor_id: int, *, min_per_class: int = MIN_PER_CLASS
    ) -> HeadReport | None:
        """Train a new version from the server's examples; None while fewer than two labels
        have `min_per_class` examples each. Blocking work runs in worker threads."""
        async with self._lock(server_id):
            started = time.perf_counter()
            rows = await self.repo.examples(server_id, SENTIMENT)
            counts = Counter(r.label for r in rows)
            kept = {label for label, n in counts.items() if n >= min_per_class}
            if len(kept) < 2:
                return None
            used = [r for r in rows if r.label in kept]
            texts, labels = [r.text for r in used], [r.label for r in used]
            vectors = await self._example_vectors(texts)
            default_labels = await self._cached_default_labels(texts, labels)
            predicted, weights = await asyncio.to_thread(_fit, vectors, labels)
            flip_rate, flips = await self._flip_rate(weights)
            default_flip_rate = (await self._default_flip_rate())[0]
            report_values: dict[str, Any] = {
                "examples": len(used),
                "per_class": {label: counts[label] for label in LABELS if label in kept},
                "cv_accuracy": _accuracy(predicted, labels),
                "default_accuracy": _accuracy(default_labels, labels),
                "flip_rate": flip_rate,
                "default_flip_rate": default_flip_rate,
                "flips": flips,
            }
            confirmed = flip_rate <= default_flip_rate + 1e-9
            beats_default = significantly_better(predicted, default_labels, labels)
            seconds = round(time.perf_counter() - started, 2)
            row = TaughtHead(
                server_id=server_id,
                task=SENTIMENT,
                version=0,
                current=True,
                rolled_back=False,
                confirmed=confirmed,
                beats_default=beats_default,
                embedder=self.embedder.name,
                weights=weights,
                seconds=seconds,
                trained_by=actor_id,
                **report_values,
            )
            summary = {k: report_values[k] for k in ("examples", "cv_accuracy", "default_accuracy")}
            version = await self.repo.add_head(
                row, _change(actor_id, "teach.sentiment.train", SENTIMENT, summary)
            )
            self._heads.pop(server_id, None)
            left_out = {label: n for label, n in counts.items() if label not in kept}
            return HeadReport(
                version=version,
                left_out=left_out,
                seconds=seconds,
                confirmed=confirmed,
                beats_default=beats_default,
                **report_values,
            )

    async def _default_labels(self, texts: list[str], labels: list[str]) -> list[str]:
        """The default engine's answers; without one, the majority label (the trivial
        baseline)."""
        if self._baseline is None:
            top = Counter(labels).most_common(1)[0][0]
            return [top] * len(texts)
        found: list[str] = []
        for start in range(0, len(texts), 128):
            found.extend(await self._baseline[1](texts[start : start + 128]))
        return found

    async def _cached_default_labels(self, texts: list[str], labels: list[str]) -> list[str]:
        """The default engine's labels for examples, remembered like their embeddings."""
        if self._baseline is None:
            return await self._default_labels(texts, labels)
        name = self._baseline[0]
        missing = [t for t in dict.fromkeys(texts) if (name, t) not in self._label_cache]
        if missing:
            found = await self._default_labels(missing, labels)
            self._label_cache.update(((name, t), lb) for t, lb in zip(missing, found, strict=True))
        while len(self._label_cache) > CACHED_EXAMPLES:
            self._label_cache.popitem(last=False)
        return [self._label_cache[(name, t)] for t in texts]

    async def _counterfactual(self) -> tuple[list[Any], np.ndarray]:
        items = counterfactual_set()
        if self._counterfactual_vectors is None:
            sentences = [s for item in items for s in item.sentences]
            self._counterfactual_vectors = await self._vectors(sentences)
        return items, self._counterfactual_vectors

    async def _flip_rate(self, weights: heads.HeadWeights) -> tuple[float, list[dict[str, str]]]:
        items, vectors = await self._counterfactual()
        classes, probabilities = heads.predict_proba(weights, vectors)
        labels = [classes[i] for i in probabilities.argmax(axis=1)]
        return flip_rate(items, labels)

    async def _default_flip_rate(self) -> tuple[float, list[dict[str, str]]]:
        name = self._baseline[0] if self._baseline else ""
        if self._default_flips is None or self._default_flips[0] != name:
            if self._baseline is None:
                self._default_flips = ("", 0.0, [])  # a constant answer never flips
            else:
                items = counterfactual_set()
                sentences = [s for item in items for s in item.sentences]
                labels = await self._default_labels(sentences, [])
                self._default_flips = (name, *flip_rate(items, labels))
        return self._default_flips[1], self._default_flips[2]

    async def sentiment_head(self, server_id: int) -> TaughtSentiment | None:
        """The head `auto` answers with on this server, or None (the default engine)."""
        cached = self._heads.get(server_id)
        if cached is not None and time.monotonic() - cached[0] < CACHE_S:
            return cached[1]
        row = await self.repo.current_head(server_id, SENTIMENT)
        usable = None
        if row is not None and head_in_use(row) and row.embedder == self.embedder.name:
            usable = TaughtSentiment(row, self.embedder)
        self._heads[server_id] = (time.monotonic(), usable)
        return usable

    async def rollback(self, server_id: int, actor_id: int) -> tuple[int | None, int | None]:
        async with self._lock(server_id):
            done = await self.repo.rollback_head(
                server_id, SENTIMENT, _change(actor_id, "teach.sentiment.rollback", SENTIMENT)
            )
        self._heads.pop(server_id, None)
        return done

    async def confirm(self, server_id: int, actor_id: int) -> int | None:
        version = await self.repo.confirm_head(
            server_id, SENTIMENT, _change(actor_id, "teach.sentiment.confirm", SENTIMENT)
        )
        self._heads.pop(server_id, None)
        return version

    async def status(self, server_id: int) -> TeachingStatus:
        return TeachingStatus(
            counts=await self.repo.example_counts(server_id, SENTIMENT),
            heads=await self.repo.heads(server_id, SENTIMENT),
            terms=len(await self.repo.terms(server_id)),
            answers=len(await self.repo.answers(server_id)),
            persona=len(await self.repo.persona(server_id)),
        )

    # ----- glossary -----------------------------------------------------------------------

    async def add_terms(
        self, server_id: int, rows: Sequence[TermRow], teacher_id: int
    ) -> tuple[int, int]:
        audit = _change(teacher_id, "teach.glossary.add", "glossary", {"terms": len(rows)})
        done = await self.repo.put_terms(server_id, rows, teacher_id, audit)
        self._forget_glossaries(server_id)
        return done

    async def glossary(self, server_id: int, source_lang: str, target_lang: str) -> Glossary:
        key = (server_id, source_lang, target_lang)
        cached = self._glossaries.get(key)
        if cached is not None and time.monotonic() - cached[0] < CACHE_S:
            return cached[1]
        rows = await self.repo.terms(server_id, source_lang, target_lang)
        found = Glossary(
            source_lang, target_lang, tuple(Term(r.source_term, r.target_term) for r in rows)
        )
        self._glossaries[key] = (time.monotonic(), found)
        return found

    def _forget_glossaries(self, server_id: int) -> None:
        for key in [k for k in self._glossaries if k[0] == server_id]:
            del self._glossaries[key]

    # ----- fixed answers ------------------------------------------------------------------

    async def fix_answer(
        self,
        server_id: int,
        question: str,
        answer: str,
        teacher_id: int,
        asker_id: int | None = None,
    ) -> int:
        question, answer = question.strip(), answer.strip()
        if not question or not answer:
            raise SohbetError(_("A fixed answer needs both the question and its answer."))
        vector = await self.embedder.embed_query(question)
        row = TaughtAnswer(
            server_id=server_id,
            question=question,
            answer=answer,
            vector=np.asarray(vector, dtype=np.float32).tobytes(),
            embedder=self.embedder.name,
            asker_id=asker_id,
            teacher_id=teacher_id,
        )
        answer_id = await self.repo.add_answer(
            row, _change(teacher_id, "teach.answer.add", "answers")
        )
        self._answers.pop(server_id, None)
        return answer_id

    async def edit_answer(
        self,
        server_id: int,
        answer_id: int,
        actor_id: int,
        *,
        question: str | None = None,
        answer: str | None = None,
    ) -> bool:
        values: dict[str, Any] = {}
        if question is not None and question.strip():
            values["question"] = question.strip()
            vector = await self.embedder.embed_query(question.strip())
            values["vector"] = np.asarray(vector, dtype=np.float32).tobytes()
            values["embedder"] = self.embedder.name
        if answer is not None and answer.strip():
            values["answer"] = answer.strip()
        if not values:
            return False
        done = await self.repo.edit_answer(
            server_id,
            answer_id,
            values,
            _change(actor_id, "teach.answer.edit", f"answer:{answer_id}"),
        )
        self._answers.pop(server_id, None)
        return done

    async def answers(self, server_id: int) -> list[TaughtAnswer]:
        return await self.repo.answers(server_id)

    async def find_answer(self, server_id: int, question: str) -> FixedAnswer | None:
        """The answer admins fixed for this question or a paraphrase of it (any language the
        embedder reads), or None."""
        rows, matrix = await self._answer_index(server_id)
        if not rows:
            return None
        key = text_key(question)
        for row in rows:
            if text_key(row.question) == key:
                return FixedAnswer(row.id, row.question, row.answer, row.updated_at, 1.0)
        if matrix.shape[0] == 0:
            return None
        query = np.asarray(await self.embedder.embed_query(question), dtype=np.float32)
        scores = _cosine(matrix, query)
        best = int(scores.argmax())
        if scores[best] < ANSWER_MIN_COSINE:
            return None
        row = [r for r in rows if r.vector is not None and r.embedder == self.embedder.name][best]
        return FixedAnswer(row.id, row.question, row.answer, row.updated_at, float(scores[best]))

    async def _answer_index(self, server_id: int) -> tuple[list[TaughtAnswer], np.ndarray]:
        cached = self._answers.get(server_id)
        if cached is not None and time.monotonic() - cached[0] < CACHE_S:
            return cached[1], cached[2]
        rows = await self.repo.answers(server_id)
        usable = [r for r in rows if r.vector is not None and r.embedder == self.embedder.name]
        matrix = (
            np.stack([np.frombuffer(r.vector or b"", dtype=np.float32) for r in usable])
            if usable
            else np.zeros((0, 1), dtype=np.float32)
        )
        self._answers[server_id] = (time.monotonic(), rows, matrix)
        return rows, matrix

    def note_answer(
        self, server_id: int, message_ids: Sequence[int], question: str, asker_id: int
    ) -> None:
        """Remember (in memory, briefly) which question the bot's messages answered, so an
        admin can correct one with the "Teach Sohbet" message command."""
        for message_id in message_ids:
            self._noted[(server_id, message_id)] = (question, asker_id)
            self._noted.move_to_end((server_id, message_id))
        while len(self._noted) > NOTED_ANSWERS:
            self._noted.popitem(last=False)

    def answered_question(self, server_id: int, message_id: int) -> tuple[str, int] | None:
        return self._noted.get((server_id, message_id))

    # ----- persona examples ---------------------------------------------------------------

    async def add_persona(
        self, server_id: int, channel_id: int, user_text: str, bot_text: str, teacher_id: int
    ) -> int:
        row = TaughtPersona(
            server_id=server_id,
            channel_id=channel_id,
            user_text=user_text.strip(),
            bot_text=bot_text.strip(),
            teacher_id=teacher_id,
        )
        target = f"persona@channel:{channel_id}" if channel_id else "persona"
        self._persona.pop(server_id, None)
        return await self.repo.add_persona(row, _change(teacher_id, "teach.persona.add", target))

    async def persona_examples(
        self, server_id: int, channel_id: int, count_tokens: Callable[[str], int], max_tokens: int
    ) -> list[tuple[str, str]]:
        """This channel's example exchanges first, then the server's, within `max_tokens`."""
        rows = [r for r in await self._persona_rows(server_id) if r.channel_id in (0, channel_id)]
        rows.sort(key=lambda r: (r.channel_id != channel_id, r.id))
        chosen: list[tuple[str, str]] = []
        spent = 0
        for row in rows:
            cost = count_tokens(row.user_text) + count_tokens(row.bot_text) + 8
            if spent + cost > max_tokens:
                break
            chosen.append((row.user_text, row.bot_text))
            spent += cost
        return chosen

    async def has_persona(self, server_id: int, channel_id: int) -> bool:
        """Cheap (cached): whether chat has example exchanges to read here."""
        return any(r.channel_id in (0, channel_id) for r in await self._persona_rows(server_id))

    async def _persona_rows(self, server_id: int) -> list[TaughtPersona]:
        cached = self._persona.get(server_id)
        if cached is not None and time.monotonic() - cached[0] < CACHE_S:
            return cached[1]
        rows = await self.repo.persona(server_id)
        self._persona[server_id] = (time.monotonic(), rows)
        return rows

    # ----- removal ------------------------------------------------------------------------

    async def remove(self, kind: str, server_id: int, item_id: int, actor_id: int) -> bool:
        done = await self.repo.remove(
            kind, server_id, item_id, _change(actor_id, f"teach.{kind}.remove", f"{kind}:{item_id}")
        )
        self._answers.pop(server_id, None)
        self._persona.pop(server_id, None)
        self._forget_glossaries(server_id)
        return done

    # ----- the "Teach Sohbet" message command ---------------------------------------------

    def pend(self, server_id: int, admin_id: int, pending: Pending) -> None:
        now = time.monotonic()
        for key in [k for k, p in self._pending.items() if now - p.at > PENDING_S]:
            del self._pending[key]
        self._pending[(server_id, admin_id)] = pending

    def take_pending(self, server_id: int, admin_id: int) -> Pending | None:
        found = self._pending.pop((server_id, admin_id), None)
        if found is None or time.monotonic() - found.at > PENDING_S:
            return None
        return found

    # ----- a member's data ----------------------------------------------------------------

    async def export_member(self, user_id: int, server_id: int | None) -> dict[str, Any]:
        rows = await self.repo.member_rows(user_id, server_id)
        out: dict[str, Any] = {}
        for name, found in rows.items():
            if found:
                out[name] = [_exported(r) for r in found]
        return out

    async def forget_member(self, user_id: int, server_id: int | None) -> dict[str, int]:
        """Delete their words everywhere teaching keeps them; heads trained on examples they
        wrote are retrained without them (or retired when too few remain)."""
        done = await self.repo.forget_member(user_id, server_id)
        counts: dict[str, int] = done["counts"]
        if counts.get("sentiment examples"):  # their texts are keys of these caches
            self._vector_cache.clear()
            self._label_cache.clear()
        for touched in done["servers"]:
            self._heads.pop(touched, None)
            self._answers.pop(touched, None)
            self._persona.pop(touched, None)
            self._forget_glossaries(touched)
        if counts.get("sentiment examples"):
            for touched in done["servers"]:
                if await self.repo.current_head(touched, SENTIMENT) is not None:
                    await self.repo.retire_heads(touched, SENTIMENT)
                    await self.train_sentiment(touched, 0)
                    self._heads.pop(touched, None)
        return {k: v for k, v in counts.items() if v}


def _fit(vectors: np.ndarray, labels: list[str]) -> tuple[list[str], heads.HeadWeights]:
    return heads.cross_validated(vectors, labels), heads.fit(vectors, labels)


# One-sided sign test at 5 %: on a few dozen examples a head can look better by luck (measured:
# bench/results/teaching.md, Dutch reviews with 20 examples per class).
SIGN_TEST_Z = 1.645


def significantly_better(head: Sequence[str], default: Sequence[str], gold: Sequence[str]) -> bool:
    """Whether the head is right where the default is wrong clearly more often than the
    reverse (the examples where they disagree decide; McNemar's sign test, normal
    approximation)."""
    wins = sum(h == g != d for h, d, g in zip(head, default, gold, strict=True))
    losses = sum(d == g != h for h, d, g in zip(head, default, gold, strict=True))
    return wins - losses > SIGN_TEST_Z * (wins + losses) ** 0.5


def _accuracy(predicted: Sequence[str], gold: Sequence[str]) -> float:
    return round(sum(p == g for p, g in zip(predicted, gold, strict=True)) / max(1, len(gold)), 4)


def flip_rate(items: Sequence[Any], labels: Sequence[str]) -> tuple[float, list[dict[str, str]]]:
    """Share of swapped sentences whose label differs from their group's first sentence; a
    few of them as examples. `labels` follow the sentences of `items` in order."""
    flips: list[dict[str, str]] = []
    compared = flipped = 0
    position = 0
    for item in items:
        group = labels[position : position + len(item.sentences)]
        position += len(item.sentences)
        for sentence, label in zip(item.sentences[1:], group[1:], strict=True):
            compared += 1
            if label != group[0]:
                flipped += 1
                if len(flips) < FLIP_EXAMPLES:
                    flips.append(
                        {
                            "attribute": item.attribute,
                            "reference": item.sentences[0],
                            "reference_label": group[0],
                            "swapped": sentence,
                            "label": label,
                        }
                    )
    return round(flipped / max(1, compared), 4), flips


def _exported(row: Any) -> dict[str, Any]:
    skip = {"vector", "text_key", "term_key"}
    out: dict[str, Any] = {}
    for column in row.__table__.columns:
        if column.name in skip:
            continue
        value = getattr(row, column.name)
        out[column.name] = value.isoformat() if isinstance(value, datetime) else value
    return out
