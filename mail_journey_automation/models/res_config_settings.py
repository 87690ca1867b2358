from odoo import api, fields, models

SCORE_WEIGHTS = {
    "open": 1,
    "click": 3,
    "reply": 10,
    "external": 5,
    "bounce": -3,
    "unsubscribe": -10,
}
SCORE_HALF_LIFE = 30
# engagement levels offered to predictive lead scoring: score thresholds
LEVEL_THRESHOLDS = {"warm": 5, "hot": 20}


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    journey_score_open = fields.Integer(
        string="Score of an Open",
        config_parameter="mail_journey.score_open",
        default=SCORE_WEIGHTS["open"],
    )
    journey_score_click = fields.Integer(
        string="Score of a Click",
        config_parameter="mail_journey.score_click",
        default=SCORE_WEIGHTS["click"],
    )
    journey_score_reply = fields.Integer(
        string="Score of a Reply",
        config_parameter="mail_journey.score_reply",
        default=SCORE_WEIGHTS["reply"],
    )
    journey_score_external = fields.Integer(
        string="Score of an External Event",
        config_parameter="mail_journey.score_external",
        default=SCORE_WEIGHTS["external"],
    )
    journey_score_bounce = fields.Integer(
        string="Score of a Bounce",
        config_parameter="mail_journey.score_bounce",
        default=SCORE_WEIGHTS["bounce"],
    )
    journey_score_unsubscribe = fields.Integer(
        string="Score of an Unsubscribe",
        config_parameter="mail_journey.score_unsubscribe",
        default=SCORE_WEIGHTS["unsubscribe"],
    )
    journey_score_half_life = fields.Integer(
        string="Score Half-Life (days)",
        config_parameter="mail_journey.score_half_life",
        default=SCORE_HALF_LIFE,
        help="An engagement counts half as much after this many days.",
    )
    journey_level_warm = fields.Float(
        string="Warm From Score",
        config_parameter="mail_journey.level_warm",
        default=LEVEL_THRESHOLDS["warm"],
    )
    journey_level_hot = fields.Float(
        string="Hot From Score",
        config_parameter="mail_journey.level_hot",
        default=LEVEL_THRESHOLDS["hot"],
    )

    journey_cap_day = fields.Integer(
        string="Max Journey Emails per Day",
        config_parameter="mail_journey.cap_day",
        help="Per recipient, all journeys together; 0 for no limit.",
    )
    journey_cap_week = fields.Integer(
        string="Max Journey Emails per Week",
        config_parameter="mail_journey.cap_week",
        help="Per recipient, all journeys together; 0 for no limit.",
    )
    journey_cap_account_week = fields.Integer(
        string="Max Journey Emails per Company per Week",
        config_parameter="mail_journey.cap_account_week",
        help="To the contacts of one company, all journeys together; 0 for no limit.",
    )
    journey_cap_domain_week = fields.Integer(
        string="Max Journey Emails per Email Domain per Week",
        config_parameter="mail_journey.cap_domain_week",
        help="To the addresses of one business email domain (free-mail domains excepted), all "
        "journeys together; 0 for no limit.",
    )
    journey_max_per_hour = fields.Integer(
        string="Max Journey Emails per Hour",
        config_parameter="mail_journey.max_per_hour",
        help="All journeys together (IP warm-up, provider limits); 0 for no limit.",
    )
    journey_duplicate_days = fields.Integer(
        string="Same Email Not Again Within (Days)",
        config_parameter="mail_journey.duplicate_days",
        default=30,
        help="An address that got an email (the same template, or a copy of it) from any "
        "journey in these last days does not get it again from another journey; 0 to "
        "check only within each step.",
    )
    journey_event_token = fields.Char(
        related="company_id.journey_event_token", readonly=False, groups="base.group_system"
    )
    journey_lifecycle_sync = fields.Boolean(
        related="company_id.journey_lifecycle_sync", readonly=False
    )
    journey_care_days = fields.Integer(related="company_id.journey_care_days", readonly=False)

    def action_journey_event_token_generate(self):
        self.company_id.action_journey_event_token_generate()
        return {"type": "ir.actions.client", "tag": "reload"}

    @api.model
    def _get_journey_level_thresholds(self):
        """Return the scores from which a lead is warm and hot."""
        get_param = self.env["ir.config_parameter"].sudo().get_param
        return {
            level: float(get_param(f"mail_journey.level_{level}", default))
            for level, default in LEVEL_THRESHOLDS.items()
        }

    @api.model
    def _get_journey_score_weights(self):
        """Return the score weight of each event type and the half-life in days."""
        get_param = self.env["ir.config_parameter"].sudo().get_param
        weights = {
            event_type: float(get_param(f"mail_journey.score_{event_type}", default))
            for event_type, default in SCORE_WEIGHTS.items()
        }
        weights["half_life"] = max(
            float(get_param("mail_journey.score_half_life", SCORE_HALF_LIFE)), 1
        )
        return weights
