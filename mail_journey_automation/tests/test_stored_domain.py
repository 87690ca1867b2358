from datetime import date, datetime

from dateutil.relativedelta import relativedelta

from odoo.tests import BaseCase, tagged

from odoo.addons.mail_journey_automation.tools.stored_domain import (
    NotLiteralDomainError,
    StoredDomainError,
    parse_stored_domain,
)

TODAY = date(2026, 3, 2)  # a Monday
NOW = datetime(2026, 3, 2, 9, 30, 0)  # naive UTC


@tagged("post_install", "-at_install", "mail_journey")
class TestStoredDomain(BaseCase):
    """The reading of stored filters as data, without a database."""

    def _parse(self, text, tz_name="Europe/Brussels"):
        return parse_stored_domain(text, uid=42, today=TODAY, tz_name=tz_name, now=NOW)

    def assertNotLiteral(self, text, message):
        with self.assertRaisesRegex(NotLiteralDomainError, message):
            self._parse(text)

    # what the filter editor and older Odoo versions write

    def test_literals(self):
        self.assertEqual(
            self._parse(
                "['|', ('name', 'ilike', 'tea'), '!', ('expected_revenue', '<', -1e3), "
                "('tag_ids', 'in', [1, +2, 3]), ('active', 'in', (True, False)), "
                "('date_deadline', '=', None)]"
            ),
            [
                "|",
                ("name", "ilike", "tea"),
                "!",
                ("expected_revenue", "<", -1000.0),
                ("tag_ids", "in", [1, 2, 3]),
                ("active", "in", (True, False)),
                ("date_deadline", "=", None),
            ],
        )
        self.assertEqual(self._parse("  []  "), [])

    def test_uid(self):
        self.assertEqual(self._parse("[('user_id', '=', uid)]"), [("user_id", "=", 42)])
        self.assertEqual(self._parse("[('user_id', 'in', [uid])]"), [("user_id", "in", [42])])

    def test_relative_date_strings_kept(self):
        text = "['&', ('create_date', '>=', 'today -7d'), ('create_date', '<', 'now')]"
        self.assertEqual(
            self._parse(text),
            ["&", ("create_date", ">=", "today -7d"), ("create_date", "<", "now")],
        )

    def test_editor_date_bounds(self):
        """``boundDate`` of the tree editor: "today" and "last month"."""
        self.assertEqual(
            self._parse(
                "['&', ('d', '>=', context_today().strftime(\"%Y-%m-%d\")), "
                "('d', '<', (context_today() + relativedelta(days = 1)).strftime('%Y-%m-%d'))]"
            ),
            ["&", ("d", ">=", "2026-03-02"), ("d", "<", "2026-03-03")],
        )
        self.assertEqual(
            self._parse(
                "[('d', '>=', (context_today() + relativedelta(day = 1, months = -1))"
                ".strftime('%Y-%m-%d'))]"
            ),
            [("d", ">=", "2026-02-01")],
        )

    def test_editor_datetime_bounds_in_user_timezone(self):
        """``boundDatetime``: midnight where the user is, in UTC."""
        text = (
            "[('dt', '>=', datetime.datetime.combine(context_today() + relativedelta(days = -7), "
            'datetime.time(0, 0, 0)).to_utc().strftime("%Y-%m-%d %H:%M:%S"))]'
        )
        self.assertEqual(self._parse(text), [("dt", ">=", "2026-02-22 23:00:00")])
        self.assertEqual(
            self._parse(text, tz_name="America/New_York"), [("dt", ">=", "2026-02-23 05:00:00")]
        )
        self.assertEqual(self._parse(text, tz_name=None), [("dt", ">=", "2026-02-23 00:00:00")])

    def test_legacy_date_forms(self):
        """Forms of older versions, as Odoo's upgrade script knows them."""
        self.assertEqual(
            self._parse("[('d', '>', context_today() - relativedelta(days=3))]"),
            [("d", ">", date(2026, 2, 27))],
        )
        self.assertEqual(
            self._parse("[('dt', '>', datetime.datetime.now() - datetime.timedelta(hours=2))]"),
            [("dt", ">", datetime(2026, 3, 2, 7, 30))],
        )
        self.assertEqual(
            self._parse("[('dt', '<', datetime.datetime.now() + datetime.timedelta(1))]"),
            [("dt", "<", datetime(2026, 3, 3, 9, 30))],
        )
        self.assertEqual(
            self._parse(
                "[('dt', '>', datetime.datetime.combine(context_today() + "
                "relativedelta(days=1, weekday=0), datetime.time(0, 0, 0)).to_utc())]"
            ),
            [("dt", ">", datetime(2026, 3, 8, 23, 0))],
        )
        self.assertEqual(
            self._parse("[('d', '<', context_today() + relativedelta(months=1, day=31))]"),
            [("d", "<", TODAY + relativedelta(months=1, day=31))],
        )

    # what is refused

    def test_escalation_payload_refused(self):
        self.assertNotLiteral(
            '[("id", "!=", user.env["res.groups"].browse(3).write({"user_ids": [(4, uid)]}))]',
            r"calls to 'user\.env\['res\.groups'\]\.browse\(3\)\.write' are not allowed",
        )
        self.assertNotLiteral(
            '[("id", "!=", user.env["res.groups"].browse(3).write({}) and 0)]',
            r"the expression '.*' is not allowed",
        )

    def test_names_and_attributes_refused(self):
        self.assertNotLiteral("[('user_id', '=', user.id)]", r"the attribute 'user\.id'")
        self.assertNotLiteral("[('user_id', '=', user)]", "the name 'user' is not allowed")
        self.assertNotLiteral("[('d', '=', time.strftime('%Y-%m-%d'))]", "the name 'time'")
        self.assertNotLiteral(
            "[('d', '=', context_today().__class__)]",
            r"the attribute 'context_today\(\)\.__class__'",
        )
        self.assertNotLiteral("[('d', '=', datetime.datetime(2020, 1, 1))]", "calls to")

    def test_code_refused(self):
        for text in (
            "[('id', '=', __import__('os').getpid())]",
            "[('id', '=', (lambda: 1)())]",
            "[('id', 'in', [i for i in range(3)])]",
            "[('id', 'in', {1: 2})]",
            "[('id', '=', [1][0])]",
            "[('name', '=', 'x' * 10 ** 9)]",
            "[('id', '=', 1 + 1)]",
            "[('name', '=', f'{uid}')]",
            "[('id', '=', 1 if uid else 2)]",
            "[('id', 'in', [*range(3)])]",
            "[('d', '=', relativedelta(**{'days': 1}))]",
            "[('d', '=', relativedelta(days=uid))]",
            "[('d', '=', context_today().strftime(uid))]",
            "[('id', '=', -True)]",
        ):
            with self.subTest(text=text), self.assertRaises(NotLiteralDomainError):
                self._parse(text)

    def test_invalid_text(self):
        for text in (
            "[('id', '=', 1)",
            "'today'",
            "[('d', '=', context_today() + relativedelta(years=99999))]",
            "[('d', '=', datetime.time(25, 0, 0))]",
            "[('d', '=', context_today().to_utc())]",
            "[" * 500 + "]" * 500,
        ):
            with self.subTest(text=text), self.assertRaises(StoredDomainError) as caught:
                self._parse(text)
            self.assertNotIsInstance(caught.exception, NotLiteralDomainError)
