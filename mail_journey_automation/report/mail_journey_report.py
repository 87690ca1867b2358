from odoo import api, fields, models
from odoo.tools import SQL


class MailJourneyReport(models.Model):
    """Journey performance: one row per trace (executed or scheduled step).

    Email measures are 0/1 per row. The enrollment measures (enrolled,
    converted, revenue) are carried by the first trace of each enrollment
    only, so that their sums count every enrollment once. Rates are ratios
    of sums in every group (see mail.journey.ratio.mixin)."""

    _name = "mail.journey.report"
    _description = "Journey Performance"
    _inherit = ["mail.journey.ratio.mixin"]
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "trace_id"
    _ratios = {
        "delivery_rate": ("delivered", "sent", 100.0),
        "open_rate": ("opened", "delivered", 100.0),
        "click_rate": ("clicked", "delivered", 100.0),
        "reply_rate": ("replied", "delivered", 100.0),
        "bounce_rate": ("bounced", "sent", 100.0),
        "unsubscribe_rate": ("unsubscribed", "delivered", 100.0),
        "conversion_rate": ("converted", "enrolled", 100.0),
    }

    # what ran
    trace_id = fields.Many2one("mail.journey.trace", string="Step Execution", readonly=True)
    journey_id = fields.Many2one("mail.journey", readonly=True)
    step_id = fields.Many2one("mail.journey.step", readonly=True)
    step_action = fields.Selection(
        selection="_selection_step_action", string="Action", readonly=True
    )
    channel = fields.Selection(
        selection="_selection_channel",
        readonly=True,
        help="How the step reached the customer; empty for the steps that send nothing "
        "(activities, waits, stage changes).",
    )
    state = fields.Selection(selection="_selection_state", string="Status", readonly=True)
    template_id = fields.Many2one("mail.template", string="Email Template", readonly=True)
    variant_id = fields.Many2one("mail.journey.step.variant", readonly=True)
    segment_id = fields.Many2one(
        "mail.journey.segment",
        readonly=True,
        help="The segment that chose the email's variant, else the segment the step is "
        "restricted to.",
    )
    enrollment_id = fields.Many2one("mail.journey.enrollment", readonly=True)
    reply_intent_id = fields.Many2one(
        "mail.journey.reply.intent",
        readonly=True,
        help="What the customer's last reply to the email says (empty without a reply).",
    )
    date = fields.Datetime(
        readonly=True, help="When the step ran, or when it is scheduled if it did not run yet."
    )
    # for whom
    lead_id = fields.Many2one("crm.lead", string="Lead/Opportunity", readonly=True)
    order_id = fields.Many2one("sale.order", string="Sales Order", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    stage_id = fields.Many2one(
        "mail.journey.stage",
        string="Journey Stage",
        readonly=True,
        help="The current journey stage of the lead (of the order's opportunity).",
    )
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    source_id = fields.Many2one("utm.source", readonly=True)
    medium_id = fields.Many2one("utm.medium", readonly=True)
    campaign_id = fields.Many2one("utm.campaign", readonly=True)
    industry_id = fields.Many2one("res.partner.industry", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    is_converted = fields.Boolean(
        string="Converted Enrollment",
        readonly=True,
        help="The enrollment's lead is won, or an order of it was confirmed after it entered "
        "the journey (on every step of the enrollment, for filtering).",
    )
    # email measures: 0 or 1 per row
    sent = fields.Integer(readonly=True, aggregator="sum")
    delivered = fields.Integer(readonly=True, aggregator="sum")
    opened = fields.Integer(readonly=True, aggregator="sum")
    clicked = fields.Integer(readonly=True, aggregator="sum")
    replied = fields.Integer(readonly=True, aggregator="sum")
    bounced = fields.Integer(readonly=True, aggregator="sum")
    unsubscribed = fields.Integer(readonly=True, aggregator="sum")
    # enrollment measures: on the first trace of each enrollment only
    enrolled = fields.Integer(readonly=True, aggregator="sum")
    converted = fields.Integer(readonly=True, aggregator="sum")
    revenue = fields.Monetary(
        readonly=True,
        aggregator="sum",
        currency_field="currency_id",
        help="Untaxed amount of the orders confirmed since the record entered the journey, "
        "in the company's currency.",
    )
    # rates (%): ratios of the sums above, computed per group
    delivery_rate = fields.Float(
        string="Delivery Rate (%)", digits=(16, 1), readonly=True, aggregator="sum"
    )
    open_rate = fields.Float(
        string="Open Rate (%)", digits=(16, 1), readonly=True, aggregator="sum"
    )
    click_rate = fields.Float(
        string="Click Rate (%)", digits=(16, 1), readonly=True, aggregator="sum"
    )
    reply_rate = fields.Float(
        string="Reply Rate (%)", digits=(16, 1), readonly=True, aggregator="sum"
    )
    bounce_rate = fields.Float(
        string="Bounce Rate (%)", digits=(16, 1), readonly=True, aggregator="sum"
    )
    unsubscribe_rate = fields.Float(
        string="Unsubscribe Rate (%)", digits=(16, 1), readonly=True, aggregator="sum"
    )
    conversion_rate = fields.Float(
        string="Conversion Rate (%)", digits=(16, 1), readonly=True, aggregator="sum"
    )

    @api.model
    def _selection_step_action(self):
        # the step's own list, so that new actions show here too
        return self.env["mail.journey.step"]._fields["action"]._description_selection(self.env)

    @api.model
    def _selection_channel(self):
        return [("email", self.env._("Email"))]

    @api.model
    def _channel_by_step_action(self):
        """{step action: channel} of the steps that send a message; a bridge
        with another channel adds its step action and its channel (and the
        channel to ``_selection_channel``)."""
        return {"email": "email"}

    @api.model
    def _selection_state(self):
        return self.env["mail.journey.trace"]._fields["state"]._description_selection(self.env)

    # ------------------------------------------------------------
    # VIEW
    # ------------------------------------------------------------

    def init(self):
        self._create_ratio_view()

    def _base_query(self):
        return SQL("%s %s", self._select(), self._from())

    def _select(self):
        sent = SQL(
            "trace.step_action = 'email' AND trace.state = 'done'"
            " AND trace.mail_message_id IS NOT NULL"
        )
        converted = SQL("(lead.won_status = 'won' OR sales.order_count > 0)")
        return SQL(
            """
            SELECT
                trace.id AS id,
                trace.id AS trace_id,
                trace.journey_id AS journey_id,
                trace.step_id AS step_id,
                trace.step_action AS step_action,
                CASE trace.step_action %(channels)s END AS channel,
                trace.state AS state,
                COALESCE(variant.template_id, step.mail_template_id) AS template_id,
                trace.variant_id AS variant_id,
                COALESCE(variant.segment_id, step.segment_id) AS segment_id,
                trace.enrollment_id AS enrollment_id,
                trace.reply_intent_id AS reply_intent_id,
                COALESCE(trace.date_done, trace.schedule_date) AS date,
                enrollment.lead_id AS lead_id,
                enrollment.order_id AS order_id,
                trace.partner_id AS partner_id,
                lead.journey_stage_id AS stage_id,
                CASE WHEN enrollment.res_model = 'sale.order'
                     THEN sale_order.user_id ELSE lead.user_id END AS user_id,
                CASE WHEN enrollment.res_model = 'sale.order'
                     THEN sale_order.team_id ELSE lead.team_id END AS team_id,
                trace.company_id AS company_id,
                company.currency_id AS currency_id,
                COALESCE(lead.source_id, sale_order.source_id) AS source_id,
                COALESCE(lead.medium_id, sale_order.medium_id) AS medium_id,
                COALESCE(lead.campaign_id, sale_order.campaign_id) AS campaign_id,
                COALESCE(lead_partner.industry_id, order_partner.industry_id) AS industry_id,
                COALESCE(lead.country_id, order_partner.country_id) AS country_id,
                COALESCE(%(converted)s, FALSE) AS is_converted,
                CASE WHEN %(sent)s THEN 1 ELSE 0 END AS sent,
                CASE WHEN %(sent)s AND trace.bounce_datetime IS NULL
                     THEN 1 ELSE 0 END AS delivered,
                CASE WHEN trace.open_datetime IS NOT NULL THEN 1 ELSE 0 END AS opened,
                CASE WHEN trace.click_datetime IS NOT NULL THEN 1 ELSE 0 END AS clicked,
                CASE WHEN trace.reply_datetime IS NOT NULL THEN 1 ELSE 0 END AS replied,
                CASE WHEN trace.bounce_datetime IS NOT NULL THEN 1 ELSE 0 END AS bounced,
                CASE WHEN trace.unsubscribe_datetime IS NOT NULL
                     THEN 1 ELSE 0 END AS unsubscribed,
                CASE WHEN trace.is_first THEN 1 ELSE 0 END AS enrolled,
                CASE WHEN trace.is_first AND %(converted)s THEN 1 ELSE 0 END AS converted,
                CASE WHEN trace.is_first THEN COALESCE(sales.revenue, 0) ELSE 0 END AS revenue
            """,
            sent=sent,
            converted=converted,
            channels=SQL(" ").join(
                SQL("WHEN %s THEN %s", action, channel)
                for action, channel in self._channel_by_step_action().items()
            ),
        )

    def _from(self):
        return SQL(
            """
              FROM (
                -- the enrollment measures go on the first trace of each
                -- enrollment; partitioned by company and journey too (they
                -- follow the enrollment) so that filters on them are applied
                -- before the window, through the trace indexes
                SELECT id, enrollment_id, journey_id, step_id, step_action, state, company_id,
                       partner_id, schedule_date, date_done, mail_message_id, open_datetime,
                       click_datetime, reply_datetime, bounce_datetime, unsubscribe_datetime,
                       variant_id, reply_intent_id,
                       id = MIN(id) OVER (
                           PARTITION BY company_id, journey_id, enrollment_id
                       ) AS is_first
                  FROM mail_journey_trace
                   ) AS trace
              JOIN mail_journey_enrollment enrollment ON enrollment.id = trace.enrollment_id
              JOIN mail_journey_step step ON step.id = trace.step_id
         LEFT JOIN mail_journey_step_variant variant ON variant.id = trace.variant_id
         LEFT JOIN res_company company ON company.id = trace.company_id
         LEFT JOIN crm_lead lead ON lead.id = enrollment.lead_id
         LEFT JOIN res_partner lead_partner ON lead_partner.id = lead.partner_id
         LEFT JOIN sale_order ON sale_order.id = enrollment.order_id
         LEFT JOIN res_partner order_partner ON order_partner.id = sale_order.partner_id
        CROSS JOIN LATERAL (
                -- orders confirmed since the record entered the journey: the
                -- enrolled order itself, or any order of the enrolled lead
                SELECT COUNT(*) AS order_count,
                       SUM(confirmed.amount_untaxed
                           / CASE COALESCE(confirmed.currency_rate, 0)
                                 WHEN 0 THEN 1.0 ELSE confirmed.currency_rate END) AS revenue
                  FROM sale_order confirmed
                 WHERE confirmed.state = 'sale'
                   AND confirmed.date_order >= enrollment.date_start
                   AND (confirmed.id = enrollment.order_id
                        OR confirmed.opportunity_id = enrollment.lead_id)
           ) AS sales
            """
        )
