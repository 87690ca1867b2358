from datetime import date, timedelta

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import SQL

from .common import NOW, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyTrigger(JourneyCommon):
    def _running(self, **values):
        journey = self._create_journey([self._email_step()], **values)
        journey.action_start()
        return journey

    def test_trigger_record_created(self):
        journey = self._running(trigger="create")
        lead = self.env["crm.lead"].create({"name": "New", "email_from": "new@example.com"})
        self.assertEqual(journey.enrollment_ids.lead_id, lead)
        self.assertEqual(journey.enrollment_ids.trace_ids.state, "scheduled")

    def test_trigger_created_respects_audience(self):
        journey = self._running(
            trigger="create", domain="[('email_from', 'ilike', '@vip.example.com')]"
        )
        leads = self.env["crm.lead"].create(
            [
                {"name": "VIP", "email_from": "a@vip.example.com"},
                {"name": "Other", "email_from": "b@other.example.com"},
            ]
        )
        self.assertEqual(journey.enrollment_ids.lead_id, leads[0])

    def test_trigger_enters_journey_stage(self):
        journey = self._running(trigger="journey_stage", stage_id=self.stage_exploration.id)
        self.leads[0].journey_stage_id = self.stage_exploration
        self.assertEqual(journey.enrollment_ids.lead_id, self.leads[0])
        self.leads[0].journey_stage_id = self.stage_exploration
        self.assertEqual(len(journey.enrollment_ids), 1, "writing the same stage is no entry")

    def test_trigger_created_in_journey_stage(self):
        journey = self._running(trigger="journey_stage", stage_id=self.stage_first.id)
        lead = self.env["crm.lead"].create({"name": "Web", "email_from": "web@example.com"})
        self.assertEqual(
            lead.journey_stage_id, self.stage_first, "new leads start in the first stage"
        )
        self.assertEqual(journey.enrollment_ids.lead_id, lead)

    def test_trigger_crm_stage(self):
        crm_stage = self.env["crm.stage"].create({"name": "Qualified (test)"})
        journey = self._running(trigger="crm_stage", crm_stage_id=crm_stage.id)
        other = self._running(trigger="crm_stage")
        self.leads[0].stage_id = crm_stage
        self.assertEqual(journey.enrollment_ids.lead_id, self.leads[0])
        self.assertEqual(other.enrollment_ids.lead_id, self.leads[0], "no CRM stage: any change")

    def test_trigger_order_states(self):
        order_template = self.env["mail.template"].create(
            {
                "name": "Order",
                "model_id": self.env["ir.model"]._get_id("sale.order"),
                "subject": "Your order",
                "body_html": "<p>Thanks</p>",
            }
        )
        journeys = {
            state: self._create_journey(
                [self._email_step(order_template)],
                model="sale.order",
                trigger="order_state",
                order_state=state,
            )
            for state in ("sent", "sale", "cancel")
        }
        for journey in journeys.values():
            journey.action_start()
        product = self.env["product.product"].create({"name": "Paper tube", "list_price": 2})
        order = self.env["sale.order"].create(
            {
                "partner_id": self.env["res.partner"]
                .create({"name": "Buyer", "email": "buyer@example.com"})
                .id,
                "opportunity_id": self.leads[0].id,
                "order_line": [Command.create({"product_id": product.id})],
            }
        )
        order.action_quotation_sent()
        self.assertEqual(journeys["sent"].enrollment_ids.order_id, order)
        self.assertEqual(journeys["sent"].enrollment_ids.lead_id, self.leads[0])
        order.action_confirm()
        self.assertEqual(journeys["sale"].enrollment_ids.order_id, order)
        order._action_cancel()
        self.assertEqual(journeys["cancel"].enrollment_ids.order_id, order)

    def test_order_shows_and_moves_opportunity_stage(self):
        order = self.env["sale.order"].create(
            {"partner_id": self.partner_employee.id, "opportunity_id": self.leads[0].id}
        )
        self.assertEqual(order.journey_stage_id, self.stage_proposal, "moved by the quotation")
        order.journey_stage_id = self.stage_care
        self.assertEqual(self.leads[0].journey_stage_id, self.stage_care)

    def test_trigger_date_with_offset(self):
        date_field = self.env["ir.model.fields"]._get("crm.lead", "date_deadline")
        with self.mock_datetime_and_now(NOW):
            journey = self._running(
                trigger="date", date_field_id=date_field.id, date_offset=3, date_offset_unit="days"
            )
        self.leads[0].date_deadline = date(2026, 3, 1)  # +3 days: 2026-03-04
        self.leads[1].date_deadline = date(2026, 3, 10)
        with self.mock_datetime_and_now(NOW + timedelta(days=1)):
            journey._enroll_reached_dates()
        self.assertFalse(journey.enrollment_ids)
        with self.mock_datetime_and_now(NOW + timedelta(days=2, hours=16)):
            journey._enroll_reached_dates()
        self.assertEqual(journey.enrollment_ids.lead_id, self.leads[0])
        with self.mock_datetime_and_now(NOW + timedelta(days=3)):
            journey._enroll_reached_dates()
        self.assertEqual(len(journey.enrollment_ids), 1, "a reached date enrolls once")

    def test_trigger_yearly_date(self):
        date_field = self.env["ir.model.fields"]._get("crm.lead", "date_deadline")
        self.leads[0].date_deadline = date(1990, 3, 3)
        self.leads[1].date_deadline = date(1985, 3, 2)
        self.leads[2].date_deadline = date(1985, 7, 1)
        with self.mock_datetime_and_now(NOW):
            journey = self._running(trigger="yearly", date_field_id=date_field.id)
            journey._enroll_reached_dates()
        self.assertEqual(journey.enrollment_ids.lead_id, self.leads[1], "today's anniversary")
        with self.mock_datetime_and_now(NOW + timedelta(days=1, hours=2)):
            journey._enroll_reached_dates()
        self.assertEqual(journey.enrollment_ids.lead_id, self.leads[:2])

    def test_manual_enrollment_wizard_on_selection(self):
        journey = self._running()
        wizard = (
            self.env["mail.journey.enroll"]
            .with_user(self.user_sales)
            .with_context(active_model="crm.lead", active_ids=self.leads.ids)
            .create({"journey_id": journey.id})
        )
        self.assertEqual(wizard.record_count, 3)
        result = wizard.action_enroll()
        self.assertEqual(journey.enrollment_ids.lead_id, self.leads)
        self.assertEqual(result["params"]["type"], "success")

    def test_server_action_opens_enroll_wizard(self):
        action = self.env.ref("mail_journey_automation.action_server_crm_lead_journey_enroll")
        result = action.with_context(active_model="crm.lead", active_ids=self.leads.ids).run()
        self.assertEqual(result["res_model"], "mail.journey.enroll")
        self.assertEqual(result["context"]["active_ids"], self.leads.ids)

    def test_reentry_once(self):
        journey = self._running(reentry="once")
        journey._enroll(self.leads[0])
        journey.enrollment_ids.action_cancel()
        self.assertFalse(journey._enroll(self.leads[0]))

    def test_reentry_not_running(self):
        journey = self._running(reentry="not_running")
        journey._enroll(self.leads[0])
        self.assertFalse(journey._enroll(self.leads[0]), "already running")
        journey.enrollment_ids.action_cancel()
        self.assertTrue(journey._enroll(self.leads[0]))

    def test_reentry_after_days(self):
        journey = self._running(reentry="after_days", reentry_days=10)
        with self.mock_datetime_and_now(NOW):
            journey._enroll(self.leads[0])
            journey.enrollment_ids.action_cancel()
        with self.mock_datetime_and_now(NOW + timedelta(days=9)):
            self.assertFalse(journey._enroll(self.leads[0]))
        with self.mock_datetime_and_now(NOW + timedelta(days=11)):
            self.assertTrue(journey._enroll(self.leads[0]))

    def test_draft_journey_enrolls_nothing(self):
        journey = self._create_journey([self._email_step()], trigger="create")
        self.env["crm.lead"].create({"name": "New", "email_from": "new@example.com"})
        self.assertFalse(journey.enrollment_ids)

    def test_registries_keep_the_stored_codes(self):
        """The selections come from the registries and keep the codes stored
        in journeys, segments and steps."""
        Journey = self.env["mail.journey"]
        core_triggers = [
            "create",
            "journey_stage",
            "crm_stage",
            "order_state",
            "date",
            "yearly",
            "fixed_date",
            "repeat_purchase",
            "winback",
            "external",
            "manual",
            "quotation_signal",
        ]
        codes = [code for code, _label in Journey._selection_trigger()]
        self.assertEqual([code for code in codes if code in core_triggers], core_triggers)
        self.assertEqual(
            Journey._get_date_triggers(),
            ["date", "yearly", "fixed_date", "repeat_purchase", "winback"],
        )
        self.assertEqual(Journey._get_trigger_codes("signal"), ["quotation_signal"])
        models = [("crm.lead", "Lead/Opportunity"), ("sale.order", "Sales Order")]
        self.assertEqual(Journey._selection_model()[:2], models)
        self.assertEqual(
            self.env["mail.journey.segment"]._selection_model(), Journey._selection_model()
        )
        signals = ["viewed_unsigned", "viewed_often", "expiring", "invoice_overdue"]
        for model in ("mail.journey", "mail.journey.step"):
            codes = [code for code, _label in self.env[model]._selection_quotation_signal()]
            self.assertEqual(codes[:4], signals)

    def test_trigger_only_on_the_models_it_declares(self):
        for trigger, model in (
            ("crm_stage", "sale.order"),
            ("order_state", "crm.lead"),
            ("repeat_purchase", "crm.lead"),
            ("external", "sale.order"),
        ):
            label = self.env["mail.journey"]._get_triggers()[trigger]["name"]
            with self.subTest(trigger=trigger), self.assertRaisesRegex(ValidationError, label):
                self._create_journey(
                    model=model, trigger=trigger, order_state="sale", external_event="demo"
                )

    def test_trigger_no_longer_declared_reaches_nothing(self):
        """A journey whose trigger went away with its bridge (the stored code
        stays) is checked by no cron and reaches no record."""
        date_field = self.env["ir.model.fields"]._get("crm.lead", "date_deadline")
        journey = self._running(trigger="date", date_field_id=date_field.id)
        self.leads[0].date_deadline = NOW.date()
        self.assertTrue(journey._get_reached_records(NOW - timedelta(days=2), NOW))
        journey.flush_recordset()
        self.env.cr.execute(
            SQL("UPDATE mail_journey SET trigger = %s WHERE id = %s", "gone", journey.id)
        )
        journey.invalidate_recordset(["trigger"])
        Journey = self.env["mail.journey"]
        date_journeys = Journey.search([("trigger", "in", Journey._get_date_triggers())])
        self.assertNotIn(journey, date_journeys)
        self.assertFalse(journey._get_reached_records(NOW - timedelta(days=2), NOW))
