from odoo.tests import HttpCase, tagged

from .common import JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyLeadForm(JourneyCommon):
    """What a salesperson reads on a lead: the engagement timeline in plain
    words and the engagement level behind its badge."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead = cls.leads[0]
        cls.journey = cls._create_journey([cls._email_step(name="Welcome")])
        cls.step = cls.journey.step_ids

    def _event(self, event_type, **values):
        event = self.env["mail.journey.event"].create(
            {
                "type": event_type,
                "lead_id": self.lead.id,
                "journey_id": self.journey.id,
                "step_id": self.step.id,
                **values,
            }
        )
        self._count_engagement()
        return event

    def test_event_summary_in_a_salespersons_words(self):
        Event = self.env["mail.journey.event"]
        events = (
            self._event("sent")
            | self._event("open")
            | self._event("click", url="https://example.com/tubes")
            | self._event("reply")
            | self._event("auto_reply", is_machine=True, machine_reason="out of office")
            | self._event("bounce")
            | self._event("unsubscribe")
            | self._event("external", name="whatsapp_inquiry", step_id=False)
            | self._event("open", is_machine=True, machine_reason="no user agent")
        )
        self.assertEqual(
            events.mapped("summary"),
            [
                "Sent the email 'Welcome'",
                "Opened the email 'Welcome'",
                "Clicked a link: https://example.com/tubes",
                "Replied",
                "Automatic reply (out of office)",
                "Bounced",
                "Unsubscribed",
                "External: whatsapp_inquiry",
                "Opened the email 'Welcome' (automatic, not a person)",
            ],
        )
        # an email whose step was deleted still reads as a sentence
        self.assertEqual(Event.new({"type": "open"}).summary, "Opened the email 'a journey email'")

    def test_timeline_hides_machine_events(self):
        person = self._event("open")
        self._event("click", url="https://example.com", is_machine=True, machine_reason="scanner")
        self.assertEqual(self.lead.journey_human_event_ids, person)
        action = self.lead.with_user(self.user_journey_manager).action_view_journey_events()
        self.assertEqual(action["context"], {"search_default_filter_human": 1})
        timeline = self.env.ref("mail_journey_automation.view_mail_journey_event_list_timeline")
        self.assertEqual(action["views"][0], (timeline.id, "list"))
        self.assertEqual(self.env["mail.journey.event"].search(action["domain"]).lead_id, self.lead)

    def test_engagement_level_badge(self):
        """Cold, warm and hot follow the thresholds of the settings; the
        badge's tooltip gives the level and the score."""
        self.assertEqual(self.lead.journey_engagement_level, "cold")
        self._event("open")  # 1
        self.assertEqual(self.lead.journey_engagement_level, "cold")
        self.assertEqual(
            self.lead.journey_engagement_tooltip,
            "Cold: engagement score 1.0 (thresholds in Settings)",
        )
        self._event("click", url="https://example.com")  # 4
        self._event("open")  # 5: the warm threshold
        self.assertEqual(self.lead.journey_engagement_level, "warm")
        self._event("reply")  # 15
        self.assertEqual(self.lead.journey_engagement_level, "warm")
        self._event("reply")  # 25
        self.assertEqual(self.lead.journey_engagement_level, "hot")
        self.assertEqual(
            self.lead.with_user(self.user_sales).journey_engagement_tooltip,
            "Hot: engagement score 25.0 (thresholds in Settings)",
        )
        self.env["ir.config_parameter"].set_param("mail_journey.level_hot", "30")
        self.lead._update_journey_engagement()
        self.assertEqual(self.lead.journey_engagement_level, "warm")


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyLeadFormUi(HttpCase):
    """The lead form stays the CRM's, in a real browser."""

    def test_lead_form_keeps_crm_stage_bar(self):
        template = self.env["mail.template"].create(
            {
                "name": "Tour welcome",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "subject": "Welcome",
                "body_html": "<p>Thank you for your interest.</p>",
                "use_default_to": True,
            }
        )
        journey = self.env["mail.journey"].create(
            {"name": "Lead form journey", "model": "crm.lead", "trigger": "manual"}
        )
        self.env["mail.journey.step"].create(
            {
                "journey_id": journey.id,
                "name": "Welcome",
                "action": "email",
                "trigger": "start",
                "mail_template_id": template.id,
            }
        )
        journey.action_start()
        lead = self.env["crm.lead"].create(
            {
                "name": "Form lead",
                "email_from": "form.lead@example.com",
                "type": "opportunity",
                "user_id": self.env.ref("base.user_admin").id,
            }
        )
        self.assertTrue(journey._enroll(lead))
        # three replies: a hot lead
        self.env["mail.journey.event"].create(
            [{"type": "reply", "lead_id": lead.id, "journey_id": journey.id}] * 3
        )
        self.assertEqual(lead.journey_engagement_level, "hot")
        self.assertGreaterEqual(
            self.env["crm.stage"].search_count(
                ["|", ("team_ids", "in", lead.team_id.ids), ("team_ids", "=", False)]
            ),
            4,
        )
        self.start_tour(
            f"/odoo/action-crm.crm_lead_action_pipeline/{lead.id}",
            "mail_journey_lead_form",
            login="admin",
        )
        self.start_tour(
            "/odoo/action-crm.crm_lead_action_pipeline",
            "mail_journey_lead_kanban",
            login="admin",
        )

    def test_order_form_keeps_sale_header(self):
        partner = self.env["res.partner"].create(
            {"name": "Form customer", "email": "form.customer@example.com"}
        )
        order = self.env["sale.order"].create({"partner_id": partner.id})
        self.start_tour(
            f"/odoo/action-sale.action_quotations_with_onboarding/{order.id}",
            "mail_journey_order_form",
            login="admin",
        )
