"""Tiny randomly initialized seq2seq models with real tokenizers, built offline in seconds.

They exercise the real loading and generation code (`from_pretrained` on a directory,
batching, language codes, forced BOS); their output is gibberish, so tests check plumbing.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

CORPUS = [
    "Hello world. This is a test sentence about the weather today.",
    "Merhaba dünya. Bu bir test cümlesidir, bugün hava çok güzel.",
    "Guten Morgen, wie geht es dir? Das Wetter ist schön.",
    "Bonjour le monde, comment ça va? Il fait beau aujourd'hui.",
    "The quick brown fox jumps over the lazy dog.",
    "Pijamalı hasta yağız şoföre çabucak güvendi.",
]


def _sentencepiece(path: Path) -> list[str]:
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 20),
        model_writer=model,
        vocab_size=200,
        hard_vocab_limit=False,
        model_type="unigram",
        character_coverage=1.0,
        bos_id=-1,
        eos_id=1,
        unk_id=2,
        pad_id=0,
        minloglevel=2,
    )
    path.write_bytes(model.getvalue())
    processor = spm.SentencePieceProcessor(model_proto=model.getvalue())
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())]


def build_marian(directory: Path) -> Path:
    """A Marian (Opus-MT style) model + MarianTokenizer saved like a hub checkpoint."""
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    directory.mkdir(parents=True, exist_ok=True)
    spm_path = directory / "train.spm"
    pieces = _sentencepiece(spm_path)
    vocab_path = directory / "train-vocab.json"
    vocab_path.write_text(json.dumps({p: i for i, p in enumerate(pieces)}), encoding="utf-8")
    tokenizer = MarianTokenizer(
        str(spm_path), str(spm_path), str(vocab_path), source_lang="tr", target_lang="en"
    )
    config = MarianConfig(
        vocab_size=len(tokenizer),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=128,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
        init_std=0.3,  # large enough that different inputs give different outputs
    )
    torch.manual_seed(0)
    MarianMTModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def build_nllb(directory: Path) -> Path:
    """An M2M-100 architecture model with an NllbTokenizer (FLORES-200 language tokens)."""
    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer

    directory.mkdir(parents=True, exist_ok=True)
    pieces = _sentencepiece(directory / "train.spm")
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    words = [p for p in pieces if p not in specials]
    vocab = {token: i for i, token in enumerate(specials + words)}
    tokenizer = NllbTokenizer(vocab=vocab, merges=[], src_lang="eng_Latn", tgt_lang="tur_Latn")
    config = M2M100Config(
        vocab_size=len(tokenizer),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=128,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        init_std=0.3,
    )
    torch.manual_seed(0)
    M2M100ForConditionalGeneration(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def build_t5(directory: Path) -> Path:
    """A T5 summarization-style model with a T5Tokenizer."""
    import sentencepiece as spm
    import torch
    from transformers import T5Config, T5ForConditionalGeneration, T5Tokenizer

    directory.mkdir(parents=True, exist_ok=True)
    spm_path = directory / "train.spm"
    _sentencepiece(spm_path)
    processor = spm.SentencePieceProcessor(model_file=str(spm_path))
    vocab = [(processor.id_to_piece(i), processor.get_score(i)) for i in range(len(processor))]
    tokenizer = T5Tokenizer(vocab=vocab, extra_ids=0)
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=32,
        d_kv=16,
        d_ff=64,
        num_layers=1,
        num_decoder_layers=1,
        num_heads=2,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        initializer_factor=3.0,
    )
    config.decoder_start_token_id = tokenizer.pad_token_id
    torch.manual_seed(0)
    model = T5ForConditionalGeneration(config)
    # Random weights may emit only special tokens (an empty summary): ban them for a few steps.
    model.generation_config.min_new_tokens = 4
    model.generation_config.suppress_tokens = [tokenizer.pad_token_id, tokenizer.unk_token_id]
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory
