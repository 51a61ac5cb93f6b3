"""The OPD day's rules as pure functions (appointments.selectors): tokens, who is served, who waits, the estimate."""

from datetime import datetime, timedelta

import pytest

from appointments.selectors import ahead_of, estimated_wait_minutes, next_token, not_arrived, now_serving, waiting

T0 = datetime(2027, 1, 4, 9, 0)


def row(token, status="confirmed", checked_in=None, called=None):
    at = lambda minutes: None if minutes is None else T0 + timedelta(minutes=minutes)  # noqa: E731
    return {"token_number": token, "status": status, "checked_in_at": at(checked_in), "called_at": at(called)}


@pytest.mark.parametrize(
    ("last_tokens", "clinic", "expected"),
    [
        ({}, "a", 1),  # the first of the day
        ({"a": 3}, "a", 4),
        ({"a": 3, "b": 9}, "b", 10),  # per clinic
        ({"b": 9}, "a", 1),
    ],
)
def test_next_token_is_one_more_than_the_days_last_at_that_clinic(last_tokens, clinic, expected):
    assert next_token(last_tokens, clinic) == expected


def test_nobody_is_served_before_the_first_call():
    assert now_serving([row(1, checked_in=0), row(2)]) is None


def test_now_serving_is_the_last_called_not_the_highest_token():
    day = [row(1, checked_in=0, called=10, status="completed"), row(3, checked_in=1, called=30), row(2, called=20)]
    assert now_serving(day) == 3
    day.append(row(2, checked_in=2, called=40))  # called out of order: the doctor called 2 after 3
    assert now_serving(day) == 2


def test_waiting_is_checked_in_not_called_and_active_in_token_order():
    day = [
        row(5, checked_in=5),
        row(2, checked_in=9),
        row(1, checked_in=1, called=3),  # already in with the doctor
        row(3),  # not arrived
        row(4, status="cancelled", checked_in=2),  # left
        row(6, status="pending", checked_in=7),
    ]
    assert [r["token_number"] for r in waiting(day)] == [2, 5, 6]
    assert not_arrived(day) == 1


def test_ahead_of_counts_only_waiting_patients_with_a_lower_token():
    day = [row(1, checked_in=0, called=1), row(2, checked_in=2), row(3), row(4, checked_in=3), row(5, checked_in=4)]
    assert ahead_of(day, 5) == 2  # 2 and 4; 1 is in, 3 has not arrived
    assert ahead_of(day, 2) == 0
    assert ahead_of(day, 3) == 1


@pytest.mark.parametrize(("ahead", "slot", "minutes"), [(0, 15, 0), (3, 15, 45), (2, 20, 40)])
def test_the_estimate_is_the_slot_length_for_each_patient_ahead(ahead, slot, minutes):
    assert estimated_wait_minutes(ahead=ahead, slot_duration_minutes=slot) == minutes
