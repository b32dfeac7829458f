"""Prometheus metrics: handlers, models, errors, event-loop lag, retention.

One `Metrics` object owns its own CollectorRegistry, so tests (and several apps in one process)
never collide. The process-wide instance is `default_metrics()`; `record_model_call` and
`record_error` write to it, so the AI layer needs no reference to the app:

    from bot.observability import record_model_call
    record_model_call("openai", "gpt-4o-mini", 1.8, tokens_in=900, tokens_out=120, outcome="ok")
"""

from __future__ import annotations

import logging

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

__all__ = [
    "CONTENT_TYPE_LATEST",
    "ErrorLogCounter",
    "Metrics",
    "RouterMetrics",
    "default_metrics",
    "record_error",
    "record_model_call",
]

# Handlers answer in milliseconds (settings) up to minutes (document ingestion, long answers).
HANDLER_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
MODEL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120)
LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class Metrics:
    """Every Sohbet metric, registered on one registry."""

    def __init__(self, registry: CollectorRegistry | None = None, *, process: bool = True) -> None:
        self.registry = registry or CollectorRegistry()
        if process:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)
        r = self.registry
        labels = ["plugin", "handler", "outcome"]
        self.events = Counter(
            "sohbet_events", "Events (messages, commands) handled by a plugin", labels, registry=r
        )
        self.handler_seconds = Histogram(
            "sohbet_handler_seconds",
            "Time a plugin handler took, by outcome (ok, refused, error, cancelled)",
            labels,
            buckets=HANDLER_BUCKETS,
            registry=r,
        )
        self.errors = Counter(
            "sohbet_errors", "Errors by component (plugin, model, ...)", ["component"], registry=r
        )
        self.log_errors = Counter(
            "sohbet_log_errors",
            "ERROR and CRITICAL log records, by top-level logger (bot, plugins, discord, ...)",
            ["logger"],
            registry=r,
        )
        self.model_seconds = Histogram(
            "sohbet_model_seconds",
            "Latency of chat model calls",
            ["provider", "model", "outcome"],
            buckets=MODEL_BUCKETS,
            registry=r,
        )
        self.model_tokens = Counter(
            "sohbet_model_tokens",
            "Tokens sent to (in) and produced by (out) chat models",
            ["provider", "model", "direction"],
            registry=r,
        )
        self.loop_lag = Gauge(
            "sohbet_event_loop_lag_seconds",
            "Most recent event-loop scheduling delay",
            registry=r,
        )
        self.loop_lag_samples = Histogram(
            "sohbet_event_loop_lag_sample_seconds",
            "Distribution of event-loop scheduling delay",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.gc_pauses = Histogram(
            "sohbet_gc_pause_seconds",
            "Garbage-collection pauses (they stop the event loop), by generation",
            ["generation"],
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.inflight = Gauge(
            "sohbet_inflight_handlers", "Event handlers running right now", registry=r
        )
        self.retention_deleted = Counter(
            "sohbet_retention_deleted_conversations",
            "Conversations deleted by the retention job",
            registry=r,
        )
        self.retention_last_run = Gauge(
            "sohbet_retention_last_run_timestamp_seconds",
            "When the retention job last finished (Unix time)",
            registry=r,
        )

    def observe_handler(self, plugin: str, handler: str, seconds: float, outcome: str) -> None:
        self.events.labels(plugin, handler, outcome).inc()
        self.handler_seconds.labels(plugin, handler, outcome).observe(seconds)
        if outcome == "error":
            self.errors.labels("plugin").inc()

    def model_call(
        self,
        provider: str,
        model: str,
        seconds: float,
        tokens_in: int = 0,
        tokens_out: int = 0,
        outcome: str = "ok",
    ) -> None:
        self.model_seconds.labels(provider, model, outcome).observe(max(seconds, 0.0))
        if tokens_in > 0:
            self.model_tokens.labels(provider, model, "in").inc(tokens_in)
        if tokens_out > 0:
            self.model_tokens.labels(provider, model, "out").inc(tokens_out)
        if outcome not in ("ok", "cancelled"):
            self.errors.labels("model").inc()

    def observe_loop_lag(self, seconds: float) -> None:
        self.loop_lag.set(seconds)
        self.loop_lag_samples.observe(seconds)

    def observe_gc_pause(self, generation: int, seconds: float) -> None:
        self.gc_pauses.labels(str(generation)).observe(seconds)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)


class RouterMetrics:
    """A RouterObserver: every handler run becomes an event count and a latency sample."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def observe(self, plugin: str, handler: str, seconds: float, outcome: str) -> None:
        self.metrics.observe_handler(plugin, handler, seconds, outcome)


class ErrorLogCounter(logging.Handler):
    """Counts ERROR (and worse) log records as `sohbet_log_errors{logger="bot"}`."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__(level=logging.ERROR)
        self.metrics = metrics

    def emit(self, record: logging.LogRecord) -> None:
        self.metrics.log_errors.labels(record.name.partition(".")[0] or "root").inc()


_default: Metrics | None = None


def default_metrics() -> Metrics:
    """The process-wide metrics (created on first use)."""
    global _default
    if _default is None:
        _default = Metrics()
    return _default


def record_model_call(
    provider: str,
    model: str,
    seconds: float,
    tokens_in: int = 0,
    tokens_out: int = 0,
    outcome: str = "ok",
) -> None:
    """Record one chat-model call: outcome is "ok", "error", "timeout" or "cancelled"."""
    default_metrics().model_call(provider, model, seconds, tokens_in, tokens_out, outcome)


def record_error(component: str) -> None:
    """Count an error that was handled (logged or shown to a user) outside the Router."""
    default_metrics().errors.labels(component).inc()
