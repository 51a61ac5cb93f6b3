"""Unit tests of the pure free-slot function: no database, no clock."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from appointments.selectors import Leave, Window, free_slots

IST = ZoneInfo("Asia/Kolkata")
MONDAY = date(2026, 3, 2)
EARLIER = datetime(2026, 3, 1, 8, 0, tzinfo=IST)  # the day before
A, B = "clinic-a", "clinic-b"


def window(start=(9, 0), end=(10, 0), minutes=15, max_patients=20, clinic=A):
    return Window(clinic, time(*start), time(*end), minutes, max_patients)


def hhmm(times):
    return [t.strftime("%H:%M") for t in times]


def test_slots_every_duration_from_start():
    slots = free_slots(windows=[window()], leaves=[], booked=[], on=MONDAY, now=EARLIER)
    assert hhmm(slots) == ["09:00", "09:15", "09:30", "09:45"]


def test_duration_that_does_not_divide_the_window_drops_the_short_tail():
    slots = free_slots(windows=[window(end=(10, 0), minutes=25)], leaves=[], booked=[], on=MONDAY, now=EARLIER)
    assert hhmm(slots) == ["09:00", "09:25"]  # 09:50 would end at 10:15, after the window


def test_two_windows_are_merged_and_sorted():
    windows = [window(start=(17, 0), end=(17, 30), minutes=30), window(start=(9, 0), end=(9, 30), minutes=15)]
    assert hhmm(free_slots(windows=windows, leaves=[], booked=[], on=MONDAY, now=EARLIER)) == [
        "09:00",
        "09:15",
        "17:00",
    ]


def test_booked_times_are_removed():
    slots = free_slots(windows=[window()], leaves=[], booked=[time(9, 15)], on=MONDAY, now=EARLIER)
    assert hhmm(slots) == ["09:00", "09:30", "09:45"]


def test_full_window_offers_nothing():
    booked = [time(9, 0), time(9, 30)]
    slots = free_slots(windows=[window(max_patients=2)], leaves=[], booked=booked, on=MONDAY, now=EARLIER)
    assert slots == []


def test_cap_counts_only_bookings_inside_that_window():
    windows = [window(max_patients=1), window(start=(11, 0), end=(11, 30), max_patients=1)]
    slots = free_slots(windows=windows, leaves=[], booked=[time(11, 0)], on=MONDAY, now=EARLIER)
    assert hhmm(slots) == ["09:00", "09:15", "09:30", "09:45"]


def test_leave_everywhere_empties_the_day():
    leave = Leave(date(2026, 3, 1), date(2026, 3, 5))
    assert free_slots(windows=[window()], leaves=[leave], booked=[], on=MONDAY, now=EARLIER) == []


def test_leave_at_one_clinic_covers_only_part_of_the_day():
    windows = [window(clinic=A), window(start=(17, 0), end=(17, 30), minutes=30, clinic=B)]
    leave = Leave(MONDAY, MONDAY, clinic_id=A)
    assert hhmm(free_slots(windows=windows, leaves=[leave], booked=[], on=MONDAY, now=EARLIER)) == ["17:00"]


def test_leave_on_other_days_does_not_matter():
    leave = Leave(date(2026, 3, 3), date(2026, 3, 4))
    assert len(free_slots(windows=[window()], leaves=[leave], booked=[], on=MONDAY, now=EARLIER)) == 4


def test_times_already_past_today_are_gone():
    now = datetime(2026, 3, 2, 9, 20, tzinfo=IST)
    assert hhmm(free_slots(windows=[window()], leaves=[], booked=[], on=MONDAY, now=now)) == ["09:30", "09:45"]


def test_a_slot_starting_right_now_is_gone():
    now = datetime(2026, 3, 2, 9, 30, tzinfo=IST)
    assert hhmm(free_slots(windows=[window()], leaves=[], booked=[], on=MONDAY, now=now)) == ["09:45"]


def test_past_date_is_empty():
    later = datetime(2026, 3, 3, 8, 0, tzinfo=IST)
    assert free_slots(windows=[window()], leaves=[], booked=[], on=MONDAY, now=later) == []


def test_late_evening_window_in_kolkata_time_has_no_dst_gaps():
    # Asia/Kolkata has no daylight saving: a window across what would be a DST change elsewhere is regular.
    slots = free_slots(
        windows=[window(start=(22, 0), end=(23, 59), minutes=30)],
        leaves=[],
        booked=[],
        on=date(2026, 3, 29),
        now=datetime(2026, 3, 29, 1, 0, tzinfo=IST),
    )
    assert hhmm(slots) == ["22:00", "22:30", "23:00"]


def test_window_grid():
    assert hhmm(window(start=(9, 0), end=(9, 50), minutes=20).grid()) == ["09:00", "09:20"]
    assert window(start=(9, 0), end=(9, 10), minutes=15).grid() == []
