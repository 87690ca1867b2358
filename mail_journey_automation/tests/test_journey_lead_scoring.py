from odoo.tests import tagged

from .common import JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyLeadScoring(JourneyCommon):
    """The engagement level (cold, warm, hot) follows the engagement score
    and is a field Odoo's predictive lead scoring learns from."""

    def _log(self, lead, *event_types):
        self.env["mail.journey.event"].create(
            [{"type": event_type, "lead_id": lead.id} for event_type in event_types]
        )
        lead._update_journey_engagement()

    def test_level_follows_score(self):
        lead = self.leads[0]
        self.assertEqual(lead.journey_engagement_level, "cold")
        self._log(lead, "open", "click", "click")  # 1 + 3 + 3 = 7
        self.assertEqual(lead.journey_engagement_score, 7)
        self.assertEqual(lead.journey_engagement_level, "warm")
        self._log(lead, "reply", "reply")  # 27
        self.assertEqual(lead.journey_engagement_level, "hot")
        self.env["ir.config_parameter"].set_param("mail_journey.level_hot", "30")
        lead._update_journey_engagement()
        self.assertEqual(lead.journey_engagement_level, "warm", "thresholds come from Settings")

    def test_level_offered_to_predictive_lead_scoring(self):
        offered = self.env.ref("mail_journey_automation.frequency_field_journey_engagement_level")
        self.assertEqual(offered.field_id.name, "journey_engagement_level")
        self.assertIn(
            offered,
            self.env["crm.lead.scoring.frequency.field"].search([]),
            "listed among the fields the CRM settings offer",
        )

    def test_engaged_leads_rank_higher(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("crm.pls_fields", "journey_engagement_level")
        params.set_param("crm.pls_start_date", "2000-01-01")
        self.assertIn("journey_engagement_level", self.env["crm.lead"]._pls_get_safe_fields())
        team = self.env["crm.team"].create({"name": "Scoring"})
        history = [("hot", "won")] * 4 + [("cold", "won"), ("hot", "lost")] + [("cold", "lost")] * 4
        leads = self.env["crm.lead"].create(
            [
                {"name": f"{level} {outcome}", "team_id": team.id, "type": "opportunity"}
                for level, outcome in [*history, ("hot", "open"), ("cold", "open")]
            ]
        )
        for lead, (level, outcome) in zip(
            leads, [*history, ("hot", ""), ("cold", "")], strict=True
        ):
            lead.journey_engagement_level = level
            if outcome == "won":
                lead.action_set_won()
            elif outcome == "lost":
                lead.action_set_lost()
        self.env["crm.lead"]._cron_update_automated_probabilities()
        hot, cold = leads[-2:]
        self.assertGreater(hot.automated_probability, cold.automated_probability)
