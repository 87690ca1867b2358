import hashlib
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged

from .common import NOW, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyLift(JourneyCommon):
    """Hold-out groups and the lift they measure."""

    def _bucket(self, journey, lead):
        seed = f"{journey.id}:crm.lead:{lead.id}".encode()
        return int(hashlib.sha256(seed).hexdigest()[:8], 16) % 100

    def test_holdout_assignment_is_deterministic(self):
        leads = self.env["crm.lead"].create(
            [
                {"name": f"Prospect {index}", "email_from": f"p{index}@x{index}.example.com"}
                for index in range(200)
            ]
        )
        journey = self._create_journey([self._email_step()], holdout_percent=20)
        journey.action_start()
        enrollments = journey._enroll(leads)
        expected = {lead.id: self._bucket(journey, lead) < 20 for lead in leads}
        self.assertEqual(
            {enrollment.res_id: enrollment.is_holdout for enrollment in enrollments}, expected
        )
        held = sum(expected.values())
        self.assertTrue(20 <= held <= 60, f"about a fifth of 200 entrants, got {held}")
        enrollments.action_cancel()
        again = journey._enroll(leads[::-1])
        self.assertEqual(
            {enrollment.res_id: enrollment.is_holdout for enrollment in again},
            expected,
            "the same records fall in the same group, whatever the order they enter in",
        )
        journey.holdout_percent = 50
        self.assertEqual(
            {enrollment.res_id: enrollment.is_holdout for enrollment in again},
            expected,
            "changing the share moves nobody already enrolled",
        )

    def test_no_holdout_without_share(self):
        journey = self._create_journey([self._email_step()])
        journey.action_start()
        self.assertFalse(any(journey._enroll(self.leads).mapped("is_holdout")))

    def test_holdout_skips_emails_and_goes_on(self):
        journey = self._create_journey(
            [
                self._email_step(),
                {"name": "Call", "action": "activity", "activity_summary": "Call", "parent": 0},
            ],
            holdout_percent=10,
        )
        journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            enrollments = journey._enroll(self.leads[:2])
            enrollments.filtered(lambda e: e.lead_id == self.leads[0]).is_holdout = True
            enrollments.filtered(lambda e: e.lead_id == self.leads[1]).is_holdout = False
            self._process()
            self._process()
        journey_mails = self._new_mails.filtered("journey_trace_ids")
        self.assertEqual(len(journey_mails), 1, "only the treated lead is mailed")
        self.assertEqual(journey_mails.res_id, self.leads[1].id)
        held_email = self._traces(journey, res_id=self.leads[0].id, step_action="email")
        self.assertEqual(held_email.state, "skipped")
        self.assertIn("Hold-out", held_email.state_message)
        self.assertFalse(held_email.mail_message_id)
        held_call = self._traces(journey, res_id=self.leads[0].id, step_action="activity")
        self.assertEqual(held_call.state, "done", "the rest of the journey still runs")

    def test_lift_report_on_fixture(self):
        """Two treated and two hold-out customers, entered yesterday:

        - treated A confirms an order of 1,000; treated B gets a quotation
          it never confirms;
        - hold-out C does nothing; hold-out D confirms 400 and leaves
          another quotation unconfirmed.

        Conversion 1/2 vs 1/2 (difference 0, error 1.959964 * sqrt(0.25/2 +
        0.25/2) = 0.979982); quotation-to-order 1/1 vs 1/2; revenue per
        entrant 500 vs 200, variances 500,000 and 80,000, error 1.959964 *
        sqrt(250,000 + 40,000) = 1,055.473.
        """
        partners = self.env["res.partner"].create(
            [
                {"name": name, "is_company": True, "email": f"{name}@{name}.example.com"}
                for name in ("a", "b", "c", "d")
            ]
        )
        leads = self.env["crm.lead"].create(
            [
                {"name": partner.name, "partner_id": partner.id, "type": "opportunity"}
                for partner in partners
            ]
        )
        journey = self._create_journey([self._email_step()], holdout_percent=50)
        journey.action_start()
        enrollments = journey._enroll(leads)
        enrollments.date_start = fields.Datetime.now() - timedelta(days=1)
        for enrollment in enrollments:
            enrollment.is_holdout = enrollment.lead_id in leads[2:]
        product = self.env["product.product"].create({"name": "Paper tube", "list_price": 1})
        orders = self.env["sale.order"].create(
            [
                {
                    "partner_id": partner.id,
                    "order_line": [
                        Command.create(
                            {"product_id": product.id, "price_unit": amount, "tax_ids": []}
                        )
                    ],
                }
                for partner, amount in (
                    (partners[0], 1000),
                    (partners[1], 80),
                    (partners[3], 400),
                    (partners[3], 90),
                )
            ]
        )
        (orders[0] | orders[2]).action_confirm()
        lift = self.env["mail.journey.impact.report"]._get_lift(journey)[journey]
        self.assertEqual(lift["entrants"], (2, 2))
        conversion = lift["conversion"]
        self.assertEqual(conversion[:3], (0.5, 0.5, 0.0))
        self.assertAlmostEqual(conversion[3], -0.979982, places=5)
        self.assertAlmostEqual(conversion[4], 0.979982, places=5)
        self.assertEqual(lift["quotation_order"][:3], (0.5, 0.5, 0.0))
        revenue = lift["revenue_per_entrant"]
        self.assertAlmostEqual(revenue[0], 500)
        self.assertAlmostEqual(revenue[1], 200)
        self.assertAlmostEqual(revenue[3], 300 - 1055.473, places=2)
        self.assertAlmostEqual(revenue[4], 300 + 1055.473, places=2)
        rows = self.env["mail.journey.impact.report"]._read_group(
            [("comparison", "=", "lift"), ("journey_id", "=", journey.id)],
            ["cohort"],
            ["purchase_rate:sum", "revenue_per_customer:sum"],
        )
        self.assertEqual(
            {group: (rate, revenue) for group, rate, revenue in rows},
            {"treated": (50.0, 500.0), "holdout": (50.0, 200.0)},
        )
        self.assertIn("Hold-out (2)", journey.with_user(self.user_journey_manager).lift_summary)
