"""Tiny randomly initialised BERT models with a real WordPiece tokenizer, built offline in
about a second. They exercise the real loading code (``from_pretrained`` on a folder, the
sentence-transformers module stack, the text-classification pipeline); their outputs are
random, so tests check plumbing and label mapping, not accuracy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CORPUS = [
    "I love this product, it works perfectly.",
    "The delivery was late and the box was damaged.",
    "Bu film gerçekten harikaydı, çok beğendim.",
    "Kargo gecikti ve ürün kırık geldi.",
    "The weather is nice today. Bugün hava çok güzel.",
    "query: passage: what time is it?",
]


def build_tokenizer(directory: Path) -> Any:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertTokenizerFast  # type: ignore[attr-defined]

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(
        CORPUS * 10, trainers.WordPieceTrainer(vocab_size=300, special_tokens=specials)
    )
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))],
    )
    fast = BertTokenizerFast(tokenizer_object=tok, model_max_length=64)
    fast.save_pretrained(directory)
    return fast


def bert_config(vocab_size: int, **extra: Any) -> Any:
    from transformers import BertConfig

    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=64,
        **extra,
    )


def build_classifier(directory: Path, id2label: dict[int, str]) -> Path:
    """A ``BertForSequenceClassification`` saved like a Hub checkpoint."""
    import torch
    from transformers import BertForSequenceClassification

    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(directory)
    config = bert_config(
        len(tokenizer), id2label=id2label, label2id={v: k for k, v in id2label.items()}
    )
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(directory)
    return directory


def build_sentence_transformer(directory: Path, prompts: dict[str, str] | None = None) -> Path:
    """A BERT encoder + mean pooling saved as a sentence-transformers model."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling
    from transformers import BertModel

    encoder_dir = directory / "encoder"
    encoder_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(encoder_dir)
    torch.manual_seed(0)
    BertModel(bert_config(len(tokenizer))).save_pretrained(encoder_dir)
    transformer = Transformer(str(encoder_dir), max_seq_length=64)
    pooling = Pooling(32, pooling_mode="mean")
    model = SentenceTransformer(modules=[transformer, pooling], device="cpu", prompts=prompts)
    model.save(str(directory / "model"))
    return directory / "model"
