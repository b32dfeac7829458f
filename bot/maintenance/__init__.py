"""Background upkeep: conversation retention and graceful shutdown."""

from bot.maintenance.retention import (
    DaysForServer,
    PeriodicJob,
    RetentionReport,
    run_retention,
    start_retention,
)
from bot.maintenance.shutdown import (
    RESTART_MESSAGE,
    DrainReport,
    InFlight,
    ShuttingDown,
    on_signals,
)

__all__ = [
    "RESTART_MESSAGE",
    "DaysForServer",
    "DrainReport",
    "InFlight",
    "PeriodicJob",
    "RetentionReport",
    "ShuttingDown",
    "on_signals",
    "run_retention",
    "start_retention",
]
