"""The worker's Prometheus metrics (``pip install 'propdesk[metrics]'``).

- ``propdesk_worker_due_deadlines`` (gauge): agenda rows due and not done, after the last
  tick;
- ``propdesk_worker_lag_seconds`` (gauge): how long the oldest of them has been due;
- ``propdesk_worker_projection_lag_events`` (gauge, by ``projection``): events not projected;
- ``propdesk_worker_actions_total`` (counter, by ``action`` and ``outcome``): deadlines handled;
- ``propdesk_worker_notifications_total`` (counter, by ``result``): sent, retried, failed;
- ``propdesk_worker_failures_total`` (counter, by ``stage``): ticks that failed;
- ``propdesk_worker_tick_seconds`` (histogram): how long ticks take.

Without the extra, or without a port, :class:`Metrics` records nothing and costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from propdesk.domain.errors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Mapping


class Metrics:
    """Records the worker's figures; a no-op unless :meth:`serve` was called."""

    def __init__(self) -> None:
        self._on = False
        self._m: dict[str, Any] = {}

    def serve(self, port: int, address: str = "127.0.0.1") -> None:
        """Starts the HTTP endpoint (``/metrics``) in a background thread.

        Raises:
            ConfigurationError: ``prometheus-client`` is not installed.
        """
        try:
            import prometheus_client as prom  # noqa: PLC0415 - an optional extra
        except ImportError as error:
            msg = "metrics need prometheus-client: pip install 'propdesk[metrics]'"
            raise ConfigurationError(msg) from error
        registry = prom.CollectorRegistry()
        self._m = {
            "due": prom.Gauge("propdesk_worker_due_deadlines",
                              "Agenda rows due and not done", registry=registry),
            "lag": prom.Gauge("propdesk_worker_lag_seconds",
                              "Seconds the oldest due row has waited", registry=registry),
            "projection_lag": prom.Gauge("propdesk_worker_projection_lag_events",
                                         "Events not yet projected", ["projection"],
                                         registry=registry),
            "actions": prom.Counter("propdesk_worker_actions", "Deadlines handled",
                                    ["action", "outcome"], registry=registry),
            "notifications": prom.Counter("propdesk_worker_notifications", "Notices",
                                          ["result"], registry=registry),
            "failures": prom.Counter("propdesk_worker_failures", "Failed ticks", ["stage"],
                                     registry=registry),
            "tick": prom.Histogram("propdesk_worker_tick_seconds", "Tick duration",
                                   registry=registry),
        }  # fmt: skip
        prom.start_http_server(port, addr=address, registry=registry)
        self._on = True

    def due(self, count: int, lag_seconds: float) -> None:
        """The due rows and the oldest one's wait."""
        if self._on:
            self._m["due"].set(count)
            self._m["lag"].set(lag_seconds)

    def projection_lag(self, lags: Mapping[str, int]) -> None:
        """Each projection's lag behind the store."""
        if self._on:
            for name, lag in lags.items():
                self._m["projection_lag"].labels(projection=name).set(lag)

    def action(self, action: str, outcome: str) -> None:
        """One deadline handled."""
        if self._on:
            self._m["actions"].labels(action=action, outcome=outcome).inc()

    def notifications(self, sent: int, retried: int, failed: int) -> None:
        """One round of sending."""
        if self._on:
            for result, n in (("sent", sent), ("retried", retried), ("failed", failed)):
                if n:
                    self._m["notifications"].labels(result=result).inc(n)

    def failure(self, stage: str) -> None:
        """A tick failed at ``stage``."""
        if self._on:
            self._m["failures"].labels(stage=stage).inc()

    def tick(self, seconds: float) -> None:
        """A tick's duration."""
        if self._on:
            self._m["tick"].observe(seconds)
