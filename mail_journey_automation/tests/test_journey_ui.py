from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyUi(HttpCase):
    """The journey manager's path in a real browser: create a journey with
    two steps, enroll a lead from its form, open the pivot report."""

    def test_journey_from_creation_to_report(self):
        self.env["mail.template"].create(
            {
                "name": "Tour welcome",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "subject": "Welcome {{ object.contact_name or 'there' }}",
                "body_html": "<p>Thank you for your interest.</p>",
                "use_default_to": True,
            }
        )
        lead = self.env["crm.lead"].create(
            {"name": "Tour lead", "email_from": "tour.lead@example.com", "type": "opportunity"}
        )
        self.start_tour(
            "/odoo/action-mail_journey_automation.action_mail_journey",
            "mail_journey_create",
            login="admin",
        )
        journey = self.env["mail.journey"].search([("name", "=", "Tour journey")])
        self.assertEqual(journey.state, "running")
        welcome = journey.step_ids.filtered(lambda step: not step.parent_id)
        self.assertEqual(welcome.name, "Tour welcome email")
        reminder = journey.step_ids - welcome
        self.assertEqual(
            (reminder.name, reminder.parent_id, reminder.trigger, reminder.interval_number),
            ("Tour reminder", welcome, "not_opened", 2),
        )

        self.start_tour(
            f"/odoo/action-crm.crm_lead_all_leads/{lead.id}",
            "mail_journey_enroll_lead",
            login="admin",
        )
        self.assertEqual(journey.enrollment_ids.lead_id, lead)

        self.start_tour(
            "/odoo/action-mail_journey_automation.action_mail_journey_report",
            "mail_journey_report",
            login="admin",
        )
