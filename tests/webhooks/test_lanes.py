"""Lanes: one per endpoint while it answers fast, more (up to the cap) while every lane waits."""

import time
import uuid

from shared.webhooks.lanes import Lanes

ENDPOINT = uuid.uuid4()


def test_a_fast_endpoint_gets_one_lane_and_a_wake_up_mark() -> None:
    lanes = Lanes(split_after=0.1)
    assert lanes.open(ENDPOINT, default_cap=4)
    lanes.sent(ENDPOINT, 1, time.monotonic())  # its request just went out
    assert not lanes.open(ENDPOINT, default_cap=4)
    assert lanes.in_flight(ENDPOINT) == 1
    assert lanes.keep_going(ENDPOINT)  # the busy lane looks again before it stops
    assert not lanes.keep_going(ENDPOINT)


def test_lanes_open_while_every_lane_waits_up_to_the_cap() -> None:
    lanes = Lanes(split_after=0.1)
    lanes.caps[ENDPOINT] = 2
    assert lanes.open(ENDPOINT, default_cap=4)
    lanes.sent(ENDPOINT, 1, time.monotonic() - 1)  # waiting for a second already
    assert lanes.open(ENDPOINT, default_cap=4)
    lanes.sent(ENDPOINT, 2, time.monotonic())  # the second lane's request is fresh
    lanes.caps[ENDPOINT] = 3
    assert not lanes.open(ENDPOINT, default_cap=4)  # not every lane is waiting
    lanes.sent(ENDPOINT, 2, time.monotonic() - 1)
    assert lanes.open(ENDPOINT, default_cap=4)
    lanes.sent(ENDPOINT, 3, time.monotonic() - 1)
    assert not lanes.open(ENDPOINT, default_cap=4)  # cap (3) reached
    assert lanes.in_flight(ENDPOINT) == 3


def test_answers_and_closing_release_lanes() -> None:
    lanes = Lanes(split_after=0.1)
    assert lanes.open(ENDPOINT, default_cap=2)
    lanes.sent(ENDPOINT, 1, time.monotonic() - 1)
    lanes.sent(ENDPOINT, 1, None)
    assert not lanes.stalled(ENDPOINT)
    assert lanes.grow(ENDPOINT, default_cap=2)
    assert not lanes.grow(ENDPOINT, default_cap=2)
    lanes.close(ENDPOINT)
    lanes.close(ENDPOINT)
    assert lanes.in_flight(ENDPOINT) == 0
    assert lanes.open(ENDPOINT, default_cap=2)
