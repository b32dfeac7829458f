"""Background upkeep: conversation retention, graceful shutdown, and the runners' wiring."""

from bot.maintenance.retention import (
    DaysForServer,
    PeriodicJob,
    RetentionReport,
    retention_from_settings,
    run_retention,
    start_retention,
)
from bot.maintenance.runtime import DEFAULT_GRACE, Operations
from bot.maintenance.shutdown import (
    RESTART_MESSAGE,
    DrainReport,
    InFlight,
    ShuttingDown,
    on_signals,
)

__all__ = [
    "DEFAULT_GRACE",
    "RESTART_MESSAGE",
    "DaysForServer",
    "DrainReport",
    "InFlight",
    "Operations",
    "PeriodicJob",
    "RetentionReport",
    "ShuttingDown",
    "on_signals",
    "retention_from_settings",
    "run_retention",
    "start_retention",
]
