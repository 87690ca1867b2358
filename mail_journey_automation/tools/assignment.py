"""Deterministic assignment of records to groups.

The hold-out group of a journey and the A/B test of an email step both split
the records by a hash of what identifies them (a seed string), never by a
random draw: the same record always lands in the same group, whatever the
order, the time or the worker that processes it, and a test can recompute
where any record went. SHA-256 is used instead of Python's ``hash()``, which
is salted per process.

The formulas are frozen: changing them would move the records of running
journeys to another group.
"""

import hashlib


def _digest(seed):
    return hashlib.sha256(seed.encode()).digest()


def bucket(seed, size=100):
    """Return the bucket of ``seed``, an integer in ``[0, size)``.

    The first 4 bytes of SHA-256(``seed``) as a big-endian integer, modulo
    ``size`` (with the default 100: a percentage bucket; "in the hold-out" is
    ``bucket(seed) < holdout_percent``).
    """
    return int.from_bytes(_digest(seed)[:4], "big") % size


def position(seed):
    """Return the position of ``seed``, a number in ``[0, 1)``.

    The first 8 bytes of SHA-256(``seed``) divided by 2**64: positions are
    spread evenly over ``[0, 1)`` across seeds.
    """
    return int.from_bytes(_digest(seed)[:8], "big") / 2**64


def pick_weighted(at, weights):
    """Return the index of the weight whose slice holds the position ``at``.

    The weights are laid end to end over ``[0, 1)``, each taking a slice
    proportional to its share of the total: with weights ``[3, 1]``, positions
    below 0.75 pick index 0 and the others index 1. Zero weights get no slice.

    :param float at: a position in ``[0, 1)``, e.g. from :func:`position`
    :param list weights: non-negative numbers
    :return: an index of ``weights``, or None when their total is not positive
    :raises ValueError: on a negative weight
    """
    if any(weight < 0 for weight in weights):
        raise ValueError("Weights cannot be negative.")
    total = sum(weights)
    if total <= 0:
        return None
    target = at * total
    cumulative = 0
    last = None
    for index, weight in enumerate(weights):
        if not weight:
            continue
        cumulative += weight
        last = index
        if target < cumulative:
            return index
    # rounding at the very end of the range: the last weighted slice
    return last
