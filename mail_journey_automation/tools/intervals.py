"""Waiting times and date offsets of journeys.

A step waits ``interval_number`` ``interval_unit`` before it runs, and a date
trigger fires ``date_offset`` ``date_offset_unit`` before or after its date.
Both are a count and a unit of :data:`INTERVAL_UNITS`, turned into a
:class:`~dateutil.relativedelta.relativedelta` here, so that months follow the
calendar (31 January plus one month is 28 or 29 February) instead of counting
30 days.
"""

from dateutil.relativedelta import relativedelta

# the units of a waiting time: (relativedelta keyword, label of the selection)
INTERVAL_UNITS = [
    ("minutes", "Minutes"),
    ("hours", "Hours"),
    ("days", "Days"),
    ("weeks", "Weeks"),
    ("months", "Months"),
]


def interval_delta(number, unit):
    """Return the relativedelta of ``number`` ``unit``.

    :param int number: how many units; empty (``False``, ``None``) counts as 0,
        a negative number goes back in time
    :param str unit: a key of :data:`INTERVAL_UNITS`
    :raises ValueError: when ``unit`` is not one of them
    """
    if unit not in dict(INTERVAL_UNITS):
        raise ValueError(f"Unknown interval unit: {unit!r}")
    return relativedelta(**{unit: number or 0})
