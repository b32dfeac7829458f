"""Text cleanup of a big document must not stall the event loop, and must clean as before."""

from __future__ import annotations

import asyncio
import random
import re
import unicodedata

from bot.documents import cleanup
from bot.documents.cleanup import clean_text
from bot.observability import LoopLagMonitor

_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_LIGATURES = {cp: unicodedata.normalize("NFKC", chr(cp)) for cp in range(0xFB00, 0xFB07)}


def whole_text_reference(text: str) -> str:
    """The previous implementation: every step on the whole text at once."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    text = _CONTROLS.sub("", text).translate(_LIGATURES)
    text = unicodedata.normalize("NFC", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


PARTS = [
    "a", "b", " ", "\t", "\n", "\r", "\r\n", "\f", "\x00", "\x0b", "\x7f", "ﬁ", "ﬂ",
    "e\u0301", "\u0301", "ş", "İ", "  \n", "\n\n\n", "ğü",
]  # fmt: skip


def test_piecewise_cleaning_matches_whole_text_cleaning(monkeypatch) -> None:
    rng = random.Random(7)
    for size in (1, 3, 8, cleanup.PIECE_CHARS):
        monkeypatch.setattr(cleanup, "PIECE_CHARS", size)
        monkeypatch.setattr(cleanup, "_pieces", lambda text, s=size, f=cleanup._pieces: f(text, s))
        for _ in range(1500):
            text = "".join(rng.choice(PARTS) for _ in range(rng.randint(0, 50)))
            assert clean_text(text) == whole_text_reference(text), repr(text)


def test_pieces_cover_the_text_and_end_at_newlines() -> None:
    text = ("line of text\n" * 20_000) + "tail without newline"
    pieces = list(cleanup._pieces(text))
    assert "".join(pieces) == text and len(pieces) > 3
    assert all(p.endswith("\n") for p in pieces[:-1])
    assert all(len(p) <= cleanup.PIECE_CHARS + 20 for p in pieces)


def turkish_document(megabytes: float) -> str:
    line = "Şehirdeki ağaçların gölgesinde çay içtik ve ﬁkirlerimizi paylaştık.  \n\n\n"
    return unicodedata.normalize("NFD", line * int(megabytes * 1_000_000 / len(line)))


async def _lag_while_cleaning(text: str) -> float:
    monitor = LoopLagMonitor(0.005, warn_above=None)
    monitor.start()
    await asyncio.sleep(0.02)
    cleaned = await asyncio.to_thread(clean_text, text)
    await monitor.stop()
    assert cleaned.startswith("Şehirdeki ağaçların")  # composed again (NFC), ligature gone
    assert "ﬁ" not in cleaned[:200] and "\n\n\n" not in cleaned[:500]
    return monitor.max_lag


async def test_cleaning_a_big_document_in_a_thread_leaves_the_loop_responsive() -> None:
    # 4 MB of decomposed Turkish text: whole-text translate + NFC held the GIL ~270 ms here.
    text = turkish_document(4)
    best = min([await _lag_while_cleaning(text) for _ in range(3)])  # other load on 2 cores
    assert best < 0.1, f"the event loop stalled for {best * 1000:.0f} ms"
