"""Background upkeep: conversation retention and the periodic jobs that run it."""

from bot.maintenance.retention import (
    DaysForServer,
    PeriodicJob,
    RetentionReport,
    retention_from_settings,
    run_retention,
    start_retention,
)

__all__ = [
    "DaysForServer",
    "PeriodicJob",
    "RetentionReport",
    "retention_from_settings",
    "run_retention",
    "start_retention",
]
