"""Turns at a local model, shared fairly: round-robin between servers, then between users.

An in-process model answers one request at a time. A plain FIFO lets one busy server (or one
member sending ten questions) push everyone else's answer back by all of theirs. Here every
waiting request sits in its user's line inside its server's line; when the model is free, the
next turn goes to the server that was served longest ago, and within it to the user served
longest ago. So with several people waiting, nobody waits behind more than one request of
each other waiting user.

    queue = FairQueue()
    await queue.acquire(("server 1", "user 7"))   # waits its turn; cancel it to give up
    try: ...generate...
    finally: queue.release()
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import Hashable

__all__ = ["FairQueue", "Who"]

Who = tuple[Hashable, Hashable]  # (server, user)


class FairQueue:
    """One holder at a time; waiters get turns round-robin by server, then by user."""

    def __init__(self) -> None:
        self._busy = False
        self._holder: Who = ("", "")
        # server -> user -> their waiting requests (oldest first); orders are "served longest
        # ago first": a server and user move to the end when their turn ends.
        self._lines: OrderedDict[Hashable, OrderedDict[Hashable, deque[asyncio.Future[None]]]] = (
            OrderedDict()
        )

    @property
    def busy(self) -> bool:
        return self._busy

    def waiting(self) -> int:
        """Requests waiting for a turn (not counting the one being answered)."""
        return sum(len(line) for users in self._lines.values() for line in users.values())

    def waiting_users(self) -> int:
        return sum(len(users) for users in self._lines.values())

    def locked(self) -> bool:  # asyncio.Lock's name, for callers written against a lock
        return self._busy

    async def acquire(self, who: Who = ("", "")) -> bool:
        """Wait for a turn (cancellation, e.g. a timeout, leaves the queue cleanly)."""
        server, user = who
        if not self._busy and not self._lines:
            self._busy, self._holder = True, who
            return True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        users = self._lines.setdefault(server, OrderedDict())
        users.setdefault(user, deque()).append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # the turn came just as we gave up: pass it on
            else:
                self._forget(server, user, future)
            raise
        return True

    def release(self) -> None:
        """End the current turn and give the next one, fairly."""
        if not self._busy:
            raise RuntimeError("FairQueue.release() without a turn")
        self._busy = False
        self._touch(*self._holder)  # whoever was just served waits behind everyone else
        self._wake_next()

    def _wake_next(self) -> None:
        while self._lines:
            server, users = next(iter(self._lines.items()))
            user, line = next(iter(users.items()))
            future = line.popleft()
            if not line:
                del users[user]
            if not users:
                del self._lines[server]
            if future.done():  # cancelled while queued and not yet forgotten
                continue
            self._busy, self._holder = True, (server, user)
            future.set_result(None)
            return

    def _touch(self, server: Hashable, user: Hashable) -> None:
        """`server` and `user` were just served: they go to the back of the turn orders."""
        users = self._lines.get(server)
        if users is not None:
            self._lines.move_to_end(server)
            if user in users:
                users.move_to_end(user)

    def _forget(self, server: Hashable, user: Hashable, future: asyncio.Future[None]) -> None:
        users = self._lines.get(server)
        line = users.get(user) if users is not None else None
        if users is None or line is None or future not in line:
            return
        line.remove(future)
        if not line:
            del users[user]
        if not users:
            del self._lines[server]
