"""A process's lanes: slow endpoints get a bounded share, the others always find a lane, and
an endpoint refused one gets the next that frees, in order."""

import time
import uuid

from shared.webhooks.lanes import Lanes


def hanging(lanes: Lanes, endpoint_id: uuid.UUID, token: int) -> None:
    """A lane of the endpoint has had a request out for a second."""
    lanes.sent(endpoint_id, token, time.monotonic() - 1)


def test_slow_endpoints_never_take_the_lanes_of_the_others() -> None:
    lanes = Lanes(split_after=0.1, capacity=6, slow_capacity=3)
    slow = [uuid.uuid4() for _ in range(5)]
    for token, endpoint_id in enumerate(slow):  # each looks healthy when its lane opens
        lanes.caps[endpoint_id] = 16
        assert lanes.open(endpoint_id, default_cap=4)
        hanging(lanes, endpoint_id, token)
    # Five lanes hang, two more than the slow share: no slow endpoint gets another one...
    assert not any(lanes.grow(endpoint_id, default_cap=4) for endpoint_id in slow)
    assert not any(lanes.open(endpoint_id, default_cap=4) for endpoint_id in slow)
    # ...and the surplus gives its place up after its current request.
    assert all(lanes.over_slow_capacity(endpoint_id) for endpoint_id in slow)
    # The last lane of the process goes to an endpoint that answers.
    healthy = uuid.uuid4()
    assert lanes.open(healthy, default_cap=4)
    assert not lanes.open(uuid.uuid4(), default_cap=4)  # capacity (6) reached


def test_a_slow_endpoint_waits_in_line_and_healthy_ones_pass_it() -> None:
    lanes = Lanes(split_after=0.1, capacity=4, slow_capacity=1)
    first, second = uuid.uuid4(), uuid.uuid4()
    lanes.answered(first, success=False, waited=5.0)  # its last attempt timed out
    lanes.answered(second, success=False, waited=5.0)
    assert lanes.open(first, default_cap=4)
    assert not lanes.open(second, default_cap=4)  # the slow share (1) is taken
    assert list(lanes.waiting) == [second]
    healthy = uuid.uuid4()
    assert lanes.open(healthy, default_cap=4)  # not held up by the slow one in line
    assert lanes.next_in_line() is None  # still no slow lane free
    lanes.close(first)
    assert lanes.next_in_line() == second  # the freed slow lane, to the one in line
    assert lanes.in_flight(second) == 1
    assert not lanes.waiting


def test_a_prompt_success_makes_an_endpoint_healthy_again() -> None:
    lanes = Lanes(split_after=0.1, capacity=4, slow_capacity=1)
    endpoint_id = uuid.uuid4()
    lanes.answered(endpoint_id, success=False, waited=0.01)
    assert lanes.slow(endpoint_id)
    lanes.answered(endpoint_id, success=True, waited=0.01)
    assert not lanes.slow(endpoint_id)


def test_an_answer_late_by_less_than_slow_after_is_not_slow() -> None:
    """A healthy endpoint answering late on a loaded worker (past `split_after`, so it may
    get a second lane) is not put with the hanging ones; past `slow_after` it is."""
    lanes = Lanes(split_after=0.1, slow_after=1.0, capacity=4, slow_capacity=1)
    late, hanging_one = uuid.uuid4(), uuid.uuid4()
    lanes.answered(late, success=True, waited=0.5)
    assert not lanes.slow(late)
    lanes.answered(hanging_one, success=True, waited=1.5)
    assert lanes.slow(hanging_one)
    assert lanes.open(late, default_cap=4)
    lanes.sent(late, 1, time.monotonic() - 0.5)  # out for half a second now
    assert lanes.stalled(late)  # every lane waited past split_after: another may open
    assert not lanes.slow(late)
    lanes.sent(late, 1, None)
    lanes.sent(late, 1, time.monotonic() - 1.5)
    assert lanes.slow(late)


def test_extra_lanes_come_from_the_slow_share() -> None:
    """Endpoints that start to hang split before they count as slow: their extra lanes are
    still bounded by the slow share, and every endpoint's first lane stays available."""
    lanes = Lanes(split_after=0.1, slow_after=1.0, capacity=6, slow_capacity=2)
    starting = [uuid.uuid4() for _ in range(3)]
    for token, endpoint_id in enumerate(starting):
        lanes.caps[endpoint_id] = 16
        assert lanes.open(endpoint_id, default_cap=4)
        lanes.sent(endpoint_id, token, time.monotonic() - 0.2)  # stalled, not yet slow
    assert not any(lanes.slow(endpoint_id) for endpoint_id in starting)
    grown = [lanes.grow(endpoint_id, default_cap=4) for endpoint_id in starting]
    assert grown == [True, True, False]  # the share (2) is taken
    assert lanes.open(uuid.uuid4(), default_cap=4)  # a first lane still opens
    assert not lanes.over_slow_capacity(starting[0])
    # Once they hang past slow_after, their first lanes count in the share too: over it.
    for token, endpoint_id in enumerate(starting):
        lanes.sent(endpoint_id, token, time.monotonic() - 1.5)
    assert all(lanes.over_slow_capacity(endpoint_id) for endpoint_id in starting)
