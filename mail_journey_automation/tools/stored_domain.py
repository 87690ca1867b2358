"""Stored domains are data.

The filters a journey keeps as text (audience, exit goal, step condition,
segment) are read here without ``eval`` or ``safe_eval``: the text is parsed
with :mod:`ast` and only literals and the few date helpers of the filter
editor are interpreted. Nothing in the text can reach a record, a model or
the environment, so a filter never runs code with the rights of the engine.

Accepted:

- literals: lists, tuples, strings, numbers, booleans, ``None``, and ``-`` or
  ``+`` in front of a number;
- ``uid``: the id of the current user;
- the dynamic dates the filter editor writes (``boundDate`` and
  ``boundDatetime`` in ``web/static/src/core/tree_editor/virtual_operators.js``)
  and the older forms Odoo converts (``upgrade_code/18.5-00-domain-dynamic-
  dates.py``): ``context_today()``, ``datetime.datetime.now()``,
  ``relativedelta(...)``, ``datetime.timedelta(...)``, ``datetime.time(...)``
  (constant arguments only), ``datetime.datetime.combine(date, time)``,
  ``<datetime>.to_utc()``, ``<date>.strftime("<format>")``, and a date plus
  or minus a relativedelta or timedelta.

Odoo's relative date strings ("today -7d", "now", "=1d") are string literals:
they stay as they are and the ORM's ``Domain`` computes them.
"""

import ast
import datetime

import pytz
from dateutil.relativedelta import relativedelta

from odoo.tools import LazyTranslate

# the model translates the reasons in the user's language; str() of an error
# (logs, tests) falls back to English
_lt = LazyTranslate(__name__, default_lang="en_US")

RELATIVEDELTA_KEYWORDS = frozenset(
    {
        "years",
        "months",
        "weeks",
        "days",
        "hours",
        "minutes",
        "seconds",
        "microseconds",
        "year",
        "month",
        "day",
        "weekday",
        "hour",
        "minute",
        "second",
        "microsecond",
    }
)
TIMEDELTA_ARGUMENTS = (
    "days",
    "seconds",
    "microseconds",
    "milliseconds",
    "minutes",
    "hours",
    "weeks",
)
TIME_ARGUMENTS = ("hour", "minute", "second", "microsecond")
DELTAS = (relativedelta, datetime.timedelta)
# characters of a refused expression quoted in the error
EXCERPT_LENGTH = 60


class StoredDomainError(ValueError):
    """The text of a stored domain cannot be read; ``reason`` (a lazy
    translation) says why."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason

    def __str__(self):
        return str(self.reason)


class NotLiteralDomainError(StoredDomainError):
    """The text of a stored domain holds something else than data."""


def parse_stored_domain(text, uid, today, tz_name=None, now=None):
    """Read the domain written in ``text``, without evaluating it.

    :param str text: the stored domain, e.g. ``"[('user_id', '=', uid)]"``
    :param int uid: the value of ``uid``
    :param datetime.date today: the value of ``context_today()``
    :param str tz_name: the user's timezone, for ``to_utc()`` (empty: UTC)
    :param datetime.datetime now: the value of ``datetime.datetime.now()``,
        naive UTC (default: the current time)
    :return: the domain, a list
    :raise NotLiteralDomainError: when the text holds anything but the
        accepted forms (see the module's docstring)
    :raise StoredDomainError: when the text is no valid expression, is not a
        list, or holds a date out of range
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError) as error:
        raise StoredDomainError(
            _lt("it cannot be read (%(error)s)", error=getattr(error, "msg", None) or str(error))
        ) from error
    except RecursionError as error:
        raise StoredDomainError(_lt("the filter is nested too deeply")) from error
    try:
        tz = pytz.timezone(tz_name) if tz_name else pytz.utc
    except pytz.UnknownTimeZoneError:
        tz = pytz.utc
    if now is None:
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    reader = _DomainReader(uid, today, tz, now)
    try:
        domain = reader.value_of(tree.body)
    except RecursionError as error:
        raise StoredDomainError(_lt("the filter is nested too deeply")) from error
    if not isinstance(domain, list | tuple):
        raise StoredDomainError(_lt("a domain is a list of conditions"))
    return list(domain)


def _excerpt(node):
    text = ast.unparse(node)
    if len(text) > EXCERPT_LENGTH:
        text = text[: EXCERPT_LENGTH - 1] + "…"
    return text


def _dotted_name(node):
    """``datetime.datetime.now`` for that chain of attributes on a name, else None."""
    match node:
        case ast.Name(id=name):
            return name
        case ast.Attribute(value=value, attr=attr):
            prefix = _dotted_name(value)
            return prefix and f"{prefix}.{attr}"
    return None


def _not_allowed(node):
    """The error telling what ``node`` is and that it is not allowed."""
    match node:
        case ast.Name(id=name):
            reason = _lt("the name '%(name)s' is not allowed", name=name)
        case ast.Attribute():
            reason = _lt("the attribute '%(name)s' is not allowed", name=_excerpt(node))
        case ast.Call(func=func):
            reason = _lt("calls to '%(name)s' are not allowed", name=_excerpt(func))
        case _:
            reason = _lt(
                "the expression '%(expression)s' is not allowed", expression=_excerpt(node)
            )
    return NotLiteralDomainError(reason)


def _wrong_arguments(node):
    """The error for a helper called with other arguments than constants."""
    return NotLiteralDomainError(
        _lt(
            "'%(expression)s' is not allowed: its arguments are not those the filter editor writes",
            expression=_excerpt(node),
        )
    )


class _DomainReader:
    """Interpret the nodes of a parsed domain: literals, ``uid`` and the date
    helpers; refuse everything else."""

    def __init__(self, uid, today, tz, now):
        self.uid = uid
        self.today = today
        self.tz = tz
        self.now = now
        self.functions = {
            "context_today": self._context_today,
            "datetime.datetime.now": self._now,
            "relativedelta": self._relativedelta,
            "datetime.timedelta": self._timedelta,
            "datetime.time": self._time,
            "datetime.datetime.combine": self._combine,
        }
        self.methods = {"to_utc": self._to_utc, "strftime": self._strftime}

    def value_of(self, node):
        """The value of ``node``, if it is one of the accepted forms."""
        match node:
            case ast.Constant(value=value) if value is None or isinstance(
                value, bool | int | float | str
            ):
                pass
            case ast.List(elts=elements):
                value = [self.value_of(element) for element in elements]
            case ast.Tuple(elts=elements):
                value = tuple(self.value_of(element) for element in elements)
            case ast.UnaryOp(op=ast.USub() | ast.UAdd() as op, operand=operand):
                value = self._number(operand)
                if isinstance(op, ast.USub):
                    value = -value
            case ast.Name(id="uid"):
                value = self.uid
            case ast.Call():
                value = self._call(node)
            case ast.BinOp(op=ast.Add() | ast.Sub()):
                value = self._date_arithmetic(node)
            case _:
                raise _not_allowed(node)
        return value

    def _number(self, node):
        """The value of a constant number (possibly signed)."""
        if isinstance(node, ast.Constant | ast.UnaryOp):
            value = self.value_of(node)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return value
        raise NotLiteralDomainError(
            _lt("'%(expression)s' is not allowed here: write a number", expression=_excerpt(node))
        )

    def _call(self, node):
        function = self.functions.get(_dotted_name(node.func))
        if function:
            return self._compute(node, function, node)
        if isinstance(node.func, ast.Attribute) and node.func.attr in self.methods:
            value = self.value_of(node.func.value)
            return self._compute(node, self.methods[node.func.attr], node, value)
        raise _not_allowed(node)

    def _compute(self, node, function, *args):
        """Call ``function``; an impossible date becomes a StoredDomainError."""
        try:
            return function(*args)
        except (ArithmeticError, LookupError, TypeError, ValueError) as error:
            if isinstance(error, StoredDomainError):
                raise
            raise StoredDomainError(
                _lt(
                    "'%(expression)s' cannot be computed: %(error)s",
                    expression=_excerpt(node),
                    error=str(error),
                )
            ) from error

    def _arguments(self, node, names=(), read=None):
        """The arguments of the call ``node`` as keywords: positional ones
        take ``names`` in order; keywords must be among ``names``."""
        read = read or self._number
        if len(node.args) > len(names) or any(
            keyword.arg not in names for keyword in node.keywords
        ):
            raise _wrong_arguments(node)
        values = {name: read(arg) for name, arg in zip(names, node.args, strict=False)}
        for keyword in node.keywords:
            if keyword.arg in values:
                raise _wrong_arguments(node)
            values[keyword.arg] = read(keyword.value)
        return values

    # date helpers, each called with the Call node

    def _context_today(self, node):
        self._arguments(node)
        return self.today

    def _now(self, node):
        self._arguments(node)
        return self.now

    def _relativedelta(self, node):
        if node.args:
            raise _wrong_arguments(node)
        return relativedelta(**self._arguments(node, RELATIVEDELTA_KEYWORDS))

    def _timedelta(self, node):
        return datetime.timedelta(**self._arguments(node, TIMEDELTA_ARGUMENTS))

    def _time(self, node):
        values = self._arguments(node, TIME_ARGUMENTS)
        if any(isinstance(value, float) for value in values.values()):
            raise _wrong_arguments(node)
        return datetime.time(**values)

    def _combine(self, node):
        values = self._arguments(node, ("date", "time"), read=self.value_of)
        day, time = values.get("date"), values.get("time")
        if not (isinstance(day, datetime.date) and isinstance(time, datetime.time)):
            raise StoredDomainError(
                _lt(
                    "'%(expression)s': combine() takes a date and a time",
                    expression=_excerpt(node),
                )
            )
        return datetime.datetime.combine(day, time)

    # methods, each called with the Call node and the value they apply to

    def _to_utc(self, node, value):
        self._arguments(node)
        if not isinstance(value, datetime.datetime):
            raise StoredDomainError(
                _lt("'%(expression)s': to_utc() applies to a datetime", expression=_excerpt(node))
            )
        return self.tz.localize(value, is_dst=False).astimezone(pytz.utc).replace(tzinfo=None)

    def _strftime(self, node, value):
        match node:
            case ast.Call(args=[ast.Constant(value=str() as date_format)], keywords=[]):
                pass
            case _:
                raise _wrong_arguments(node)
        if not isinstance(value, datetime.date):
            raise StoredDomainError(
                _lt("'%(expression)s': strftime() applies to a date", expression=_excerpt(node))
            )
        return value.strftime(date_format)

    def _date_arithmetic(self, node):
        """A date or datetime plus or minus a relativedelta or timedelta."""
        left, right = self.value_of(node.left), self.value_of(node.right)
        if not (isinstance(left, datetime.date) and isinstance(right, DELTAS)):
            raise NotLiteralDomainError(
                _lt(
                    "'%(expression)s' is not allowed: only a relativedelta or a timedelta "
                    "can be added to or subtracted from a date",
                    expression=_excerpt(node),
                )
            )
        if isinstance(node.op, ast.Add):
            return self._compute(node, lambda: left + right)
        return self._compute(node, lambda: left - right)
