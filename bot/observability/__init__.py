"""Operations: Prometheus metrics, health/readiness probes and event-loop lag."""

from bot.observability.gc_pauses import GCPauseRecorder, freeze_startup_objects
from bot.observability.health import Check, HealthServer, MetricsPortUnavailable, run_checks
from bot.observability.loop_lag import LagStats, LoopLagMonitor
from bot.observability.metrics import (
    Metrics,
    RouterMetrics,
    default_metrics,
    record_error,
    record_model_call,
)
from bot.observability.service import Observability, readiness_checks, start_observability

__all__ = [
    "Check",
    "GCPauseRecorder",
    "HealthServer",
    "LagStats",
    "LoopLagMonitor",
    "Metrics",
    "MetricsPortUnavailable",
    "Observability",
    "RouterMetrics",
    "default_metrics",
    "freeze_startup_objects",
    "readiness_checks",
    "record_error",
    "record_model_call",
    "run_checks",
    "start_observability",
]
