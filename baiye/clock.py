"""Time in one place: UTC in storage, the deployment's zone for days."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app

# The days a query may ask about: every record falls inside, and a day's neighbours stay valid dates (a
# day of year 9999 has no next day to end a range with).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def utcnow():
    """Naive UTC now, the form every timestamp is stored in."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def zone():
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_date(moment):
    """The deployment's calendar day of a naive-UTC moment."""
    return moment.replace(tzinfo=timezone.utc).astimezone(zone()).date()


def to_local(moment):
    return moment.replace(tzinfo=timezone.utc).astimezone(zone())


def day_start_utc(day):
    """Naive UTC instant at which a local day begins."""
    return datetime.combine(day, time.min, zone()).astimezone(timezone.utc).replace(tzinfo=None)


def period_bounds(day, period):
    """First and last local day of the day/week/month containing `day`."""
    if period == "day":
        return day, day
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if period == "month":
        start = day.replace(day=1)
        nxt = (start + timedelta(days=32)).replace(day=1)
        return start, nxt - timedelta(days=1)
    return date.min, date.max


def period_key(day, period):
    """A stable label of the limit period a day falls in."""
    if period == "day":
        return day.isoformat()
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return day.strftime("%Y-%m")
    return "all"


def iso_utc(moment):
    return moment.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z") if moment else None
