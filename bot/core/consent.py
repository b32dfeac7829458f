"""Members' consent to be remembered: `/privacy memory off|on`, and servers where it is opt-in.

A member's choice is kept per server or for everywhere (a server's own choice wins); without
one, the server decides (memory is on unless the server made it opt-in). Plugins never read
this directly: `Context.may_remember()` asks it, and `Context.remember_turns()` /
`Context.remember_summary()` store conversation text only when it says yes, so every plugin
that stores text through the context honours the choice the same way.

Choices live in the `bot_state` table under `memory:<member id>:<server id or all>`;
`/privacy forget` deletes them with the rest of the member's data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.i18n import N_
from bot.store.database import Store

__all__ = ["MemoryChoice", "MemoryConsent", "memory_key"]

EVERYWHERE = "all"


def memory_key(user_id: int, server_id: int | None) -> str:
    """The bot_state key of a member's choice on a server (None: everywhere)."""
    return f"memory:{user_id}:{EVERYWHERE if server_id is None else server_id}"


@dataclass(frozen=True)
class MemoryChoice:
    """Whether a member is remembered on a server, and why."""

    remembered: bool
    reason: str  # "your choice here", ... in English (N_): shown with `_(reason)`


class MemoryConsent:
    """The memory choices of members; `opt_in(server_id)` says whether a server made memory
    opt-in (supplied by the privacy plugin's settings; by default no server has)."""

    def __init__(
        self, store: Store, opt_in: Callable[[int], Awaitable[bool]] | None = None
    ) -> None:
        self.store = store
        self._opt_in = opt_in

    async def choice(self, user_id: int, server_id: int) -> MemoryChoice:
        here = await self.store.state.get(memory_key(user_id, server_id))
        if here is not None:
            return MemoryChoice(here == "on", N_("your choice here"))
        everywhere = await self.store.state.get(memory_key(user_id, None))
        if everywhere is not None:
            return MemoryChoice(everywhere == "on", N_("your choice everywhere"))
        opt_in = self._opt_in is not None and await self._opt_in(server_id)
        return MemoryChoice(not opt_in, N_("this server's default"))

    async def allows(self, user_id: int, server_id: int) -> bool:
        """True when text of `user_id` may be stored on `server_id`."""
        return (await self.choice(user_id, server_id)).remembered

    async def set(self, user_id: int, server_id: int | None, remembered: bool) -> None:
        """Record a choice for a server, or for everywhere (None: clears per-server ones)."""
        if server_id is None:
            for key in await self._server_keys(user_id):
                await self.store.state.delete(key)
        await self.store.state.set(memory_key(user_id, server_id), "on" if remembered else "off")

    async def forget(self, user_id: int, server_id: int | None) -> int:
        """Delete a member's choices (on one server, or all of them); returns how many."""
        if server_id is not None:
            key = memory_key(user_id, server_id)
            if await self.store.state.get(key) is None:
                return 0
            await self.store.state.delete(key)
            return 1
        keys = [*await self._server_keys(user_id), memory_key(user_id, None)]
        removed = 0
        for key in keys:
            if await self.store.state.get(key) is not None:
                await self.store.state.delete(key)
                removed += 1
        return removed

    async def export(self, user_id: int, server_id: int | None) -> dict[str, str]:
        """The member's choices: {"all" or server id: "on" | "off"}."""
        keys = [memory_key(user_id, server_id), memory_key(user_id, None)]
        if server_id is None:
            keys = [*await self._server_keys(user_id), memory_key(user_id, None)]
        out: dict[str, str] = {}
        for key in keys:
            value = await self.store.state.get(key)
            if value is not None:
                out[key.rsplit(":", 1)[1]] = value
        return out

    async def _server_keys(self, user_id: int) -> list[str]:
        from sqlalchemy import select

        from bot.store.models import KeyValue

        prefix = f"memory:{user_id}:"
        async with self.store.session() as s:
            keys = await s.scalars(select(KeyValue.key).where(KeyValue.key.startswith(prefix)))
            return [key for key in keys if key != memory_key(user_id, None)]
