from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import NOW, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyAfterSales(JourneyCommon):
    """After-sales triggers: feedback after delivery, reorder reminders,
    win-back, birthdays and fixed-date greetings, with time travel."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template_order = cls.env["mail.template"].create(
            {
                "name": "Order follow-up",
                "model_id": cls.env["ir.model"]._get_id("sale.order"),
                "subject": "About your order {{ object.name }}",
                "body_html": "<p>Thank you.</p>",
                "use_default_to": True,
            }
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Kraft tube", "type": "service", "list_price": 2, "invoice_policy": "order"}
        )
        cls.regular, cls.occasional = cls.env["res.partner"].create(
            [
                {"name": "Regular Buyer", "email": "regular@buyer.example.com"},
                {"name": "Occasional Buyer", "email": "occasional@buyer.example.com"},
            ]
        )

    def _order_journey(self, **values):
        journey = self._create_journey(
            [self._email_step(self.template_order)], model="sale.order", **values
        )
        with self.mock_datetime_and_now(NOW):
            journey.action_start()
        return journey

    def _confirmed_order(self, partner, when):
        with self.mock_datetime_and_now(when):
            order = self.env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "order_line": [Command.create({"product_id": self.product.id})],
                }
            )
            order.action_confirm()
        return order

    def _check_at(self, journey, when):
        with self.mock_datetime_and_now(when):
            journey._enroll_reached_dates()
        return journey.enrollment_ids.order_id

    def test_feedback_days_after_delivery(self):
        date_field = self.env["ir.model.fields"]._get("sale.order", "journey_delivered_date")
        journey = self._order_journey(
            trigger="date", date_field_id=date_field.id, date_offset=7, date_offset_unit="days"
        )
        order = self._confirmed_order(self.regular, NOW)
        with self.mock_datetime_and_now(NOW + timedelta(hours=2)):
            order._create_invoices().action_post()
        self.assertEqual(order.journey_delivered_date, NOW + timedelta(hours=2))
        self.assertFalse(self._check_at(journey, NOW + timedelta(days=7)))
        self.assertEqual(self._check_at(journey, NOW + timedelta(days=7, hours=3)), order)

    def test_repeat_purchase_at_the_usual_reorder_interval(self):
        start = NOW - timedelta(days=62)
        for days in (0, 30, 62):  # gaps of 30 and 32 days: the median is 31
            last = self._confirmed_order(self.regular, start + timedelta(days=days))
        self._confirmed_order(self.occasional, start)  # one order: no interval yet
        journey = self._order_journey(
            trigger="repeat_purchase", date_offset=-7, date_offset_unit="days"
        )
        due = start + timedelta(days=62 + 31 - 7)  # a week before the usual reorder date
        self.assertFalse(self._check_at(journey, due - timedelta(hours=1)))
        self.assertEqual(self._check_at(journey, due + timedelta(hours=1)), last)
        self._check_at(journey, due + timedelta(days=3))
        self.assertEqual(len(journey.enrollment_ids), 1, "a reorder date enrolls once")

    def test_repeat_purchase_follows_the_latest_order(self):
        self._confirmed_order(self.regular, NOW - timedelta(days=20))
        self._confirmed_order(self.regular, NOW - timedelta(days=10))
        journey = self._order_journey(trigger="repeat_purchase")
        latest = self._confirmed_order(self.regular, NOW + timedelta(days=1))
        # gaps of 10 and 11 days: due 10.5 days after the latest order
        self.assertFalse(self._check_at(journey, NOW + timedelta(days=5)))
        self.assertEqual(self._check_at(journey, NOW + timedelta(days=12)), latest)

    def test_winback_after_months_without_order(self):
        lapsed = self._confirmed_order(self.occasional, NOW - relativedelta(months=6, days=-2))
        self._confirmed_order(self.regular, NOW - relativedelta(months=8))
        self._confirmed_order(self.regular, NOW - relativedelta(months=1))
        journey = self._order_journey(trigger="winback", date_offset=6, date_offset_unit="months")
        self.assertFalse(self._check_at(journey, NOW + timedelta(days=1)))
        self.assertEqual(self._check_at(journey, NOW + timedelta(days=2, hours=1)), lapsed)
        self.assertEqual(
            self._check_at(journey, NOW + relativedelta(months=3)),
            lapsed,
            "the customer who ordered a month ago is not lapsed yet, nor enrolled twice",
        )

    def test_winback_needs_orders_and_a_delay(self):
        with self.assertRaises(ValidationError):
            self._create_journey(trigger="winback", date_offset=6, date_offset_unit="months")
        with self.assertRaises(ValidationError):
            self._create_journey(model="sale.order", trigger="winback")

    def test_birthday_greeting(self):
        date_field = self.env["ir.model.fields"]._get("crm.lead", "journey_birthday")
        self.leads[0].journey_birthday = date(1988, 3, 3)
        self.leads[1].journey_birthday = date(1990, 6, 1)
        with self.mock_datetime_and_now(NOW):
            journey = self._create_journey(
                [self._email_step()], trigger="yearly", date_field_id=date_field.id
            )
            journey.action_start()
            journey._enroll_reached_dates()
        self.assertFalse(journey.enrollment_ids)
        with self.mock_datetime_and_now(NOW + timedelta(days=1, hours=1)):
            journey._enroll_reached_dates()
        self.assertEqual(journey.enrollment_ids.lead_id, self.leads[0])

    def test_fixed_date_greets_the_audience_once_a_year(self):
        journey = self._create_journey(
            [self._email_step()],
            trigger="fixed_date",
            fixed_month="12",
            fixed_day=20,
            domain=f"[('id', 'in', {self.leads[:2].ids})]",
            reentry="not_running",
        )
        with self.mock_datetime_and_now(datetime(2026, 12, 1)):
            journey.action_start()
        with self.mock_datetime_and_now(datetime(2026, 12, 19, 23)):
            journey._enroll_reached_dates()
        self.assertFalse(journey.enrollment_ids)
        with self.mock_datetime_and_now(datetime(2026, 12, 20, 1)):
            journey._enroll_reached_dates()
        self.assertEqual(journey.enrollment_ids.lead_id, self.leads[:2])
        journey.enrollment_ids._close("completed", "done")
        with self.mock_datetime_and_now(datetime(2026, 12, 21, 1)):
            journey._enroll_reached_dates()
        self.assertEqual(len(journey.enrollment_ids), 2, "once on the day")
        with self.mock_datetime_and_now(datetime(2027, 12, 20, 2)):
            journey._enroll_reached_dates()
        self.assertEqual(len(journey.enrollment_ids), 4, "again the next year")

    def test_fixed_date_started_on_the_day_still_greets(self):
        journey = self._create_journey(
            [self._email_step()], trigger="fixed_date", fixed_month="3", fixed_day=2
        )
        with self.mock_datetime_and_now(NOW):  # 2 March, 9:00
            journey.action_start()
            journey._enroll_reached_dates()
        self.assertTrue(journey.enrollment_ids)

    def test_fixed_date_must_exist(self):
        with self.assertRaises(ValidationError):
            self._create_journey(trigger="fixed_date", fixed_month="4", fixed_day=31)
