from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from .common import NOW, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyLifecycle(JourneyCommon):
    """Sales documents move the journey stage of their opportunity forward."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stage_confirmation = cls.env.ref("mail_journey_automation.stage_order_confirmation")
        cls.stage_delivery = cls.env.ref("mail_journey_automation.stage_order_delivery")
        cls.customer = cls.env["res.partner"].create(
            {"name": "Paper Buyer Ltd", "email": "buyer@paper.example.com"}
        )
        # a service: no delivery order even with Inventory, delivered when invoiced
        cls.service = cls.env["product.product"].create(
            {
                "name": "Packaging design",
                "type": "service",
                "list_price": 500,
                "invoice_policy": "order",
            }
        )
        cls.lead = cls.leads[0]

    def _quotation(self, lead=None):
        return self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "opportunity_id": (lead or self.lead).id,
                "order_line": [Command.create({"product_id": self.service.id})],
            }
        )

    def _deliver_by_invoice(self, order):
        invoice = order._create_invoices()
        invoice.action_post()
        return invoice

    def test_quotation_created_moves_to_proposal(self):
        self._quotation()
        self.assertEqual(self.lead.journey_stage_id, self.stage_proposal)

    def test_quotation_sent_moves_to_proposal(self):
        order = self._quotation()
        self.lead.journey_stage_id = self.stage_first  # a salesperson moved it back
        order.action_quotation_sent()
        self.assertEqual(self.lead.journey_stage_id, self.stage_proposal)

    def test_quotation_linked_later_moves_to_proposal(self):
        order = self.env["sale.order"].create({"partner_id": self.customer.id})
        self.assertEqual(self.lead.journey_stage_id, self.stage_first)
        order.opportunity_id = self.lead
        self.assertEqual(self.lead.journey_stage_id, self.stage_proposal)

    def test_order_confirmed_moves_to_order_confirmation(self):
        order = self._quotation()
        order.action_confirm()
        self.assertEqual(self.lead.journey_stage_id, self.stage_confirmation)

    def test_invoice_posted_moves_to_delivery(self):
        order = self._quotation()
        order.action_confirm()
        with self.mock_datetime_and_now(NOW):
            self._deliver_by_invoice(order)
        self.assertEqual(self.lead.journey_stage_id, self.stage_delivery)
        self.assertEqual(order.journey_delivered_date, NOW)
        self.assertEqual(self.lead.journey_stage_date, NOW)

    def test_stage_never_moves_backwards(self):
        self.lead.journey_stage_id = self.stage_care
        order = self._quotation()
        order.action_confirm()
        self._deliver_by_invoice(order)
        self.assertEqual(self.lead.journey_stage_id, self.stage_care)
        self.assertEqual(len(self.lead.journey_stage_log_ids), 2, "no stay in earlier stages")

    def test_second_quotation_keeps_a_confirmed_order_stage(self):
        self._quotation().action_confirm()
        self._quotation()
        self.assertEqual(self.lead.journey_stage_id, self.stage_confirmation)

    def test_sync_can_be_turned_off(self):
        self.lead.company_id.journey_lifecycle_sync = False
        self._quotation().action_confirm()
        self.assertEqual(self.lead.journey_stage_id, self.stage_first)

    def test_move_is_tracked_and_enrolls_in_stage_journeys(self):
        journey = self._create_journey(
            [self._email_step()], trigger="journey_stage", stage_id=self.stage_proposal.id
        )
        journey.action_start()
        self.flush_tracking()
        self._quotation()
        self.flush_tracking()
        self.assertEqual(journey.enrollment_ids.lead_id, self.lead)
        tracking = self.lead.message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name == "journey_stage_id"
        )
        self.assertEqual(tracking.new_value_char, self.stage_proposal.name)

    def test_salesperson_without_rights_on_the_lead_still_moves_it(self):
        other = self.env["crm.lead"].create(
            {"name": "Someone else's", "email_from": "x@example.com", "user_id": False}
        )
        order = self._quotation(other)
        order.action_confirm()
        invoice = order._create_invoices()
        accountant = self.env["res.users"].create(
            {
                "name": "Ann Accountant",
                "login": "journey_accountant",
                "group_ids": [Command.set(self.env.ref("account.group_account_invoice").ids)],
            }
        )
        invoice.with_user(accountant).action_post()
        self.assertEqual(other.journey_stage_id, self.stage_delivery)

    def test_long_term_care_after_days_in_delivery(self):
        self.env.company.journey_care_days = 30
        order = self._quotation()
        order.action_confirm()
        with self.mock_datetime_and_now(NOW):
            self._deliver_by_invoice(order)
        Lead = self.env["crm.lead"]
        with self.mock_datetime_and_now(NOW + timedelta(days=29)):
            self.assertNotIn(self.lead, Lead._journey_get_due_for_care())
        with self.mock_datetime_and_now(NOW + timedelta(days=30, hours=1)):
            Lead._journey_get_due_for_care()._journey_advance_lifecycle("care")
        self.assertEqual(self.lead.journey_stage_id, self.stage_care)
        self.assertEqual(self.lead.journey_stage_date, NOW + timedelta(days=30, hours=1))

    def test_long_term_care_cron_runs_for_real(self):
        self.lead.journey_stage_id = self.stage_delivery
        self.lead.journey_stage_date = NOW - timedelta(days=60)
        cron = self.env.ref("mail_journey_automation.ir_cron_mail_journey_long_term_care")
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.assertEqual(self.lead.journey_stage_id, self.stage_care)

    def test_stage_reached_on_each_event_is_configurable(self):
        self.stage_confirmation.lifecycle_event = False
        self.stage_care.lifecycle_event = "order"
        self._quotation().action_confirm()
        self.assertEqual(self.lead.journey_stage_id, self.stage_care)

    def test_copied_stage_reaches_nothing(self):
        copy = self.stage_proposal.copy()
        self.assertFalse(copy.lifecycle_event)
