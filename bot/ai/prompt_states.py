"""The last few evaluated prompts of a llama.cpp model, so different kinds of request don't
evict each other's fixed instructions.

llama.cpp in process keeps one sequence: the previous request's tokens. A chat message between
two /ask makes the next /ask read its instruction prefix again (~170 tokens, ~2 s on 2 cores),
and the /ask makes the next chat message read the chat's system prompt and history again.
llama-cpp-python saves the model's state after each completed request into the cache set with
`Llama.set_cache` and, before the next one, loads the saved state that shares the longest prefix
with the new prompt when it shares more than what is loaded (then only the rest is read).

Its own `Llama.save_state` copies the logits buffer too (n_batch x vocabulary floats: 311 MB
with Qwen's 152k vocabulary, 0.16-1 s after every answer on 2 cores) and `LlamaRAMCache` counts
only the KV bytes against its capacity. Here states are saved without the logits: llama.cpp reads
at least the prompt's last token again after loading a state, which gives fresh logits. At most
`size` states are kept (least recently used first out), ~16 MB for a 600-token /ask with
Qwen2.5-1.5B.
"""

from __future__ import annotations

import ctypes
from collections import OrderedDict
from collections.abc import Sequence
from types import MethodType

import llama_cpp
import numpy as np
from llama_cpp.llama import Llama, LlamaState
from llama_cpp.llama_cache import BaseLlamaCache

__all__ = ["PromptStates", "keep_prompt_states"]

SIZE = 4  # request kinds in flight in one server: /ask, chat, summaries, translations


def keep_prompt_states(llama: Llama, size: int = SIZE) -> PromptStates:
    """`llama` keeps its last `size` prompts' states, saved without the logits."""
    states = PromptStates(size)
    llama.set_cache(states)
    setattr(llama, "save_state", MethodType(_save_state_without_logits, llama))  # noqa: B010
    return states


def _save_state_without_logits(llama: Llama) -> LlamaState:
    """`Llama.save_state` less the logits copy; `Llama.load_state` broadcasts the one zero row."""
    context = llama._ctx.ctx
    size = llama_cpp.llama_state_get_size(context)
    buffer = (ctypes.c_uint8 * int(size))()
    used = int(llama_cpp.llama_state_get_data(context, buffer, size))
    if used > int(size):
        raise RuntimeError("llama.cpp wrote more state than it said it would")
    return LlamaState(
        input_ids=llama.input_ids.copy(),
        scores=np.zeros((1, llama.n_vocab()), dtype=np.single),
        n_tokens=llama.n_tokens,
        llama_state=ctypes.string_at(buffer, used),
        llama_state_size=used,
        seed=llama._seed,
    )


class PromptStates(BaseLlamaCache):
    def __init__(self, size: int = SIZE) -> None:
        super().__init__(capacity_bytes=0)
        self.size = size
        self._states: OrderedDict[tuple[int, ...], LlamaState] = OrderedDict()

    @property
    def cache_size(self) -> int:
        return sum(int(state.llama_state_size) for state in self._states.values())

    def _find_longest_prefix_key(self, key: tuple[int, ...]) -> tuple[int, ...] | None:
        best, longest = None, 0
        for stored in self._states:
            shared = Llama.longest_token_prefix(stored, key)
            if shared > longest:
                best, longest = stored, shared
        return best

    def __getitem__(self, key: Sequence[int]) -> LlamaState:
        found = self._find_longest_prefix_key(tuple(key))
        if found is None:
            raise KeyError("no stored prompt shares a prefix")
        self._states.move_to_end(found)
        return self._states[found]

    def __contains__(self, key: Sequence[int]) -> bool:
        return self._find_longest_prefix_key(tuple(key)) is not None

    def __setitem__(self, key: Sequence[int], value: LlamaState) -> None:
        stored = tuple(key)
        self._states.pop(stored, None)
        self._states[stored] = value
        while len(self._states) > self.size:
            self._states.popitem(last=False)
