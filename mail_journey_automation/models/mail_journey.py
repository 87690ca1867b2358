import logging
from datetime import datetime, timedelta

import pytz
from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import Command, api, fields, models, tools
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL

from ..tools.intervals import INTERVAL_UNITS, interval_delta
from ..tools.stored_domain import NotLiteralDomainError, StoredDomainError, parse_stored_domain

_logger = logging.getLogger(__name__)

# enrollments still in their journey (a paused one holds its steps)
ACTIVE_STATES = ("running", "paused")
# enrollments created per batch; past one batch, the cache is dropped after
# each, so that enrolling a large audience takes bounded memory
ENROLL_BATCH_SIZE = 1000
MONTHS = [
    ("1", "January"),
    ("2", "February"),
    ("3", "March"),
    ("4", "April"),
    ("5", "May"),
    ("6", "June"),
    ("7", "July"),
    ("8", "August"),
    ("9", "September"),
    ("10", "October"),
    ("11", "November"),
    ("12", "December"),
]
# what the journeys of a company's other contacts do when one of them acts
ACCOUNT_POLICIES = [
    ("continue", "Continue"),
    ("pause", "Pause"),
    ("stop", "Stop"),
]
# flow view: the icon of each step action, the kind of each branching trigger
FLOW_ICONS = {
    "email": "fa-envelope",
    "activity": "fa-phone",
    "server_action": "fa-cogs",
    "set_stage": "fa-flag",
    "exit": "fa-sign-out",
}
FLOW_BRANCHES = {
    "opened": "positive",
    "clicked": "positive",
    "replied": "positive",
    "replied_intent": "positive",
    "bounced": "negative",
    "not_opened": "negative",
    "not_clicked": "negative",
    "not_replied": "negative",
    "event": "event",
}


class MailJourney(models.Model):
    _name = "mail.journey"
    _description = "Customer Journey"
    _inherit = ["mail.thread"]
    _order = "sequence, id"

    # identity
    name = fields.Char(required=True, translate=True, tracking=True)
    active = fields.Boolean(default=True)
    is_template = fields.Boolean(
        string="Ready-made",
        copy=False,
        help="A ready-made journey: it never runs itself; 'Use Template' copies it, "
        "with its steps and email templates, into a new draft journey to adapt.",
    )
    sequence = fields.Integer(default=10)
    color = fields.Integer()
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("running", "Running"),
            ("paused", "Paused"),
            ("stopped", "Stopped"),
        ],
        default="draft",
        required=True,
        copy=False,
        tracking=True,
    )
    description = fields.Text(translate=True)
    # the ready-made gallery
    summary = fields.Char(string="Goal", translate=True, help="One line: what the journey is for.")
    playbook_id = fields.Many2one(
        "mail.journey.playbook",
        index="btree_not_null",
        copy=False,
        ondelete="set null",
        help="The playbook this ready-made journey belongs to: 'Use Playbook' copies all "
        "the journeys of the playbook at once.",
    )
    email_preview = fields.Text(
        string="Emails",
        compute="_compute_email_preview",
        help="The subjects of the first emails of the journey.",
    )
    # audience
    model = fields.Selection(
        selection="_selection_model", string="Applies to", required=True, default="crm.lead"
    )
    domain = fields.Char(
        string="Audience",
        default="[]",
        help="Only records matching this filter enter the journey.",
    )
    # entry
    trigger = fields.Selection(
        selection="_selection_trigger",
        required=True,
        default="manual",
        tracking=True,
    )
    stage_id = fields.Many2one(
        "mail.journey.stage",
        string="Journey Stage",
        index=True,
        help="The stage this journey serves: with the trigger 'Enters the journey "
        "stage', records moved to it enter the journey.",
    )
    crm_stage_id = fields.Many2one(
        "crm.stage",
        string="CRM Stage",
        help="Enroll when the lead reaches this CRM stage (any stage change when empty).",
    )
    order_state = fields.Selection(
        [
            ("sent", "Quotation sent"),
            ("sale", "Order confirmed"),
            ("cancel", "Order cancelled"),
        ],
        string="Order Status",
    )
    external_event = fields.Char(
        string="External Event Name",
        help="Enroll the lead when a tool reports this event for it "
        "(e.g. whatsapp_inquiry), through the journey events endpoint.",
    )
    date_field_id = fields.Many2one(
        "ir.model.fields",
        ondelete="cascade",
        domain="[('model', '=', model), ('ttype', 'in', ('date', 'datetime')), ('store', '=', True)]",
    )
    date_offset = fields.Integer(
        string="Offset",
        help="Enroll this long after the date (negative: before it). Reorder: after the "
        "customer's usual reorder date (negative: before it). Win-back: after the last "
        "confirmed order.",
    )
    date_offset_unit = fields.Selection(
        INTERVAL_UNITS[1:], string="Offset Unit", default="days", required=True
    )
    fixed_month = fields.Selection(MONTHS, string="Month")
    fixed_day = fields.Integer(
        string="Day",
        help="Every year on this day (00:00 UTC), every record of the audience enters the "
        "journey, e.g. for season's greetings. 29 February only happens in leap years.",
    )
    date_checked = fields.Datetime(
        string="Dates Checked Until",
        copy=False,
        readonly=True,
        help="Date triggers enrolled every record whose date was reached before this moment.",
    )
    quotation_signal = fields.Selection(
        selection="_selection_quotation_signal",
        help="Enroll the orders (or the leads of the orders) that show this signal; checked "
        "every hour.",
    )
    quotation_signal_number = fields.Integer(
        string="N", default=3, help="The number of days or of views of the signal."
    )
    reentry = fields.Selection(
        [
            ("once", "Once ever"),
            ("not_running", "Again, when not already running"),
            ("after_days", "Again, after a number of days"),
        ],
        string="Re-entry",
        required=True,
        default="not_running",
    )
    reentry_days = fields.Integer(string="Re-entry After (days)", default=30)
    # exit
    goal_domain = fields.Char(
        string="Exit Goal",
        help="A running enrollment whose record matches this filter is completed "
        "by goal, before any further step.",
    )
    exit_on_reply = fields.Boolean(
        string="Exit When Replied",
        help="A person's reply to any email of the journey completes the enrollment "
        "(automatic answers such as out-of-office do not count).",
    )
    reply_stage_id = fields.Many2one(
        "mail.journey.stage",
        string="Stage When Replied",
        help="Move the record to this journey stage when the customer replies to a "
        "journey email (e.g. from Need exploration straight to Proposal & quotation).",
    )
    # what the journey does with what a reply says (mail.journey.reply)
    reply_act_unsubscribe = fields.Boolean(
        string="Unsubscribe on Request",
        default=True,
        help='A reply asking to stop ("please remove me", "退订") blacklists the address '
        "and ends its journeys, as the unsubscribe link does.",
    )
    reply_act_pause = fields.Boolean(
        string="Pause When Away or Later",
        default=True,
        help='An out-of-office notice, or a reply saying "not now", pauses the record\'s '
        "journeys until the date it gives (else for the days below); they resume on their own.",
    )
    reply_pause_days = fields.Integer(
        string="Pause Without a Date (days)",
        default=7,
        help='How long an out-of-office or "not now" reply pauses when it gives no date.',
    )
    reply_quotation_stage_id = fields.Many2one(
        "mail.journey.stage",
        string="Stage When Asking for a Quote",
        default=lambda self: self.env.ref(
            "mail_journey_automation.stage_proposal", raise_if_not_found=False
        ),
        help="A reply giving requirements or asking for a price moves the record to this "
        "stage (which starts its journeys) and gives the salesperson an activity. "
        "Empty: only the activity.",
    )
    reply_act_referral = fields.Boolean(
        string="Propose Referred Contacts",
        default=True,
        help='A reply saying "I\'m not the right person, write to ..." gives the salesperson '
        "an activity to add that address as a contact.",
    )
    engagement_days = fields.Integer(
        string="Wait for Engagement (days)",
        default=14,
        help="Steps that wait for what the customer does with an email (opened, clicked, "
        "replied, bounced, external event) keep the record in the journey this long "
        "after the email.",
    )
    end_stage_id = fields.Many2one(
        "mail.journey.stage",
        string="Stage When Completed",
        help="Move the record to this journey stage when its journey completes.",
    )
    # sending
    mail_server_id = fields.Many2one("ir.mail_server", string="Outgoing Mail Server")
    mail_server_ids = fields.Many2many(
        "ir.mail_server",
        string="Mail Server Pool",
        help="High-volume journeys: their emails go out through these servers in rotation "
        "(e.g. dedicated IPs). Empty: the outgoing mail server above.",
    )
    max_per_hour = fields.Integer(
        string="Max Emails per Hour",
        help="Throughput limit of this journey (IP warm-up, provider limits); 0: no limit "
        "besides the global one. Emails over the limit wait for the next hour.",
    )
    window_calendar = fields.Boolean(
        string="Respect Working Calendar",
        help="Send only within the company's working hours, skipping its public holidays.",
    )
    consent_required = fields.Boolean(
        string="Only Contacts Who Gave Consent",
        help="For jurisdictions that require opt-in: only leads (or the opportunities of "
        "orders) with the consent box ticked enter the journey and receive its emails.",
    )
    window_enabled = fields.Boolean(
        string="Send Window",
        help="Send emails only in these hours and weekdays, in the recipient's time zone "
        "(the customer's, else the salesperson's, else the company's).",
    )
    window_hour_from = fields.Float(string="From", default=9.0)
    window_hour_to = fields.Float(string="To", default=18.0)
    window_mon = fields.Boolean(string="Monday", default=True)
    window_tue = fields.Boolean(string="Tuesday", default=True)
    window_wed = fields.Boolean(string="Wednesday", default=True)
    window_thu = fields.Boolean(string="Thursday", default=True)
    window_fri = fields.Boolean(string="Friday", default=True)
    window_sat = fields.Boolean(string="Saturday")
    window_sun = fields.Boolean(string="Sunday")
    send_time_optimization = fields.Boolean(
        string="Send-Time Optimisation",
        help="Send each email at the hour of day at which the recipient opened journey emails "
        "most often, when that hour is inside the send window; without such history, or "
        "outside the window, the email goes at its scheduled time.",
    )
    cap_day = fields.Integer(
        string="Max Emails per Day",
        help="At most this many journey emails (all journeys together) per recipient in 24 "
        "hours; 0 uses the global setting. The stricter limit wins.",
    )
    cap_week = fields.Integer(
        string="Max Emails per Week",
        help="At most this many journey emails (all journeys together) per recipient in 7 "
        "days; 0 uses the global setting. The stricter limit wins.",
    )
    # B2B selling: the salesperson in the loop
    approval_expiry = fields.Selection(
        [("escalate", "Escalate to the team leader"), ("send", "Send as prepared")],
        string="Approvals Left Undone",
        default="escalate",
        required=True,
        help="What happens to an email waiting for the salesperson's approval past its "
        "deadline: it goes to the sales team leader, or it is sent as prepared.",
    )
    contact_pause_hours = fields.Integer(
        string="Pause After Personal Contact (hours)",
        default=72,
        help="When the salesperson emails the customer from the chatter or logs a call or "
        "meeting, the record's enrollments in this journey pause this long, so that no "
        "automated email lands on top of a personal one. 0: no pause.",
    )
    handoff_notify_leader = fields.Boolean(
        string="Notify Team Leader of Overdue Hand-offs",
        help="Activities created by this journey and left undone past their deadline are "
        "reported to the sales team leader, once, as an activity of their own.",
    )
    # B2B selling: coordination of the contacts of one company
    account_reply_policy = fields.Selection(
        ACCOUNT_POLICIES,
        string="When a Colleague Replies",
        default="continue",
        required=True,
        help="What this journey does with a contact when another contact of the same "
        "company (commercial entity, else business email domain) replies to a journey email.",
    )
    account_deal_policy = fields.Selection(
        ACCOUNT_POLICIES,
        string="When a Deal of the Company Is Won or Lost",
        default="continue",
        required=True,
        help="What this journey does with a contact when an opportunity of the same "
        "company is won or lost.",
    )
    cap_account_week = fields.Integer(
        string="Max Emails per Company per Week",
        help="At most this many journey emails (all journeys together) to the contacts of one "
        "company in 7 days; 0: no limit (a limit in Settings still applies). Emails over the "
        "limit wait for a free slot.",
    )
    cap_domain_week = fields.Integer(
        string="Max Emails per Email Domain per Week",
        help="At most this many journey emails (all journeys together) to the addresses of one "
        "business email domain in 7 days (free-mail domains excepted); 0: no limit.",
    )
    # B2B selling: measured lift
    holdout_percent = fields.Integer(
        string="Hold-out Share (%)",
        help="This share of the entrants, chosen deterministically from the record, goes "
        "through the journey without receiving its emails: the Impact and Lift report "
        "compares them with the others. 0: everyone is mailed.",
    )
    # content
    # steps are copied by copy(), which keeps their tree
    # "Step": the title of the step dialog ("Open: Step"); archived steps
    # (removed after they ran) are left out
    step_ids = fields.One2many("mail.journey.step", "journey_id")
    enrollment_ids = fields.One2many("mail.journey.enrollment", "journey_id")
    # statistics
    step_count = fields.Integer(compute="_compute_step_count")
    enrollment_count = fields.Integer(compute="_compute_statistics")
    running_count = fields.Integer(compute="_compute_statistics")
    completed_count = fields.Integer(compute="_compute_statistics")
    mail_sent_count = fields.Integer(string="Emails Sent", compute="_compute_statistics")
    delivery_rate = fields.Float(compute="_compute_rates", digits=(16, 1))
    open_rate = fields.Float(compute="_compute_rates", digits=(16, 1))
    click_rate = fields.Float(compute="_compute_rates", digits=(16, 1))
    reply_rate = fields.Float(compute="_compute_rates", digits=(16, 1))
    unsubscribe_rate = fields.Float(compute="_compute_rates", digits=(16, 1))
    conversion_rate = fields.Float(compute="_compute_rates", digits=(16, 1))
    revenue = fields.Monetary(
        string="Attributed Revenue",
        compute="_compute_rates",
        currency_field="currency_id",
        help="Untaxed amount of the orders confirmed by enrolled customers after they entered.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    lift_summary = fields.Html(
        string="Measured Lift",
        compute="_compute_lift_summary",
        sanitize=False,
        help="Treated entrants against the hold-out group, with 95% confidence intervals.",
    )

    _check_reentry_days = models.Constraint(
        "CHECK(reentry_days >= 0)", "The re-entry delay cannot be negative."
    )
    _check_window = models.Constraint(
        "CHECK(window_hour_from >= 0 AND window_hour_to <= 24 AND window_hour_from < window_hour_to)",
        "The send window must start before it ends, between 0:00 and 24:00.",
    )
    _check_caps = models.Constraint(
        "CHECK(cap_day >= 0 AND cap_week >= 0 AND max_per_hour >= 0)",
        "Email limits cannot be negative.",
    )
    _check_b2b_limits = models.Constraint(
        "CHECK(contact_pause_hours >= 0 AND cap_account_week >= 0 AND cap_domain_week >= 0 "
        "AND holdout_percent >= 0 AND holdout_percent <= 50)",
        "Pauses and company limits cannot be negative, and the hold-out share is between "
        "0 and 50%.",
    )
    _check_engagement_days = models.Constraint(
        "CHECK(engagement_days >= 0)", "The engagement wait cannot be negative."
    )

    # ------------------------------------------------------------
    # REGISTRIES: what journeys apply to and what starts them
    # (bridges extend these methods: super(), then their entries)
    # ------------------------------------------------------------

    @api.model
    def _get_journey_models(self):
        """The models journeys apply to: {model name: label}, in the order
        shown. A bridge adding a model also gives it what the engine asks of
        a journey record (see ``crm.lead`` and ``sale.order``)."""
        return {
            "crm.lead": self.env._("Lead/Opportunity"),
            "sale.order": self.env._("Sales Order"),
        }

    @api.model
    def _get_triggers(self):
        """The triggers that enroll records in a journey: {code: descriptor}.
        A descriptor holds:

        - ``name``: the label the manager chooses;
        - ``sequence``: its place in the list (entries of bridges slot in);
        - ``kind``: who enrolls the records: ``event`` (the code where it
          happens calls ``_enroll_on_event``), ``date`` (the hourly date
          cron, through ``method``), ``signal`` (the hourly quotation signal
          cron), ``manual`` (enrolled by hand), or the kind of a bridge's
          own cron;
        - ``models`` (optional): the only journey models it applies to;
        - ``method`` (checked kinds): the journey method returning the
          records whose trigger moment was reached in ]start, end];
        - ``yearly`` (optional): it comes once a year, on a day: a journey
          started today still catches today's.

        Stored journeys keep the code: a bridge that declares a trigger
        takes care, in its uninstall hook, of the journeys using it.
        """
        return {
            "create": {"name": self.env._("Record created"), "sequence": 10, "kind": "event"},
            "journey_stage": {
                "name": self.env._("Enters the journey stage"),
                "sequence": 20,
                "kind": "event",
            },
            "crm_stage": {
                "name": self.env._("CRM stage changes"),
                "sequence": 30,
                "kind": "event",
                "models": ["crm.lead"],
            },
            "order_state": {
                "name": self.env._("Sales order status changes"),
                "sequence": 40,
                "kind": "event",
                "models": ["sale.order"],
            },
            "date": {
                "name": self.env._("Date reached"),
                "sequence": 50,
                "kind": "date",
                "method": "_get_reached_dates",
            },
            "yearly": {
                "name": self.env._("Yearly date (anniversary)"),
                "sequence": 60,
                "kind": "date",
                "method": "_get_reached_anniversaries",
                "yearly": True,
            },
            "fixed_date": {
                "name": self.env._("Fixed date every year (holiday)"),
                "sequence": 70,
                "kind": "date",
                "method": "_get_reached_fixed_date",
                "yearly": True,
            },
            "repeat_purchase": {
                "name": self.env._("Customer due to reorder"),
                "sequence": 80,
                "kind": "date",
                "models": ["sale.order"],
                "method": "_get_reached_reorders",
            },
            "winback": {
                "name": self.env._("No order for a while (win-back)"),
                "sequence": 90,
                "kind": "date",
                "models": ["sale.order"],
                "method": "_get_reached_winbacks",
            },
            "external": {
                "name": self.env._("External event"),
                "sequence": 100,
                "kind": "event",
                "models": ["crm.lead"],
            },
            "manual": {"name": self.env._("Manual enrollment"), "sequence": 110, "kind": "manual"},
            "quotation_signal": {
                "name": self.env._("Quotation signal"),
                "sequence": 120,
                "kind": "signal",
            },
        }

    @api.model
    def _get_trigger_codes(self, kind):
        """The codes of the triggers of ``kind`` (e.g. ``date``)."""
        return [code for code, trigger in self._get_triggers().items() if trigger["kind"] == kind]

    @api.model
    def _get_date_triggers(self):
        """The codes of the triggers checked by the date cron."""
        return self._get_trigger_codes("date")

    @api.model
    def _selection_model(self):
        return list(self._get_journey_models().items())

    @api.model
    def _selection_trigger(self):
        triggers = sorted(self._get_triggers().items(), key=lambda item: item[1]["sequence"])
        return [(code, trigger["name"]) for code, trigger in triggers]

    @api.model
    def _selection_quotation_signal(self):
        signals = self.env["sale.order"]._journey_get_quotation_signals()
        return [(code, signal["name"]) for code, signal in signals.items()]

    @api.depends("step_ids")
    def _compute_step_count(self):
        for journey in self:
            journey.step_count = len(journey.step_ids)

    @api.depends("step_ids.action", "step_ids.mail_template_id.subject")
    def _compute_email_preview(self):
        for journey in self:
            steps = journey.step_ids.filtered(lambda step: step.action == "email")
            subjects = [step.mail_template_id.subject or step.name for step in steps[:3]]
            if len(steps) > 3:
                subjects.append(self.env._("and %(count)s more", count=len(steps) - 3))
            journey.email_preview = "\n".join(subjects) or False

    def _compute_statistics(self):
        Enrollment = self.env["mail.journey.enrollment"]
        by_state = Enrollment._read_group(
            [("journey_id", "in", self.ids)], ["journey_id", "state"], ["__count"]
        )
        counts = {}
        for journey, state, count in by_state:
            counts.setdefault(journey, {})[state] = count
        sent = dict(
            self.env["mail.journey.trace"]._read_group(
                [
                    ("journey_id", "in", self.ids),
                    ("state", "=", "done"),
                    ("step_action", "=", "email"),
                ],
                ["journey_id"],
                ["__count"],
            )
        )
        for journey in self:
            journey_counts = counts.get(journey, {})
            journey.enrollment_count = sum(journey_counts.values())
            journey.running_count = journey_counts.get("running", 0)
            journey.completed_count = journey_counts.get("completed", 0)
            journey.mail_sent_count = sent.get(journey, 0)

    def _compute_rates(self):
        rates = [
            "delivery_rate",
            "open_rate",
            "click_rate",
            "reply_rate",
            "unsubscribe_rate",
            "conversion_rate",
        ]
        self.env.flush_all()  # the report is a view over traces, leads and orders
        values = {
            journey: row
            for journey, *row in self.env["mail.journey.report"]._read_group(
                [("journey_id", "in", self.ids)],
                ["journey_id"],
                [f"{rate}:sum" for rate in rates] + ["revenue:sum"],
            )
        }
        for journey in self:
            row = values.get(journey, [0] * (len(rates) + 1))
            for rate, value in zip(rates, row, strict=False):
                journey[rate] = value
            journey.revenue = row[-1]

    def _compute_lift_summary(self):
        with_holdout = self.filtered("holdout_percent")
        (self - with_holdout).lift_summary = False
        if not with_holdout:
            return
        lifts = self.env["mail.journey.impact.report"]._get_lift(with_holdout)
        for journey in with_holdout:
            journey.lift_summary = journey._render_lift(lifts[journey])

    def _render_lift(self, lift):
        """The lift as an HTML table: treated, hold-out, difference and its
        95% confidence interval per metric."""
        self.ensure_one()

        def percent(value):
            return f"{value * 100:.1f}%"

        def money(value):
            return tools.format_amount(self.env, value, self.currency_id)

        rows = []
        for label, key, fmt in (
            (self.env._("Conversion"), "conversion", percent),
            (self.env._("Quotation-to-order rate"), "quotation_order", percent),
            (self.env._("Revenue per entrant"), "revenue_per_entrant", money),
        ):
            values = lift[key]
            cells = (
                [
                    fmt(values[0]),
                    fmt(values[1]),
                    fmt(values[2]),
                    f"{fmt(values[3])} … {fmt(values[4])}",
                ]
                if values
                else [self.env._("Not enough entrants yet")] * 4
            )
            rows.append(
                Markup("<tr><td>%s</td>%s</tr>")
                % (label, Markup().join(Markup("<td>%s</td>") % cell for cell in cells))
            )
        header = Markup().join(
            Markup("<th>%s</th>") % title
            for title in (
                "",
                self.env._("Treated (%(count)s)", count=lift["entrants"][0]),
                self.env._("Hold-out (%(count)s)", count=lift["entrants"][1]),
                self.env._("Difference"),
                self.env._("95% confidence interval"),
            )
        )
        return Markup(
            '<table class="table table-sm"><thead><tr>%s</tr></thead><tbody>%s</tbody></table>'
        ) % (
            header,
            Markup().join(rows),
        )

    @api.constrains("model", "domain", "goal_domain")
    def _check_domains(self):
        for journey in self:
            for field_name in ("domain", "goal_domain"):
                journey._get_domain(field_name)

    @api.constrains(
        "trigger",
        "stage_id",
        "order_state",
        "date_field_id",
        "model",
        "date_offset",
        "fixed_month",
        "fixed_day",
    )
    def _check_trigger(self):
        triggers = self._get_triggers()
        journey_models = self._get_journey_models()
        for journey in self:
            models_allowed = triggers.get(journey.trigger, {}).get("models")
            if models_allowed and journey.model not in models_allowed:
                raise ValidationError(
                    self.env._(
                        "The trigger '%(trigger)s' is only available on journeys applying to "
                        "%(models)s: choose another trigger, or make the journey apply to them.",
                        trigger=triggers[journey.trigger]["name"],
                        models=", ".join(journey_models.get(name, name) for name in models_allowed),
                    )
                )
            if journey.trigger == "journey_stage" and not journey.stage_id:
                raise ValidationError(
                    self.env._(
                        "Journey '%(journey)s' enrolls records entering a journey stage: "
                        "choose that stage.",
                        journey=journey.name,
                    )
                )
            if journey.trigger == "external" and not journey.external_event:
                raise ValidationError(
                    self.env._(
                        "The trigger 'External event' needs a journey on leads and the name "
                        "of the event (e.g. whatsapp_inquiry)."
                    )
                )
            if journey.trigger == "order_state" and not journey.order_state:
                raise ValidationError(
                    self.env._(
                        "The trigger 'Sales order status changes' needs a journey on sales "
                        "orders and the status to react to."
                    )
                )
            if journey.trigger == "winback" and journey.date_offset <= 0:
                raise ValidationError(
                    self.env._(
                        "Journey '%(journey)s' wins customers back: set after how long "
                        "without an order (a positive offset, e.g. 6 months).",
                        journey=journey.name,
                    )
                )
            if journey.trigger == "fixed_date" and not journey._get_fixed_date(2024):
                raise ValidationError(
                    self.env._(
                        "Journey '%(journey)s' runs on a fixed date: choose a month and a "
                        "day that exists in it.",
                        journey=journey.name,
                    )
                )
            if journey.trigger in ("date", "yearly") and (
                not journey.date_field_id or journey.date_field_id.model != journey.model
            ):
                raise ValidationError(
                    self.env._(
                        "Journey '%(journey)s' is triggered by a date: choose a date field "
                        "of the journey's model.",
                        journey=journey.name,
                    )
                )

    @api.constrains("model", "step_ids")
    def _check_model_change(self):
        for journey in self:
            templates = journey.step_ids.mail_template_id
            if templates and set(templates.mapped("model")) != {journey.model}:
                raise ValidationError(
                    self.env._(
                        "The email templates of journey '%(journey)s' must be made for "
                        "the model the journey applies to.",
                        journey=journey.name,
                    )
                )

    @api.constrains("trigger", "quotation_signal", "reentry", "quotation_signal_number")
    def _check_quotation_signal(self):
        for journey in self.filtered(lambda journey: journey.trigger == "quotation_signal"):
            if not journey.quotation_signal or journey.quotation_signal_number < 0:
                raise ValidationError(
                    self.env._(
                        "Journey '%(journey)s' is triggered by a quotation signal: choose the "
                        "signal and a number of days or views (zero or more).",
                        journey=journey.name,
                    )
                )
            if journey.reentry == "not_running":
                raise ValidationError(
                    self.env._(
                        "Journey '%(journey)s' is triggered by a quotation signal, which stays "
                        "true for a while: let records enter once ever, or again only after a "
                        "number of days.",
                        journey=journey.name,
                    )
                )

    @api.onchange("trigger")
    def _onchange_trigger_quotation_signal(self):
        if self.trigger == "quotation_signal" and self.reentry == "not_running":
            self.reentry = "once"

    @api.onchange("model")
    def _onchange_model(self):
        self.date_field_id = False
        self.domain = "[]"
        self.goal_domain = False

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def write(self, vals):
        if "model" in vals and self.enrollment_ids:
            raise UserError(
                self.env._(
                    "Records are already enrolled in this journey: its model cannot change. "
                    "Duplicate the journey instead."
                )
            )
        return super().write(vals)

    def copy(self, default=None):
        journeys = super().copy(default)
        for source, journey in zip(self, journeys, strict=True):
            source.step_ids._copy_tree(journey)
        return journeys

    def unlink(self):
        """A deleted journey takes its history with it: its enrollments (and
        so their traces) go first, since a step refuses to be deleted while
        traces refer to it (its history; see ``mail.journey.step.unlink``)."""
        self.check_access("unlink")
        if not any(journey.state == "running" for journey in self):
            # enrollments are the engine's bookkeeping, deleted with the journey
            # the user may delete
            self.env["mail.journey.enrollment"].sudo().search(
                [("journey_id", "in", self.ids)]
            ).unlink()
        return super().unlink()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_running(self):
        if any(journey.state == "running" for journey in self):
            raise UserError(self.env._("Stop a running journey before deleting it."))

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_start(self):
        for journey in self:
            if journey.is_template:
                raise UserError(
                    self.env._(
                        "'%(journey)s' is a ready-made journey: use 'Use Template' "
                        "and start the copy.",
                        journey=journey.name,
                    )
                )
            if not journey.step_ids:
                raise UserError(
                    self.env._(
                        "Journey '%(journey)s' has no step yet: add at least one step "
                        "before starting it.",
                        journey=journey.name,
                    )
                )
        now = fields.Datetime.now()
        to_resume = self.filtered(lambda journey: journey.state == "paused")
        self.write({"state": "running"})
        triggers = self._get_triggers()
        for journey in self.filtered(lambda journey: not journey.date_checked):
            # a yearly journey started today still greets today's anniversaries
            yearly = triggers.get(journey.trigger, {}).get("yearly", False)
            journey.date_checked = now - relativedelta(days=1 if yearly else 0)
        to_resume._reschedule_overdue_traces()
        self.env.ref("mail_journey_automation.ir_cron_mail_journey_enroll_dates")._trigger()
        return True

    def action_pause(self):
        self.filtered(lambda journey: journey.state == "running").state = "paused"
        return True

    def action_resume(self):
        return self.filtered(lambda journey: journey.state == "paused").action_start()

    def action_stop(self):
        self.write({"state": "stopped"})
        running = self.env["mail.journey.enrollment"].search(
            [("journey_id", "in", self.ids), ("state", "in", ACTIVE_STATES)]
        )
        running._close("cancelled", self.env._("The journey was stopped."))
        return True

    def action_create_from_template(self):
        """Copy ready-made journeys into new draft journeys named "... (copy)",
        each with its own copies of the email templates, so editing the copy
        leaves the ready-made journey untouched."""
        journeys = self.env["mail.journey"]
        for source in self:
            journeys |= source._copy_from_template()
        return journeys._action_open_copies()

    def action_reset_draft(self):
        self.filtered(lambda journey: journey.state == "stopped").state = "draft"
        return True

    def action_view_enrollments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mail_journey_automation.action_mail_journey_enrollment"
        )
        action["domain"] = [("journey_id", "=", self.id)]
        action["context"] = {
            "default_journey_id": self.id,
            "search_default_filter_" + self.env.context.get("journey_state", "all"): 1,
        }
        return action

    def action_view_report(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mail_journey_automation.action_mail_journey_report"
        )
        action["domain"] = [("journey_id", "=", self.id)]
        action["context"] = {"pivot_row_groupby": ["step_id"]}
        return action

    def action_view_lift(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mail_journey_automation.action_mail_journey_impact_report"
        )
        action["domain"] = [("journey_id", "=", self.id)]
        action["context"] = {"search_default_filter_lift": 1}
        return action

    def action_view_traces(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mail_journey_automation.action_mail_journey_trace"
        )
        action["domain"] = [("journey_id", "=", self.id)]
        action["context"] = {"search_default_filter_email": 1, "search_default_filter_done": 1}
        return action

    def action_test_run(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Test Run"),
            "res_model": "mail.journey.test.run",
            "view_mode": "form",
            "target": "new",
            "context": {"default_journey_id": self.id},
        }

    # ------------------------------------------------------------
    # FLOW VIEW
    # ------------------------------------------------------------

    def get_flow_data(self):
        """The steps of the journey as cards for the flow view (one RPC, a
        number of queries independent of the number of steps).

        :return: {"state": ..., "steps": [card, ...]}, each card a dict:
            id, parent_id, name, sequence, action, action_label, icon,
            detail (the email subject as typed, the activity summary or the
            target of the action), when (the full sentence), wait (the short
            label of the connector), branch (positive, negative, event or
            False), error_count, approval_count (waiting for a salesperson)
            and figures ({name: number}, only once the journey has run).
        """
        self.ensure_one()
        steps = self.step_ids
        actions = dict(steps._fields["action"]._description_selection(self.env))
        figures = self._get_flow_figures(steps) if self.state != "draft" else {}
        approvals = dict(
            self.env["mail.journey.approval"]._read_group(
                [("step_id", "in", steps.ids), ("state", "in", ("pending", "escalated"))],
                ["step_id"],
                ["__count"],
            )
        )
        cards = []
        for step in steps:
            cards.append(
                {
                    "id": step.id,
                    "parent_id": step.parent_id.id,
                    "name": step.name,
                    "sequence": step.sequence,
                    "action": step.action,
                    "action_label": actions[step.action],
                    "icon": FLOW_ICONS.get(step.action, "fa-cog"),
                    "detail": {
                        "email": step.mail_template_id.subject,
                        "activity": step.activity_summary or step.activity_type_id.name,
                        "server_action": step.server_action_id.name,
                        "set_stage": step.stage_id.name,
                    }.get(step.action)
                    or "",
                    "when": step._get_when_label(),
                    "wait": step._get_wait_label(),
                    "branch": FLOW_BRANCHES.get(step.trigger, False),
                    "error_count": step.error_count,
                    "approval_count": approvals.get(step, 0),
                    "figures": figures.get(step, {}),
                }
            )
        return {"state": self.state, "steps": cards}

    def _get_flow_figures(self, steps):
        """{step: {figure: number}} of ``steps``: how many reached the step,
        wait in it, went through it, and (emails) opened, clicked, replied;
        and how many of those who reached it converted."""
        self.env.flush_all()  # the report is a view over traces, leads and orders
        converted = dict(
            self.env["mail.journey.report"]._read_group(
                [
                    ("step_id", "in", steps.ids),
                    ("state", "!=", "cancelled"),
                    ("is_converted", "=", True),
                ],
                ["step_id"],
                ["enrollment_id:count_distinct"],
            )
        )
        result = {}
        for step in steps:
            result[step] = {
                "reached": step.reached_count,
                "waiting": step.scheduled_count,
                "done": step.done_count,
            }
            if step.action == "email":
                result[step].update(
                    opened=step.opened_count,
                    clicked=step.clicked_count,
                    replied=step.replied_count,
                )
            result[step]["converted"] = converted.get(step, 0)
        return result

    # ------------------------------------------------------------
    # DOMAINS
    # ------------------------------------------------------------

    def _copy_from_template(self, name=False, prefix=False):
        """Copy this ready-made journey into a draft journey of the current
        company named ``name`` (default: "<name> (copy)"), with its own copies
        of its email templates, named "<prefix> · <template>" with a
        ``prefix``, else "<template> (copy)"."""
        self.ensure_one()
        journey = self.copy(
            {
                "active": True,
                "company_id": self.env.company.id,
                "name": name or self.env._("%(name)s (copy)", name=self.name),
                # the servers are the company's to choose (and only administrators
                # may read them: the copy by a journey manager must not read them)
                "mail_server_ids": [Command.clear()],
            }
        )
        variants = journey.step_ids.variant_ids
        for template in journey.step_ids.mail_template_id | variants.template_id:
            # without a name, mail.template's copy names it "... (copy)"
            copy = template.copy({"name": f"{prefix} · {template.name}"} if prefix else None)
            steps = journey.step_ids.filtered(lambda step, t=template: step.mail_template_id == t)
            steps.mail_template_id = copy
            variants.filtered(
                lambda variant, t=template: variant.template_id == t
            ).template_id = copy
        return journey

    def _action_open_copies(self):
        """The journeys of ``self``, just copied: the form of one, the list of several."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mail_journey_automation.action_mail_journey"
        )
        if len(self) == 1:
            action.update(res_id=self.id, view_mode="form", views=[(False, "form")])
        else:
            action["domain"] = [("id", "in", self.ids)]
        return action

    def _get_domain(self, field_name):
        """Evaluate the domain stored in ``field_name`` and check it against
        the journey's model. An empty value gives the always-true domain.

        :raise ValidationError: with the reason when the domain is invalid
        """
        self.ensure_one()
        return self._eval_domain(self[field_name], self.model, self._fields[field_name].string)

    @api.model
    def _eval_domain(self, domain_text, model_name, label):
        """Read the stored domain ``domain_text`` as data (never as code, see
        ``tools/stored_domain.py``) and check it against ``model_name``.

        :raise ValidationError: when the text is not a literal domain (with
            what is not allowed) or the domain is invalid
        """
        if not domain_text:
            return Domain.TRUE
        try:
            value = parse_stored_domain(
                domain_text,
                uid=self.env.uid,
                today=fields.Date.context_today(self),
                tz_name=self.env.tz.zone,
                now=fields.Datetime.now(),
            )
        except NotLiteralDomainError as error:
            raise ValidationError(
                self.env._(
                    "The filter '%(label)s' is not a literal domain: %(reason)s. "
                    "Use the filter editor.",
                    label=label,
                    reason=self.env._(error.reason),
                )
            ) from error
        except StoredDomainError as error:
            raise ValidationError(
                self.env._(
                    "The filter '%(label)s' is invalid: %(error)s",
                    label=label,
                    error=self.env._(error.reason),
                )
            ) from error
        try:
            domain = Domain(value)
            domain.validate(self.env[model_name])
        except Exception as error:
            raise ValidationError(
                self.env._(
                    "The filter '%(label)s' is invalid: %(error)s",
                    label=label,
                    error=error,
                )
            ) from error
        return domain

    # ------------------------------------------------------------
    # ENROLLMENT
    # ------------------------------------------------------------

    def _enroll(self, records):
        """Enroll ``records`` in the journeys of ``self`` that accept them.

        The audience domain, the company and the re-entry policy decide; the
        enrollments are created in batch with the traces of the root steps.

        :return: the created enrollments
        """
        # triggers fire for whoever touched the record (a website visitor, a
        # salesperson without journey rights): entering a journey is the
        # journey's decision, not theirs
        Enrollment = self.env["mail.journey.enrollment"].sudo()
        to_enroll = []  # (journey, record id)
        for journey in self.filtered(lambda journey: journey.state == "running"):
            if not records or records._name != journey.model:
                continue
            try:
                candidates = journey._filter_reentry(journey._filter_audience(records))
            except ValidationError as error:
                # never block the lead or order being saved: the journey is at fault
                _logger.warning("Journey %s cannot enroll records: %s", journey.id, error)
                continue
            to_enroll += [(journey, record_id) for record_id in candidates.ids]
        enrollment_ids, first_dates = [], []
        for batch in tools.split_every(ENROLL_BATCH_SIZE, to_enroll):
            created, first_date = Enrollment._create_running(
                [journey for journey, _record_id in batch],
                records.browse([record_id for _journey, record_id in batch]),
            )
            enrollment_ids += created.ids
            first_dates += [first_date] if first_date else []
            if len(to_enroll) > ENROLL_BATCH_SIZE:
                # a large audience (a journey started on 50,000 leads): what
                # this batch read is dropped from the cache, else the memory
                # grew with the audience (650 MB at 50,000)
                self.env.invalidate_all()
        # one wake-up of the executing crons, for the earliest step
        if first_dates:
            self.env["mail.journey.engine"]._trigger_executors(
                max(min(first_dates), fields.Datetime.now())
            )
        enrollments = Enrollment.browse(enrollment_ids)
        if enrollments:
            _logger.info("Enrolled %s records in journeys %s", len(enrollments), self.ids)
        return enrollments

    def _filter_audience(self, records):
        """Return the records matching the audience domain and company."""
        self.ensure_one()
        domain = Domain.AND(
            [
                self._get_domain("domain"),
                Domain("id", "in", records.ids),
                Domain("company_id", "in", [False, self.company_id.id]),
            ]
        )
        if self.consent_required:
            domain &= Domain(records._journey_consent_domain())
        return records.search(domain)

    def _filter_reentry(self, records):
        """Return the records the re-entry policy lets enter again."""
        self.ensure_one()
        domain = Domain("journey_id", "=", self.id) & Domain("res_id", "in", records.ids)
        if self.reentry == "not_running":
            domain &= Domain("state", "in", ACTIVE_STATES)
        elif self.reentry == "after_days":
            since = fields.Datetime.now() - relativedelta(days=self.reentry_days)
            domain &= Domain("state", "in", ACTIVE_STATES) | Domain("date_start", ">", since)
        # re-entry counts every enrollment of the record, also those the user cannot read
        blocked = {
            res_id
            for [res_id] in self.env["mail.journey.enrollment"]
            .sudo()
            ._read_group(domain, ["res_id"])
        }
        return records.filtered(lambda record: record.id not in blocked)

    def _get_enrollment_links(self, record):
        """Return the lead/order fields of an enrollment for ``record``."""
        if record._name == "sale.order":
            return {
                "order_id": record.id,
                "lead_id": record.opportunity_id.id,
                "partner_id": record.partner_id.id,
            }
        return {"lead_id": record.id, "partner_id": record.partner_id.id}

    @api.model
    def _enroll_on_event(self, records, trigger, company=None, event=None, **values):
        """Enroll ``records`` in the running journeys started by ``trigger``
        whose trigger values (``stage_id``, ``crm_stage_id``, ...) match.
        Empty trigger values act as a wildcard. With ``company``, only the
        journeys of that company (a caller acting for one company, such as
        the external events endpoint); with ``event`` (an external event),
        only the journeys accepting it (``_accepts_event``)."""
        if not records:
            return self.env["mail.journey.enrollment"]
        domain = Domain.AND(
            [
                Domain("state", "=", "running"),
                Domain("model", "=", records._name),
                Domain("trigger", "=", trigger),
                *(Domain(name, "in", [value, False]) for name, value in values.items()),
            ]
        )
        if company:
            domain &= Domain("company_id", "=", company.id)
        # the records' change triggers journeys whoever made it
        journeys = self.sudo().search(domain)
        if "crm_stage_id" in values:
            journeys = journeys.filtered(
                lambda journey: not journey.crm_stage_id
                or journey.crm_stage_id.id == values["crm_stage_id"]
            )
        if event:
            journeys = journeys.filtered(lambda journey: journey._accepts_event(event))
        return journeys._enroll(records)

    def _accepts_event(self, event):
        """Whether the external ``event`` (a ``mail.journey.event``) enrolls
        in this journey, once its name matched; a bridge adds its own
        filters (e.g. words the message contains)."""
        self.ensure_one()
        return True

    def action_preflight(self):
        """List the audience as it is now: who a journey email would reach,
        and why not the others."""
        self.ensure_one()
        return self.env["mail.journey.preflight"]._create_for_journey(self).action_open_lines()

    def action_send_test(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send Me a Test"),
            "res_model": "mail.journey.test.send",
            "view_mode": "form",
            "target": "new",
            "context": {"default_journey_id": self.id},
        }

    def _get_audience_domain(self):
        """The records the journey addresses: its audience filter in its company."""
        self.ensure_one()
        return Domain.AND(
            [self._get_domain("domain"), Domain("company_id", "in", [False, self.company_id.id])]
        )

    def _get_test_email_step(self):
        """The first step sending an email: a root step if one does, else the
        shallowest one (in tree order)."""
        self.ensure_one()
        steps = self.step_ids.filtered(lambda step: step.action == "email")
        return steps.sorted(lambda step: (step.depth, step.tree_path or ""))[:1]

    # ------------------------------------------------------------
    # SEND WINDOW AND CAPS
    # ------------------------------------------------------------

    def _get_window_opening(self, when, tz_name):
        """The first moment at or after ``when`` (naive UTC) inside the send
        window (hours and weekdays in time zone ``tz_name``, and the company's
        working calendar when asked); ``when`` itself without a window."""
        self.ensure_one()
        calendar = self.company_id.resource_calendar_id if self.window_calendar else False
        opening = when
        for _attempt in range(20):  # alternate until both agree; they do within a few rounds
            candidate = self._get_hours_opening(opening, tz_name)
            if calendar:
                candidate = self._get_calendar_opening(candidate, calendar)
            if candidate == opening:
                return opening
            opening = candidate
        return opening

    def _get_hours_opening(self, when, tz_name):
        if not self.window_enabled:
            return when
        tz = pytz.timezone(tz_name or "UTC")
        local = pytz.utc.localize(when).astimezone(tz)
        weekdays = [
            self.window_mon,
            self.window_tue,
            self.window_wed,
            self.window_thu,
            self.window_fri,
            self.window_sat,
            self.window_sun,
        ]
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            if not weekdays[day.weekday()]:
                continue
            # wall-clock hours, localized each: right on daylight-saving days too
            midnight = datetime.combine(day, datetime.min.time())
            start = tz.localize(midnight + timedelta(hours=self.window_hour_from))
            end = tz.localize(midnight + timedelta(hours=self.window_hour_to))
            candidate = max(local, start)
            if candidate < end:
                return candidate.astimezone(pytz.utc).replace(tzinfo=None)
        return when

    @api.model
    def _get_calendar_opening(self, when, calendar):
        """The first working moment of ``calendar`` (public holidays off) at
        or after ``when`` (naive UTC), within the next four weeks."""
        start = pytz.utc.localize(when)
        intervals = calendar._work_intervals_batch(start, start + timedelta(days=28))[False]
        for interval_start, interval_stop, _records in intervals:
            if interval_stop > start:
                return max(start, interval_start).astimezone(pytz.utc).replace(tzinfo=None)
        return when

    @api.model
    def _get_best_open_hours(self, leads, timezones=None):
        """Return {lead id: hour of day at which its contact opened journey
        emails most often (the earliest hour on a tie)} for the ``leads``
        with opens by a person. Hours are counted in each contact's time zone
        (``timezones``: {lead id: tz name}; UTC when missing), open by open,
        so that a daylight-saving change does not move the habit by an hour."""
        if not leads:
            return {}
        timezones = timezones or {}
        lead_ids = leads.ids
        tz_names = [
            name if (name := timezones.get(lead_id)) in pytz.all_timezones_set else "UTC"
            for lead_id in lead_ids
        ]
        self.env["mail.journey.event"].flush_model(["lead_id", "type", "is_machine", "date"])
        self.env.cr.execute(
            SQL(
                """
                SELECT event.lead_id,
                       EXTRACT(HOUR FROM (event.date AT TIME ZONE 'UTC') AT TIME ZONE tz.name)::int,
                       COUNT(*)
                  FROM mail_journey_event event
                  JOIN unnest(%(lead_ids)s::int[], %(tz_names)s::varchar[]) AS tz(lead_id, name)
                    ON tz.lead_id = event.lead_id
                 WHERE event.type = 'open'
                   AND event.is_machine IS NOT TRUE
              GROUP BY 1, 2
                """,
                lead_ids=lead_ids,
                tz_names=tz_names,
            )
        )
        best = {}
        for lead_id, hour, count in self.env.cr.fetchall():
            if lead_id not in best or (-count, hour) < best[lead_id]:
                best[lead_id] = (-count, hour)
        return {lead_id: hour for lead_id, (_count, hour) in best.items()}

    @api.model
    def _get_next_hour(self, now, hour, tz_name=None):
        """``now`` (naive UTC) if it is in hour ``hour`` of time zone
        ``tz_name`` (UTC by default), else the next start of that hour, as
        naive UTC."""
        tz = pytz.timezone(tz_name or "UTC")
        local = pytz.utc.localize(now).astimezone(tz)
        if local.hour == hour:
            return now
        for offset in range(3):
            # wall-clock hour, localized each day: right across daylight saving
            start = tz.localize(
                datetime.combine(local.date() + timedelta(days=offset), datetime.min.time())
                + timedelta(hours=hour)
            )
            if start > local:
                return start.astimezone(pytz.utc).replace(tzinfo=None)
        return now

    def _get_hourly_allowance(self, now):
        """How many more emails this journey may send this hour (None: no
        limit) and when the next slot opens, given its limit and the global one."""
        self.ensure_one()
        Trace = self.env["mail.journey.trace"]
        global_limit = int(
            self.env["ir.config_parameter"].sudo().get_param("mail_journey.max_per_hour", 0)
        )
        allowance, slots = None, []
        for limit, scope in (
            (self.max_per_hour, [("journey_id", "=", self.id)]),
            (global_limit, []),
        ):
            if limit <= 0:
                continue
            sent = Trace.search(
                [
                    *scope,
                    ("step_action", "=", "email"),
                    ("state", "=", "done"),
                    ("date_done", ">", now - timedelta(hours=1)),
                ],
                order="date_done",
            ).mapped("date_done")
            left = max(limit - len(sent), 0)
            if not left:
                slots.append(sent[-limit] + timedelta(hours=1))
            allowance = left if allowance is None else min(allowance, left)
        return allowance, max(slots, default=now + timedelta(hours=1))

    def _get_caps(self):
        """The effective (per day, per week) limits of journey emails per
        recipient: the stricter of the journey's and the global setting."""
        return self._get_stricter_limits(
            (self.cap_day, "mail_journey.cap_day"), (self.cap_week, "mail_journey.cap_week")
        )

    def _get_account_caps(self):
        """The effective weekly limits of journey emails (per company, per
        email domain): the stricter of the journey's and the global setting."""
        return self._get_stricter_limits(
            (self.cap_account_week, "mail_journey.cap_account_week"),
            (self.cap_domain_week, "mail_journey.cap_domain_week"),
        )

    def _get_stricter_limits(self, *limits):
        """For each (limit of the journey, its global parameter), the lower
        of the two that is set; 0: no limit."""
        self.ensure_one()
        get_param = self.env["ir.config_parameter"].sudo().get_param
        caps = []
        for own, param in limits:
            values = [limit for limit in (own, int(get_param(param, 0))) if limit > 0]
            caps.append(min(values) if values else 0)
        return tuple(caps)

    # ------------------------------------------------------------
    # TEST RUN
    # ------------------------------------------------------------

    def _simulate(self, record):
        """Return the timeline the journey would give ``record`` with time
        fast-forwarded: one dict (date, step, status, detail) per step
        reached, in date order. Nothing is written or sent; the goal and the
        conditions are evaluated on the record as it is now."""
        self.ensure_one()
        now = fields.Datetime.now()
        if not self._filter_audience(record):
            return [
                self._simulation_line(
                    now,
                    False,
                    "refused",
                    self.env._(
                        "The record is outside the journey's audience or company: it would not enter."
                    ),
                )
            ]
        if self.goal_domain and record.filtered_domain(self._get_domain("goal_domain")):
            return [
                self._simulation_line(
                    now,
                    False,
                    "goal",
                    self.env._(
                        "The record already meets the exit goal: the journey would complete at once."
                    ),
                )
            ]
        lines = []
        pending = [(now + step._get_delta(), step) for step in self.step_ids if not step.parent_id]
        while pending:
            pending.sort(key=lambda item: (item[0], item[1].tree_path))
            date, step = pending.pop(0)
            if not record.filtered_domain(step._get_condition()):
                lines.append(
                    self._simulation_line(
                        date,
                        step,
                        "skipped",
                        self.env._(
                            "Condition not met: this step and the steps after it do not run."
                        ),
                    )
                )
                continue
            lines.append(self._simulation_line(date, step, "done", step._simulate_detail(record)))
            if step.action == "exit":
                break
            pending += [
                (date + child._get_delta(), child)
                for child in step.child_ids
                if child.trigger == "parent"
            ]
        return lines

    def _simulation_line(self, date, step, status, detail):
        return {"date": date, "step": step, "status": status, "detail": detail}

    # ------------------------------------------------------------
    # SCHEDULING
    # ------------------------------------------------------------

    def _reschedule_overdue_traces(self):
        """On resume, overdue traces are due now rather than all at once in
        the past: their schedule date becomes the resume date."""
        self.env["mail.journey.trace"].search(
            [
                ("journey_id", "in", self.ids),
                ("state", "=", "scheduled"),
                ("schedule_date", "<", fields.Datetime.now()),
            ]
        )._reschedule_overdue()

    def _get_fixed_date(self, year):
        """The journey's fixed date in ``year`` (a datetime at 00:00 UTC), or
        None when that day does not exist that year."""
        self.ensure_one()
        try:
            return datetime(year, int(self.fixed_month), self.fixed_day)
        except (TypeError, ValueError):
            return None

    def _get_reached_records(self, start, end):
        """The records whose trigger moment was reached in ]start, end], as
        the method its trigger declares finds them (``_get_triggers``); none
        for a trigger without one, or no longer declared."""
        self.ensure_one()
        method = self._get_triggers().get(self.trigger, {}).get("method")
        if not method:
            return self.env[self.model]
        return getattr(self, method)(start, end)

    def _get_reached_dates(self, start, end):
        """'Date reached': the records whose date (plus the offset) was
        reached in ]start, end]."""
        self.ensure_one()
        field_name = self.date_field_id.name
        delta = interval_delta(self.date_offset, self.date_offset_unit)
        low, high = start - delta, end - delta
        if self.date_field_id.ttype == "date":
            low, high = low.date(), high.date()
        return self.env[self.model].search(
            Domain(field_name, ">", low) & Domain(field_name, "<=", high)
        )

    def _get_reached_anniversaries(self, start, end):
        """'Yearly date': the records whose date's anniversary (plus the
        offset) was reached in ]start, end]."""
        self.ensure_one()
        Model = self.env[self.model]
        field_name = self.date_field_id.name
        delta = interval_delta(self.date_offset, self.date_offset_unit)
        days = (
            start.date() + relativedelta(days=n) - delta
            for n in range(1, (end.date() - start.date()).days + 1)
        )
        domain = Domain.OR(
            Domain(f"{field_name}.month_number", "=", day.month)
            & Domain(f"{field_name}.day_of_month", "=", day.day)
            for day in days
        )
        return Model if domain.is_false() else Model.search(domain)

    def _get_reached_fixed_date(self, start, end):
        """'Fixed date every year': the whole audience when the journey's
        day came in ]start, end]."""
        self.ensure_one()
        Model = self.env[self.model]
        dates = (self._get_fixed_date(year) for year in range(start.year, end.year + 1))
        if any(day and start < day <= end for day in dates):
            return Model.search(self._get_domain("domain"))
        return Model

    def _get_reached_reorders(self, start, end):
        """'Customer due to reorder': the customers' last orders whose usual
        reorder date (plus the offset) came in ]start, end]."""
        self.ensure_one()
        delta = interval_delta(self.date_offset, self.date_offset_unit)
        return self.env[self.model]._journey_get_last_orders(
            self.company_id, start - delta, end - delta, reorder=True
        )

    def _get_reached_winbacks(self, start, end):
        """'No order for a while': the customers' last orders whose date
        plus the offset came in ]start, end]."""
        self.ensure_one()
        delta = interval_delta(self.date_offset, self.date_offset_unit)
        return self.env[self.model]._journey_get_last_orders(
            self.company_id, start - delta, end - delta, reorder=False
        )

    def _enroll_reached_dates(self):
        """Enroll the records whose date (or anniversary, or reorder date...)
        was reached since the journey's last check, then move the check
        forward."""
        now = fields.Datetime.now()
        for journey in self:
            try:
                records = journey._get_reached_records(journey.date_checked or now, now)
            except ValidationError as error:
                # a broken audience must not stop the other journeys
                _logger.warning("Journey %s cannot check its dates: %s", journey.id, error)
                continue
            journey._enroll(records)
            journey.date_checked = now

    # ------------------------------------------------------------
    # CRONS
    # ------------------------------------------------------------

    def _enroll_quotation_signals(self):
        """Enroll the records showing the journeys' quotation signal (the
        re-entry policy keeps them from entering again and again)."""
        for journey in self:
            domain = self.env["sale.order"]._journey_signal_domain(
                journey.model, journey.quotation_signal, journey.quotation_signal_number
            )
            journey._enroll(self.env[journey.model].search(domain))

    @api.model
    def _cron_enroll_quotation_signals(self):
        """Enroll the records showing a quotation signal, committing after
        each journey."""
        journeys = self.search(
            [("state", "=", "running"), ("trigger", "in", self._get_trigger_codes("signal"))]
        )
        journeys._run_each("_enroll_quotation_signals")

    @api.model
    def _cron_enroll_dates(self):
        """Enroll the records whose trigger date was reached since the last
        check, committing after each journey."""
        journeys = self.search(
            [("state", "=", "running"), ("trigger", "in", self._get_date_triggers())]
        )
        journeys._run_each("_enroll_reached_dates")

    def _run_each(self, method):
        """Run ``method`` for each journey of ``self``, committing after each.
        A journey that fails is rolled back alone, logged and told on its
        chatter; the cron goes on with the others (as base_automation does
        for its rules)."""
        for done, journey in enumerate(self, start=1):
            try:
                with self.env.cr.savepoint():
                    getattr(journey, method)()
            except Exception as error:
                # one journey must not stop the others; the savepoint dropped its changes
                _logger.exception("Journey %s: %s failed", journey.id, method)
                journey.message_post(
                    body=self.env._(
                        "The scheduled check of this journey failed and will run again at "
                        "the next check: %(error)s",
                        error=str(error)[:500],
                    )
                )
            if not self.env["ir.cron"]._commit_progress(1, remaining=len(self) - done):
                break
