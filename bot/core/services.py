"""The shared services handed to plugins. Core only holds references; services own behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from bot.config import Config
    from bot.core.settings import SettingsService
    from bot.store.database import Store

__all__ = ["TOKEN_BUDGET", "Services"]

# The extras entry holding `async (ctx) -> str | None`: why a model call would go over a daily
# token budget (registered by the `ai` plugin; read through `Context.budget_refusal`).
TOKEN_BUDGET = "token_budget"

T = TypeVar("T")


@dataclass
class Services:
    config: Config
    store: Store
    settings: SettingsService
    # Optional services registered by name (models, embedder, vectors, ...), created lazily.
    extras: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str, kind: type[T]) -> T:
        value = self.extras.get(name)
        if not isinstance(value, kind):
            raise LookupError(f"service {name!r} is not available")
        return value
