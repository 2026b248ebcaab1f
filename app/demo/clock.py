"""Demo dates relative to the day of loading, in Beijing time, so the demo stays current."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.core.db import utcnow

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")


def beijing(days_from_today: int, hour: int) -> datetime:
    """UTC time of ``hour``:00 Beijing time, ``days_from_today`` days from today."""
    day = utcnow().astimezone(SHANGHAI).date() + timedelta(days=days_from_today)
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI).astimezone(UTC)


def today(offset_days: int = 0) -> date:
    """Today's date in Beijing, shifted by ``offset_days``."""
    return utcnow().astimezone(SHANGHAI).date() + timedelta(days=offset_days)
