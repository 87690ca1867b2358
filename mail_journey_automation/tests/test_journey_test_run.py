from odoo.tests import tagged

from .common import JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyTestRun(JourneyCommon):
    def test_timeline_without_side_effect(self):
        journey = self._create_journey(
            [
                self._email_step(name="Welcome"),
                self._email_step(
                    self.template_intro,
                    name="Intro",
                    parent=0,
                    interval_number=2,
                    interval_unit="days",
                ),
                {
                    "name": "Call if still new",
                    "action": "activity",
                    "parent": 0,
                    "interval_number": 7,
                    "interval_unit": "days",
                    "condition_domain": f"[('journey_stage_id', '=', {self.stage_proposal.id})]",
                },
            ]
        )
        lead = self.leads[0]
        messages_before = lead.message_ids
        wizard = self.env["mail.journey.test.run"].create(
            {"journey_id": journey.id, "lead_id": lead.id}
        )
        lines = journey._simulate(lead)
        self.assertEqual(
            [line["step"].name for line in lines], ["Welcome", "Intro", "Call if still new"]
        )
        self.assertEqual([line["status"] for line in lines], ["done", "done", "skipped"])
        self.assertEqual(lines[0]["detail"], "Email 'Welcome Contact 0'")
        self.assertEqual((lines[1]["date"] - lines[0]["date"]).days, 2)
        self.assertIn("Welcome Contact 0", wizard.timeline)
        self.assertIn("Condition not met", wizard.timeline)
        self.assertFalse(journey.enrollment_ids)
        self.assertFalse(self.env["mail.journey.trace"].search([("journey_id", "=", journey.id)]))
        self.assertEqual(lead.message_ids, messages_before)

    def test_timeline_outside_audience(self):
        journey = self._create_journey(
            [self._email_step()], domain=f"[('id', '!=', {self.leads[0].id})]"
        )
        lines = journey._simulate(self.leads[0])
        self.assertEqual(lines[0]["status"], "refused")
