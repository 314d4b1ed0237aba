"""Flow control and keepalive decisions, driven with numbers instead of a socket and a clock."""

from __future__ import annotations

from server.ws.flow import Decision, FlowControl, Limits

LIMITS = Limits(max_unacked_bytes=1000, init_timeout=10.0, pong_timeout=30.0, keepalive=12.0, ping_every_bytes=100)


def test_pings_after_every_ping_every_bytes_sent() -> None:
    flow = FlowControl(LIMITS, now=0.0)

    flow.sent(99, now=1.0)
    assert flow.after_send() is Decision.NOTHING
    flow.sent(1, now=1.0)
    assert flow.after_send() is Decision.PING
    assert flow.ping_sent(now=1.0) == 1
    flow.sent(50, now=1.0)  # the ping and a result: not 100 bytes past the ping's mark yet
    assert flow.after_send() is Decision.NOTHING


def test_a_pong_acknowledges_what_was_sent_before_its_ping() -> None:
    flow = FlowControl(LIMITS, now=0.0)
    flow.sent(300, now=0.0)
    first = flow.ping_sent(now=0.0)
    flow.sent(300, now=0.0)
    second = flow.ping_sent(now=0.0)
    flow.sent(300, now=0.0)

    flow.on_pong({"n": first})
    assert (flow.acked_bytes, flow.unacked_bytes) == (300, 600)
    flow.on_pong({"n": second})
    assert (flow.acked_bytes, flow.unacked_bytes) == (600, 300)


def test_a_pong_without_a_number_acknowledges_the_oldest_open_ping() -> None:
    flow = FlowControl(LIMITS, now=0.0)
    flow.sent(200, now=0.0)
    flow.ping_sent(now=0.0)
    flow.sent(200, now=0.0)
    flow.ping_sent(now=0.0)

    flow.on_pong(None)

    assert flow.acked_bytes == 200


def test_a_client_that_stops_reading_is_a_slow_consumer() -> None:
    flow = FlowControl(LIMITS, now=0.0)
    flow.sent(1000, now=0.0)
    assert flow.after_send() is not Decision.CLOSE_SLOW_CONSUMER
    flow.sent(1, now=0.0)
    assert flow.after_send() is Decision.CLOSE_SLOW_CONSUMER


def test_no_connection_init_in_time_closes() -> None:
    flow = FlowControl(LIMITS, now=100.0)

    assert flow.on_tick(110.0, acknowledged=False) is Decision.NOTHING
    assert flow.on_tick(110.5, acknowledged=False) is Decision.CLOSE_NO_INIT
    assert flow.on_tick(110.5, acknowledged=True) is Decision.NOTHING


def test_keepalive_after_a_quiet_spell_and_a_timeout_for_an_unanswered_ping() -> None:
    flow = FlowControl(LIMITS, now=0.0)
    flow.sent(10, now=1.0)

    assert flow.on_tick(13.0, acknowledged=True) is Decision.NOTHING
    assert flow.on_tick(13.5, acknowledged=True) is Decision.PING
    flow.ping_sent(now=13.5)
    flow.sent(20, now=13.5)
    assert flow.on_tick(25.0, acknowledged=True) is Decision.NOTHING
    assert flow.on_tick(43.5, acknowledged=True) is Decision.PING  # quiet again, the ping still open
    assert flow.on_tick(44.0, acknowledged=True) is Decision.CLOSE_NO_PONG
    flow.on_pong({"n": 1})
    assert flow.on_tick(44.0, acknowledged=True) is Decision.PING  # answered; quiet again
