"""One worker's places and who may hold them: fair shares by weight, a reserve for a caller
that starts asking, groups divided per address."""

import pytest

from api.admission import ANONYMOUS, Shares
from api.overload import Refusal


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def fill(shares: Shares, key: str, weight: int = 1, member: str | None = None) -> int:
    """Admit ``key`` until refused; how many places it got."""
    taken = 0
    while shares.admit(key, weight, member) is None:
        taken += 1
        assert taken <= shares.capacity
    return taken


def test_a_client_alone_never_takes_the_reserve_and_a_newcomer_gets_in_at_once():
    shares = Shares(capacity=4, reserve=1, clock=FakeClock())
    assert fill(shares, "client:a") == 3
    assert shares.admit("client:a") == Refusal.CLIENT_SHARE
    assert shares.admit("client:b") is None, "the reserve is there for another client"


def test_once_another_client_asks_the_flooding_client_is_held_to_its_fair_share():
    shares = Shares(capacity=4, reserve=1, clock=FakeClock())
    fill(shares, "client:a")
    assert shares.admit("client:b") is None
    for _ in range(3):
        shares.release("client:a")
    assert shares.admit("client:a") is None, "a holds 1 of its share of 2"
    assert shares.admit("client:a") is None
    assert shares.admit("client:a") == Refusal.CLIENT_SHARE, "not a third while b asks"
    assert shares.admit("client:b") is None, "b gets its own second place"


def test_a_client_over_its_share_is_refused_even_with_places_left():
    shares = Shares(capacity=8, reserve=1, clock=FakeClock())
    shares.admit("client:b")
    assert fill(shares, "client:a") == 4
    assert shares.in_flight == 5
    assert shares.admit("client:a") == Refusal.CLIENT_SHARE


def test_weights_divide_the_places():
    shares = Shares(capacity=8, reserve=1, clock=FakeClock())
    shares.admit("client:small", 1)
    shares.release("client:small")
    assert fill(shares, "client:big", 3) == 6
    assert fill(shares, "client:small", 1) == 2
    assert shares.in_flight == 8


def test_the_worker_is_full_when_every_caller_holds_its_share():
    shares = Shares(capacity=2, reserve=0, clock=FakeClock())
    assert shares.admit("client:a") is None
    assert shares.admit("client:b") is None
    assert shares.admit("client:c") == Refusal.WORKER_FULL
    shares.release("client:a")
    assert shares.admit("client:c") is None


def test_a_client_that_stopped_asking_gives_its_share_back_after_the_activity_window():
    clock = FakeClock()
    shares = Shares(capacity=4, reserve=1, activity_seconds=1.0, clock=clock)
    shares.admit("client:b")
    shares.release("client:b")
    assert fill(shares, "client:a") == 2, "b asked a moment ago: a gets half"
    clock.now += 2
    assert shares.admit("client:a") is None, "b stopped asking: a may take the rest"
    assert shares.admit("client:a") == Refusal.CLIENT_SHARE
    assert shares.in_flight == 3


def test_places_are_given_back():
    shares = Shares(capacity=3, reserve=0, clock=FakeClock())
    for _ in range(100):
        assert shares.admit("client:a") is None
        assert shares.admit(ANONYMOUS, 1, "192.0.2.1") is None
        shares.release("client:a")
        shares.release(ANONYMOUS, "192.0.2.1")
    assert shares.in_flight == 0


def test_one_address_cannot_take_the_whole_group_and_the_group_cannot_take_the_worker():
    shares = Shares(capacity=6, reserve=1, clock=FakeClock())
    shares.admit("client:a")
    shares.release("client:a")
    # the group of unauthenticated callers has weight 1 beside client a: 3 places
    assert fill(shares, ANONYMOUS, 1, "198.51.100.1") == 3
    assert shares.admit(ANONYMOUS, 1, "198.51.100.1") == Refusal.CLIENT_SHARE
    assert shares.admit(ANONYMOUS, 1, "198.51.100.2") == Refusal.GROUP_FULL
    assert fill(shares, "client:a") == 3, "the client's share is untouched by the group"


def test_many_addresses_count_as_one_caller_in_the_fair_share():
    """Thousands of addresses without a token do not dilute an afnemer's share."""
    shares = Shares(capacity=8, reserve=1, clock=FakeClock())
    shares.admit("client:a")
    shares.release("client:a")
    for number in range(1000):
        shares.admit(ANONYMOUS, 1, f"203.0.113.{number}")
    assert shares.in_flight == 4
    assert fill(shares, "client:a") == 4


@pytest.mark.parametrize("capacity", [1, 2, 5])
def test_even_a_tiny_worker_admits(capacity):
    shares = Shares(capacity=capacity, reserve=3, clock=FakeClock())
    assert shares.admit("client:a") is None
