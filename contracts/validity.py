"""The validity window: the dates between which a contract may be used."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from contracts.section import Section


class Validity(Section):
    """Both dates are inclusive and read in ``timezone``.

    A contract ``valid until 2027-12-31`` in ``Asia/Shanghai`` ends at midnight
    Beijing time, not eight hours later at midnight UTC.
    """

    start: dt.date
    end: dt.date
    timezone: str = Field(default="UTC", description="IANA zone the dates are read in.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}: use an IANA name") from exc
        return value

    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min, tzinfo=ZoneInfo(self.timezone))

    def ends_at(self) -> dt.datetime:
        """The first instant after the window."""
        next_day = self.end + dt.timedelta(days=1)
        return dt.datetime.combine(next_day, dt.time.min, tzinfo=ZoneInfo(self.timezone))

    def has_started(self, now: dt.datetime) -> bool:
        return _aware(now) >= self.starts_at()

    def has_ended(self, now: dt.datetime) -> bool:
        return _aware(now) >= self.ends_at()


def _aware(now: dt.datetime) -> dt.datetime:
    # A naive ``now`` is a caller bug that would silently shift expiry by hours.
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (e.g. datetime.now(UTC))")
    return now
