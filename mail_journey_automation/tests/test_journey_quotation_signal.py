from datetime import timedelta

from odoo import SUPERUSER_ID, Command
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged

from .common import NOW, QuotationSignalCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyQuotationSignal(QuotationSignalCommon):
    """Quotation signals as journey triggers and branch conditions, with
    time travel: viewed but not signed, viewed often, close to expiry,
    invoice overdue."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {"name": "Mr Wang", "email": "wang@tubes.example.com"}
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Paper tube", "list_price": 10, "invoice_policy": "order"}
        )
        cls.lead = cls.leads[0]
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "opportunity_id": cls.lead.id,
                "validity_date": NOW.date() + timedelta(days=10),
                "order_line": [Command.create({"product_id": cls.product.id, "tax_ids": []})],
            }
        )
        cls.order.action_quotation_sent()

    def _view(self, when):
        """The customer opens the quotation in the portal, as the sale portal logs it."""
        with self.mock_datetime_and_now(when):
            self.order.with_user(SUPERUSER_ID).message_post(
                body="Quotation viewed by customer Mr Wang",
                message_type="notification",
                subtype_xmlid="sale.mt_order_viewed",
            )

    def test_portal_views_are_counted(self):
        self._view(NOW)
        self._view(NOW + timedelta(days=1))
        self.order.message_post(body="Internal remark", message_type="comment")
        self.assertEqual(self.order.journey_view_count, 2)
        self.assertEqual(self.order.journey_first_view_date, NOW)
        self.assertEqual(self.order.journey_last_view_date, NOW + timedelta(days=1))

    def test_viewed_not_signed_after_days(self):
        journey = self._signal_journey("viewed_unsigned", 3)
        self.assertFalse(self._enrolled(journey, NOW), "never viewed")
        self._view(NOW)
        self.assertFalse(self._enrolled(journey, NOW + timedelta(days=2, hours=23)))
        enrollment = self._enrolled(journey, NOW + timedelta(days=3))
        self.assertEqual(enrollment.order_id, self.order)
        self.assertEqual(len(self._enrolled(journey, NOW + timedelta(days=4))), 1, "once")

    def test_viewed_then_confirmed_is_no_signal(self):
        journey = self._signal_journey("viewed_unsigned", 3)
        self._view(NOW)
        self.order.action_confirm()
        self.assertFalse(self._enrolled(journey, NOW + timedelta(days=5)))

    def test_viewed_several_times(self):
        journey = self._signal_journey("viewed_often", 3)
        self._view(NOW)
        self._view(NOW + timedelta(days=1))
        self.assertFalse(self._enrolled(journey, NOW + timedelta(days=1)))
        self._view(NOW + timedelta(days=2))
        self.assertEqual(self._enrolled(journey, NOW + timedelta(days=2)).order_id, self.order)

    def test_close_to_expiry(self):
        journey = self._signal_journey("expiring", 7)
        self.assertFalse(self._enrolled(journey, NOW + timedelta(days=2)), "expires in 8 days")
        self.assertTrue(self._enrolled(journey, NOW + timedelta(days=3)), "expires in 7 days")

    def test_expired_quotation_is_no_signal(self):
        journey = self._signal_journey("expiring", 7)
        self.assertFalse(self._enrolled(journey, NOW + timedelta(days=11)))

    def test_invoice_overdue(self):
        journey = self._signal_journey("invoice_overdue", 1)
        self.order.action_confirm()
        invoice = self.order._create_invoices()
        invoice.write(
            {"invoice_date": NOW.date(), "invoice_date_due": NOW.date() + timedelta(days=30)}
        )
        invoice.action_post()
        self.assertFalse(self._enrolled(journey, NOW + timedelta(days=30)), "due today")
        self.assertEqual(
            self._enrolled(journey, NOW + timedelta(days=31)).order_id,
            self.order,
            "a day overdue",
        )

    def test_signal_as_branch_condition_on_leads(self):
        journey = self._create_journey(
            [
                self._email_step(
                    self.env["mail.template"].create(
                        {
                            "name": "Interest",
                            "model_id": self.env["ir.model"]._get_id("crm.lead"),
                            "subject": "Questions about {{ object.journey_quotation_id.name }}?",
                            "body_html": "<p>Hello</p>",
                            "use_default_to": True,
                        }
                    ),
                    quotation_signal="viewed_often",
                    quotation_signal_number=2,
                )
            ]
        )
        journey.action_start()
        self._view(NOW)
        self._view(NOW + timedelta(days=1))
        with self.mock_datetime_and_now(NOW + timedelta(days=1)), self.mock_mail_gateway():
            journey._enroll(self.leads[:2])
            self._process()
        done = self._traces(journey, res_id=self.lead.id)
        self.assertEqual(done.state, "done")
        self.assertEqual(done.mail_message_id.subject, f"Questions about {self.order.name}?")
        skipped = self._traces(journey, res_id=self.leads[1].id)
        self.assertEqual(skipped.state, "skipped", "no quotation viewed: the branch is off")

    def test_signal_trigger_needs_single_entry(self):
        with self.assertRaises(ValidationError):
            self._create_journey(
                model="sale.order",
                trigger="quotation_signal",
                quotation_signal="expiring",
                reentry="not_running",
            )


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyQuotationPortal(HttpCase):
    def test_portal_visit_counts_a_view(self):
        customer = self.env["res.partner"].create({"name": "Ms Li", "email": "li@box.example.com"})
        order = self.env["sale.order"].create({"partner_id": customer.id})
        order._portal_ensure_token()
        response = self.url_open(order.get_portal_url())
        self.assertEqual(response.status_code, 200)
        self.assertEqual(order.journey_view_count, 1)
        self.assertTrue(order.journey_first_view_date)
