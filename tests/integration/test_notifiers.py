"""The notifiers against a real HTTP server, and the outbox's retry schedule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING

import pytest
import structlog
from werkzeug import Response

from propdesk.worker import DeliveryFailed, DeliveryRejected, LogNotifier, Notice, WebhookNotifier
from propdesk.worker.sending import Retrying

if TYPE_CHECKING:
    from pytest_httpserver import HTTPServer
    from werkzeug import Request

NOTICE = Notice(
    key="5b1f…:8:sup-wang", ticket_id="5b1f0000-0000-0000-0000-000000000000", kind="repair",
    estate="cuiyuan", event="GoalBreached", goal="arrive_asap",
    due_at=datetime(2026, 11, 23, 1, 11, tzinfo=UTC), recipient="sup-wang",
    recipient_name="王主管", role="engineering_supervisor", urgent=True,
    text="[cuiyuan] ticket 5b1f0000: arrive_asap missed its deadline",
    happened_at=datetime(2026, 11, 23, 1, 12, tzinfo=UTC),
)  # fmt: skip


def test_the_webhook_posts_the_notice_as_json_with_its_key(httpserver: HTTPServer):
    seen: list[Request] = []

    def answer(request: Request) -> Response:
        seen.append(request)
        return Response(status=204)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(answer)
    with WebhookNotifier(httpserver.url_for("/hook")) as notifier:
        notifier.send(NOTICE)
    [request] = seen
    assert request.headers["Idempotency-Key"] == "5b1f%E2%80%A6:8:sup-wang"  # "…" encoded
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.get_data())
    assert body["recipient"] == "sup-wang"
    assert body["recipient_name"] == "王主管"
    assert Notice.model_validate(body) == NOTICE


@pytest.mark.parametrize("status", [500, 502, 503, 408, 425, 429])
def test_server_errors_and_try_later_answers_are_failures_to_retry(
    httpserver: HTTPServer, status: int
):
    httpserver.expect_request("/hook").respond_with_data("busy", status=status)
    with WebhookNotifier(httpserver.url_for("/hook")) as notifier, pytest.raises(DeliveryFailed):
        notifier.send(NOTICE)


@pytest.mark.parametrize("status", [400, 401, 404, 410, 422])
def test_other_client_errors_are_final(httpserver: HTTPServer, status: int):
    httpserver.expect_request("/hook").respond_with_data("no", status=status)
    with (
        WebhookNotifier(httpserver.url_for("/hook")) as notifier,
        pytest.raises(DeliveryRejected, match=str(status)),
    ):
        notifier.send(NOTICE)


def test_retry_after_is_read_as_seconds_or_as_a_date(httpserver: HTTPServer):
    httpserver.expect_ordered_request("/hook").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "120"}
    )
    later = datetime.now(UTC) + timedelta(minutes=10)
    httpserver.expect_ordered_request("/hook").respond_with_data(
        "maintenance", status=503, headers={"Retry-After": format_datetime(later, usegmt=True)}
    )
    with WebhookNotifier(httpserver.url_for("/hook")) as notifier:
        with pytest.raises(DeliveryFailed) as first:
            notifier.send(NOTICE)
        with pytest.raises(DeliveryFailed) as second:
            notifier.send(NOTICE)
    assert first.value.retry_after == 120
    assert second.value.retry_after is not None
    assert 590 <= second.value.retry_after <= 600


def test_no_answer_is_a_failure_to_retry():
    with (
        WebhookNotifier("http://127.0.0.1:9/hook", timeout=0.5) as notifier,  # the discard port
        pytest.raises(DeliveryFailed, match="ConnectError"),
    ):
        notifier.send(NOTICE)


def test_the_log_notifier_logs_the_notice_with_its_ticket():
    with structlog.testing.capture_logs() as logs:
        LogNotifier().send(NOTICE)
    [entry] = logs
    assert entry["event"] == "notification"
    assert entry["ticket_id"] == NOTICE.ticket_id
    assert entry["key"] == NOTICE.key
    assert entry["about"] == "GoalBreached"


def test_retries_wait_longer_each_time_up_to_the_cap_and_honour_the_receiver():
    retrying = Retrying(base_seconds=2, max_seconds=60, max_attempts=10)
    waits = [retrying.wait(attempt, None) for attempt in range(1, 9)]
    for attempt, wait in enumerate(waits, start=1):
        plain = min(60, 2 * 2 ** (attempt - 1))
        assert plain <= wait <= plain * 1.2
    assert retrying.wait(1, 300) == 300  # the receiver asked for longer
    assert retrying.wait(8, 1) >= 60
