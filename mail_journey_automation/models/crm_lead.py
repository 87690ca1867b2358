from datetime import timedelta

from odoo import api, fields, models, tools
from odoo.fields import Domain
from odoo.tools import SQL

ENGAGEMENT_FIELDS = [
    "journey_open_count",
    "journey_click_count",
    "journey_reply_count",
    "journey_bounce_count",
    "journey_last_engagement_date",
    "journey_last_click_date",
    "journey_last_reply_date",
    "journey_engagement_score",
]


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "mail.journey.record.mixin"]

    def _default_journey_stage_id(self):
        return self.env["mail.journey.stage"].search([], limit=1)

    journey_stage_id = fields.Many2one(
        "mail.journey.stage",
        index=True,
        tracking=True,
        copy=False,
        ondelete="restrict",
        default=lambda self: self._default_journey_stage_id(),
        group_expand="_read_group_expand_journey_stage_ids",
    )
    journey_stage_date = fields.Datetime(
        string="In Journey Stage Since",
        readonly=True,
        copy=False,
        help="When the lead entered its current journey stage.",
    )
    journey_stage_log_ids = fields.One2many(
        "mail.journey.stage.log", "lead_id", string="Journey Stage History", readonly=True
    )

    # engagement with journey emails, from the event log (people only)
    journey_event_ids = fields.One2many(
        "mail.journey.event", "lead_id", string="Engagement Events", readonly=True
    )
    journey_open_count = fields.Integer(
        default=0,
        string="Email Opens",
        readonly=True,
        copy=False,
        help="Opens by a person; brought up to date every minute.",
    )
    journey_click_count = fields.Integer(
        default=0,
        string="Email Clicks",
        readonly=True,
        copy=False,
        help="Clicks by a person; brought up to date every minute.",
    )
    journey_reply_count = fields.Integer(
        default=0, string="Email Replies", readonly=True, copy=False
    )
    journey_bounce_count = fields.Integer(
        default=0, string="Email Bounces", readonly=True, copy=False
    )
    journey_last_engagement_date = fields.Datetime(
        string="Last Engagement", readonly=True, copy=False
    )
    journey_last_click_date = fields.Datetime(string="Last Click", readonly=True, copy=False)
    journey_last_reply_date = fields.Datetime(string="Last Reply", readonly=True, copy=False)
    journey_engagement_score = fields.Float(
        string="Engagement Score",
        digits=(16, 1),
        default=0,
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Weighted opens, clicks, replies and external events, each worth half as much "
        "after every half-life (weights in Settings); opens and clicks count within a minute.",
    )
    journey_engagement_level = fields.Selection(
        [("cold", "Cold"), ("warm", "Warm"), ("hot", "Hot")],
        string="Engagement Level",
        default="cold",
        readonly=True,
        copy=False,
        index=True,
        help="The engagement score in three levels (thresholds in Settings), a value "
        "predictive lead scoring can learn from: add it to the lead scoring fields in the "
        "CRM settings.",
    )
    journey_engagement_tooltip = fields.Char(
        string="Engagement Details",
        compute="_compute_journey_engagement_tooltip",
        help="The engagement score behind the level, shown as the tooltip of the level badge.",
    )
    journey_human_event_ids = fields.One2many(
        "mail.journey.event",
        "lead_id",
        string="Engagement Timeline",
        domain=[("is_machine", "=", False)],
        readonly=True,
        help="What the customer did, without the opens and clicks of privacy proxies "
        "and security scanners.",
    )
    journey_quotation_id = fields.Many2one(
        "sale.order",
        string="Latest Quotation",
        compute="_compute_journey_quotation_id",
        help="The lead's latest quotation or order not cancelled, for journey email templates "
        "(e.g. {{ object.journey_quotation_id.name }}).",
    )

    # consent, for jurisdictions that require opt-in
    journey_consent = fields.Boolean(
        string="Consent to Emails",
        tracking=True,
        copy=False,
        help="The contact agreed to receive marketing emails (journeys that require "
        "consent only mail such contacts).",
    )
    journey_consent_date = fields.Datetime(string="Consent Date", copy=False)
    journey_consent_source = fields.Char(
        string="Consent Source", copy=False, help="Where the consent was given, e.g. a web form."
    )

    # segmentation and after-sales
    journey_birthday = fields.Date(
        string="Birthday",
        help="The contact's birthday, for yearly greetings (trigger 'Yearly date').",
    )
    # segmentation, which website forms can collect (website bridge)
    journey_company_size = fields.Selection(
        [
            ("1_10", "1-10 employees"),
            ("11_50", "11-50 employees"),
            ("51_200", "51-200 employees"),
            ("201_1000", "201-1000 employees"),
            ("1000_plus", "More than 1000 employees"),
        ],
        string="Company Size",
        tracking=True,
    )
    journey_industry_id = fields.Many2one(
        "res.partner.industry", string="Industry", index="btree_not_null", tracking=True
    )
    journey_interest_ids = fields.Many2many(
        "mail.journey.interest",
        string="Interest",
        help="What the contact is interested in (products, services, topics), "
        "for journey audiences, conditions and personalised emails.",
    )

    @api.depends("journey_engagement_score", "journey_engagement_level")
    @api.depends_context("lang")
    def _compute_journey_engagement_tooltip(self):
        levels = dict(self._fields["journey_engagement_level"]._description_selection(self.env))
        for lead in self:
            lead.journey_engagement_tooltip = self.env._(
                "%(level)s: engagement score %(score)s (thresholds in Settings)",
                level=levels.get(lead.journey_engagement_level, ""),
                score=tools.formatLang(self.env, lead.journey_engagement_score, digits=1),
            )

    @api.depends("order_ids.state", "order_ids.date_order")
    def _compute_journey_quotation_id(self):
        for lead in self:
            orders = lead.order_ids.filtered(lambda order: order.state != "cancel")
            lead.journey_quotation_id = orders.sorted("date_order", reverse=True)[:1]

    @api.model
    def _read_group_expand_journey_stage_ids(self, stages, domain):
        return stages.search([("active", "=", True)])

    @api.model_create_multi
    def create(self, vals_list):
        now = fields.Datetime.now()
        for vals in vals_list:
            vals.setdefault("journey_stage_date", now)
        leads = super().create(vals_list)
        # the stage history is bookkeeping: users read it, only the system writes it
        self.env["mail.journey.stage.log"].sudo()._log_stages(leads, now)
        Journey = self.env["mail.journey"]
        Journey._enroll_on_event(leads, "create")
        for stage, stage_leads in leads.grouped("journey_stage_id").items():
            if stage:
                Journey._enroll_on_event(stage_leads, "journey_stage", stage_id=stage.id)
        return leads

    def write(self, vals):
        moved = changed_stage = self.browse()
        if vals.get("journey_stage_id"):
            moved = self.filtered(lambda lead: lead.journey_stage_id.id != vals["journey_stage_id"])
        if vals.get("stage_id"):
            changed_stage = self.filtered(lambda lead: lead.stage_id.id != vals["stage_id"])
        result = super().write(vals)
        if moved:
            now = fields.Datetime.now()
            moved.journey_stage_date = now
            # the stage history is bookkeeping: users read it, only the system writes it
            self.env["mail.journey.stage.log"].sudo()._log_stages(moved, now)
        Journey = self.env["mail.journey"]
        Journey._enroll_on_event(moved, "journey_stage", stage_id=vals.get("journey_stage_id"))
        Journey._enroll_on_event(changed_stage, "crm_stage", crm_stage_id=vals.get("stage_id"))
        return result

    def action_view_journey_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mail_journey_automation.action_mail_journey_event"
        )
        action["domain"] = [("lead_id", "=", self.id)]
        # the lead's timeline in a salesperson's words, people's actions only
        action["views"] = [
            (
                self.env.ref("mail_journey_automation.view_mail_journey_event_list_timeline").id,
                "list",
            ),
            (False, "form"),
        ]
        action["context"] = {"search_default_filter_human": 1}
        action["display_name"] = self.env._("Engagement of %(lead)s", lead=self.display_name)
        return action

    def _update_journey_engagement(self):
        """Recompute the engagement counters, dates and score of the leads
        from their event log, in one query."""
        if not self:
            return
        weights = self.env["res.config.settings"]._get_journey_score_weights()
        self.env["mail.journey.event"].flush_model()
        self.env.cr.execute(
            SQL(
                """
            UPDATE crm_lead lead
               SET journey_open_count = COALESCE(stats.opens, 0),
                   journey_click_count = COALESCE(stats.clicks, 0),
                   journey_reply_count = COALESCE(stats.replies, 0),
                   journey_bounce_count = COALESCE(stats.bounces, 0),
                   journey_last_engagement_date = stats.last_engagement,
                   journey_last_click_date = stats.last_click,
                   journey_last_reply_date = stats.last_reply,
                   journey_engagement_score = ROUND(COALESCE(stats.score, 0)::numeric, 1)
              FROM unnest(%(ids)s::int[]) AS target(id)
         LEFT JOIN (
                SELECT lead_id,
                       COUNT(*) FILTER (WHERE type = 'open') AS opens,
                       COUNT(*) FILTER (WHERE type = 'click') AS clicks,
                       COUNT(*) FILTER (WHERE type = 'reply') AS replies,
                       COUNT(*) FILTER (WHERE type = 'bounce') AS bounces,
                       MAX(date) FILTER (WHERE type IN ('open', 'click', 'reply', 'external'))
                           AS last_engagement,
                       MAX(date) FILTER (WHERE type = 'click') AS last_click,
                       MAX(date) FILTER (WHERE type = 'reply') AS last_reply,
                       SUM(
                           CASE type WHEN 'open' THEN %(open)s
                                     WHEN 'click' THEN %(click)s
                                     WHEN 'reply' THEN %(reply)s
                                     WHEN 'external' THEN %(external)s
                                     WHEN 'bounce' THEN %(bounce)s
                                     WHEN 'unsubscribe' THEN %(unsubscribe)s
                                     ELSE 0 END
                           * POWER(0.5, EXTRACT(EPOCH FROM (%(now)s - date)) / 86400.0
                                        / %(half_life)s)
                       ) AS score
                  FROM mail_journey_event
                 WHERE lead_id = ANY(%(ids)s) AND is_machine IS NOT TRUE
              GROUP BY lead_id
              ) stats ON stats.lead_id = target.id
             WHERE lead.id = target.id
                """,
                ids=self.ids,
                now=fields.Datetime.now(),
                **weights,
            )
        )
        self.invalidate_recordset(ENGAGEMENT_FIELDS)
        self._update_journey_engagement_level()

    def _update_journey_engagement_level(self):
        """Set the engagement level from the score, through the ORM so that
        predictive lead scoring recomputes the probabilities that use it."""
        thresholds = self.env["res.config.settings"]._get_journey_level_thresholds()

        def level(lead):
            score = lead.journey_engagement_score
            return (
                "hot"
                if score >= thresholds["hot"]
                else "warm"
                if score >= thresholds["warm"]
                else "cold"
            )

        for new_level, leads in self.grouped(level).items():
            leads.filtered(
                lambda lead, new_level=new_level: lead.journey_engagement_level != new_level
            ).journey_engagement_level = new_level

    @api.model
    def _cron_decay_journey_scores(self):
        """Let engagement scores decay with time, in committed batches."""
        leads = self.with_context(active_test=False).search([("journey_engagement_score", "!=", 0)])
        for batch in tools.split_every(1000, leads.ids, self.browse):
            batch._update_journey_engagement()
            if not self.env["ir.cron"]._commit_progress(len(batch)):
                break

    @api.model
    def _journey_get_due_for_care(self):
        """The leads delivered long enough ago to enter long-term care."""
        domain = self._journey_get_care_domain(fields.Datetime.now())
        return self.browse() if domain.is_false() else self.search(domain)

    @api.model
    def _cron_journey_long_term_care(self, batch_size=500):
        """Move the leads delivered long enough ago to the long-term care
        stage, in committed batches."""
        leads = self._journey_get_due_for_care()
        remaining = len(leads)
        for batch in tools.split_every(batch_size, leads.ids, self.browse):
            batch._journey_advance_lifecycle("care")
            remaining -= len(batch)
            if not self.env["ir.cron"]._commit_progress(len(batch), remaining=remaining):
                break

    @api.onchange("journey_consent")
    def _onchange_journey_consent(self):
        if self.journey_consent and not self.journey_consent_date:
            self.journey_consent_date = fields.Datetime.now()

    def _handle_won_lost(self, old_status_by_lead, new_status_by_lead):
        result = super()._handle_won_lost(old_status_by_lead, new_status_by_lead)
        closed = self.filtered(
            lambda lead: any(
                new_status_by_lead.get(lead.id, {}).get(status)
                and not old_status_by_lead.get(lead.id, {}).get(status)
                for status in ("is_won", "is_lost")
            )
        )
        if closed:
            # B2B: the journeys of the company's other contacts follow their
            # policy, in the company of the deal (a lead of no company: the
            # company the user works in)
            keys = closed._journey_get_account_keys()
            accounts = {
                ((lead.company_id or self.env.company).id, keys[lead.id])
                for lead in closed
                if keys[lead.id]
            }
            self.env["mail.journey.enrollment"]._journey_apply_account_policy(
                accounts, "deal", set(closed.ids)
            )
        return result

    def _journey_consent_domain(self):
        return [("journey_consent", "=", True)]

    def _journey_get_emails(self):
        return {lead.id: lead.email_normalized for lead in self}

    def _journey_get_bounce_counts(self):
        return {lead.id: lead.message_bounce for lead in self}

    def _journey_set_stage(self, stage):
        self.filtered(lambda lead: lead.journey_stage_id != stage).journey_stage_id = stage

    def _journey_advance_lifecycle(self, event):
        """Move the leads to the journey stage reached on the sales ``event``
        (a ``mail.journey.stage.lifecycle_event``), when their company syncs
        the lifecycle. Stages never move backwards: a lead already in that
        stage or a later one stays.

        :return: the leads moved
        """
        # the lifecycle follows the sales documents whoever handles them (an
        # accountant posting the invoice, a warehouse user validating the
        # delivery), whatever their rights on the lead
        leads = self.sudo()
        stage = leads.env["mail.journey.stage"].search([("lifecycle_event", "=", event)], limit=1)
        if not stage:
            return self.browse()
        key = (stage.sequence, stage.id)
        leads = leads.filtered(
            lambda lead: (lead.company_id or self.env.company).journey_lifecycle_sync
            and (
                not lead.journey_stage_id
                or (lead.journey_stage_id.sequence, lead.journey_stage_id.id) < key
            )
        )
        leads._journey_set_stage(stage)
        return self.browse(leads.ids)

    def _journey_get_care_domain(self, now):
        """Leads in the delivery stage for longer than their company's
        long-term care delay."""
        delivery = self.env["mail.journey.stage"].search(
            [("lifecycle_event", "=", "delivery")], limit=1
        )
        if not delivery:
            return Domain.FALSE
        companies = self.env["res.company"].search([("journey_lifecycle_sync", "=", True)])
        by_company = [
            Domain("company_id", "=", company.id)
            & Domain("journey_stage_date", "<=", now - timedelta(days=company.journey_care_days))
            for company in companies
        ]
        if self.env.company in companies:
            # leads without a company follow the current (main) company
            by_company.append(
                Domain("company_id", "=", False)
                & Domain(
                    "journey_stage_date",
                    "<=",
                    now - timedelta(days=self.env.company.journey_care_days),
                )
            )
        return Domain("journey_stage_id", "=", delivery.id) & Domain.OR(by_company)

    def _journey_get_orders(self):
        return self.order_ids.filtered(lambda order: order.state != "cancel")

    def _journey_contact_name(self):
        return (self.contact_name or "").strip() or super()._journey_contact_name()

    def _journey_customer_company(self):
        return (self.partner_name or "").strip() or super()._journey_customer_company()
