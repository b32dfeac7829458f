"""Plain records passed between the core and the store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["AuditChange", "ConversationKey", "ServerSettingsSnapshot"]


@dataclass(frozen=True)
class ConversationKey:
    """Identifies one conversation; never shared across servers."""

    server_id: int
    scope: str  # e.g. "user:42:chan:7", "thread:9", "reply:123"

    def __str__(self) -> str:
        return f"{self.server_id}/{self.scope}"


@dataclass(frozen=True)
class AuditChange:
    """Who changed what; the store writes it in the same transaction as the change."""

    actor_id: int
    action: str  # "setting.set", "setting.reset", "plugin.enable", "plugin.roles", ...
    target: str = ""
    old_value: Any = None
    new_value: Any = None


@dataclass
class ServerSettingsSnapshot:
    """Everything the Router needs about one server, loaded in one go and cached."""

    enabled: dict[str, bool]
    overrides: dict[tuple[int, str], dict[str, Any]]  # (channel_id or 0, plugin) -> values
    allowed_roles: dict[str, set[int]]
