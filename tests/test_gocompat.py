"""Go's time formats, as the CLI reads the daemon's timestamps."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from miniswarm.gocompat import GoError, parse_rfc3339, rfc3339nano


def _by_datetime(when: dt.datetime, ns: int, zone: int) -> float:
    """What the timestamp means, worked out by datetime (the slow, obvious way)."""
    return when.replace(tzinfo=dt.timezone(dt.timedelta(minutes=zone))).timestamp() + ns / 1e9


@given(
    when=st.datetimes(min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2200, 1, 1)),
    ns=st.integers(0, 999_999_999),
    zone=st.sampled_from([0, 60, -300, 330, 545, -720]),
)
def test_a_timestamp_reads_as_datetime_reads_it(when: dt.datetime, ns: int, zone: int) -> None:
    when = when.replace(microsecond=0)  # the nanoseconds are `ns`
    frac = f".{ns:09d}".rstrip("0").rstrip(".")
    hours, minutes = divmod(abs(zone), 60)
    offset = "Z" if zone == 0 else f"{'+' if zone > 0 else '-'}{hours:02d}:{minutes:02d}"
    text = when.strftime("%Y-%m-%dT%H:%M:%S") + frac + offset
    assert parse_rfc3339(text) == pytest.approx(_by_datetime(when, ns, zone), abs=1e-6)


@given(st.floats(min_value=0, max_value=7e9, allow_nan=False))
def test_what_the_daemon_writes_reads_back(seconds: float) -> None:
    assert parse_rfc3339(rfc3339nano(seconds)) == pytest.approx(seconds, abs=2e-6)


def test_a_time_that_does_not_exist_is_refused_as_before() -> None:
    with pytest.raises(ValueError, match="hour must be in 0..23"):
        parse_rfc3339("2026-12-01T24:00:00Z")
    with pytest.raises(ValueError, match="day is out of range for month"):
        parse_rfc3339("2026-02-30T10:00:00Z")
    with pytest.raises(GoError, match="cannot parse"):
        parse_rfc3339("yesterday")
