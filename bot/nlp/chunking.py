"""Cut a text into size-bounded pieces at sentence boundaries, losslessly.

`segment_text` returns segments whose texts concatenate back to the input exactly. Segments
marked `process=True` go to a model (translated, summarized); the others — whitespace between
sentences, list and quote markers, fenced code blocks — are passed through untouched. After
processing, `reassemble` puts the outputs back in their original places and order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.nlp.sentences import resolve_language_code, sentence_spans

__all__ = ["Segment", "chunk_texts", "reassemble", "segment_text"]

_CODE_FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_LINE_MARKER = re.compile(r"[ \t]*(?:[-*+•>]|\d{1,3}[.)]|#{1,6})[ \t]+")
_WORD_GAP = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    process: bool


def _hard_split(text: str, max_chars: int) -> list[Segment]:
    """Split one over-long sentence at spaces (or anywhere, for unspaced scripts)."""
    pieces: list[Segment] = []
    start = 0
    while len(text) - start > max_chars:
        window = text[start : start + max_chars + 1]
        gaps = [m for m in _WORD_GAP.finditer(window) if m.start() > 0]
        if gaps:
            gap = gaps[-1]
            pieces.append(Segment(window[: gap.start()], True))
            pieces.append(Segment(window[gap.start() : gap.end()], False))
            start += gap.end()
        else:
            pieces.append(Segment(text[start : start + max_chars], True))
            start += max_chars
    pieces.append(Segment(text[start:], True))
    return [p for p in pieces if p.text]


def _prose_segments(text: str, lang: str | None, max_chars: int) -> list[Segment]:
    segments: list[Segment] = []
    for line in text.splitlines(keepends=True):
        marker = _LINE_MARKER.match(line)
        offset = marker.end() if marker else 0
        if offset:
            segments.append(Segment(line[:offset], False))
        body = line[offset:]
        cursor = 0
        for start, end in sentence_spans(body, lang, line_breaks="always"):
            if start > cursor:
                segments.append(Segment(body[cursor:start], False))
            segments.extend(_hard_split(body[start:end], max_chars))
            cursor = end
        if cursor < len(body):
            segments.append(Segment(body[cursor:], False))
    return segments


def segment_text(
    text: str, lang: str | None = None, *, max_chars: int = 400, merge: bool = False
) -> list[Segment]:
    """Sentence segments of at most `max_chars` (longer sentences are cut at spaces).

    With `merge=True`, consecutive sentences (and the whitespace/markers between them) are
    packed into segments of up to `max_chars`, so a chat model sees whole paragraphs.
    Fenced code blocks are never processed and never merged across.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    lang = resolve_language_code(lang, _CODE_FENCE.sub(" ", text))
    segments: list[Segment] = []
    cursor = 0
    for fence in _CODE_FENCE.finditer(text):
        segments.extend(_prose_segments(text[cursor : fence.start()], lang, max_chars))
        segments.append(Segment(fence.group(), False))
        cursor = fence.end()
    segments.extend(_prose_segments(text[cursor:], lang, max_chars))
    if merge:
        segments = _merge(segments, max_chars)
    return _coalesce_passthrough(segments)


def _is_code(segment: Segment) -> bool:
    return not segment.process and segment.text.startswith("```")


def _merge(segments: list[Segment], max_chars: int) -> list[Segment]:
    merged: list[Segment] = []
    pending: list[Segment] = []  # passthrough segments after the last processed one

    def open_chunk() -> Segment | None:
        return merged[-1] if merged and merged[-1].process else None

    for segment in segments:
        if _is_code(segment):
            merged.extend(pending)
            pending = []
            merged.append(segment)
        elif not segment.process:
            pending.append(segment)
        else:
            current = open_chunk()
            glue = "".join(p.text for p in pending)
            if (
                current is not None
                and len(current.text) + len(glue) + len(segment.text) <= max_chars
            ):
                merged[-1] = Segment(current.text + glue + segment.text, True)
            else:
                merged.extend(pending)
                merged.append(segment)
            pending = []
    merged.extend(pending)
    return merged


def _coalesce_passthrough(segments: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for segment in segments:
        if out and not segment.process and not out[-1].process:
            out[-1] = Segment(out[-1].text + segment.text, False)
        else:
            out.append(segment)
    return out


def chunk_texts(segments: Sequence[Segment]) -> list[str]:
    """The texts to process, in order."""
    return [s.text for s in segments if s.process]


def reassemble(segments: Sequence[Segment], outputs: Sequence[str]) -> str:
    """Put processed outputs back between the passthrough segments, in order."""
    expected = sum(1 for s in segments if s.process)
    if len(outputs) != expected:
        raise ValueError(f"expected {expected} outputs, got {len(outputs)}")
    results = iter(outputs)
    return "".join(next(results) if s.process else s.text for s in segments)
