import re
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.fields import Domain

from ..tools.assignment import pick_weighted
from ..tools.intervals import INTERVAL_UNITS, interval_delta
from ..tools.statistics import two_proportion_p_value
from .mail_journey_step_variant import AB_METRICS, SIGNIFICANCE_LEVEL, assignment_position

# engagement branch -> the event it waits for (on the parent email's trace)
POSITIVE_TRIGGERS = {
    "opened": "open",
    "clicked": "click",
    "replied": "reply",
    "replied_intent": "reply",
    "bounced": "bounce",
}
# "not" branch -> the event whose absence it waits for
NEGATIVE_TRIGGERS = {"not_opened": "open", "not_clicked": "click", "not_replied": "reply"}
ENGAGEMENT_TRIGGERS = {**POSITIVE_TRIGGERS, **NEGATIVE_TRIGGERS}
# content hygiene of journey email templates
PROMOTIONAL = re.compile(
    r"\b(free|100 ?%|act now|buy now|order now|limited time|click here|guarantee[d]?|winner|"
    r"cash|urgent|cheap|best price|risk[- ]free)\b|!{2,}|\${2,}|免费|限时|立即购买",
    re.IGNORECASE,
)
FAKE_REPLY = re.compile(r"^\s*(re|fw|fwd|aw|wg|tr|回复|转发)\s*[:：]", re.IGNORECASE)
UNSUBSCRIBE_PLACEHOLDER = "/unsubscribe_from_list"


class MailJourneyStep(models.Model):
    _name = "mail.journey.step"
    _description = "Journey Step"
    _order = "journey_id, tree_path, id"

    # tree
    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(
        default=True,
        help="A step removed from a journey whose records went through it is archived, not "
        "deleted: its history stays in the reports.",
    )
    journey_id = fields.Many2one("mail.journey", required=True, index=True, ondelete="cascade")
    journey_state = fields.Selection(related="journey_id.state")
    model = fields.Selection(related="journey_id.model")
    company_id = fields.Many2one(related="journey_id.company_id", store=True)
    parent_id = fields.Many2one(
        "mail.journey.step",
        string="After Step",
        index=True,
        ondelete="cascade",
        domain="[('journey_id', '=', journey_id), ('id', '!=', id)]",
    )
    child_ids = fields.One2many("mail.journey.step", "parent_id", string="Next Steps")
    sequence = fields.Integer(default=10)
    tree_path = fields.Char(
        compute="_compute_tree_path",
        store=True,
        recursive=True,
        help="Sort key that lists each step below its parent.",
    )
    depth = fields.Integer(compute="_compute_tree_path", store=True, recursive=True)
    # when
    trigger = fields.Selection(
        [
            ("start", "At journey start"),
            ("parent", "After the previous step"),
            ("opened", "Previous email opened"),
            ("not_opened", "Previous email not opened"),
            ("clicked", "Previous email clicked"),
            ("not_clicked", "Previous email not clicked"),
            ("replied", "Previous email replied"),
            ("replied_intent", "Previous email replied with intent..."),
            ("not_replied", "Previous email not replied"),
            ("bounced", "Previous email bounced"),
            ("event", "External event received"),
        ],
        required=True,
        default="start",
        help="Engagement branches wait for what the customer does with the previous email: "
        "'opened', 'clicked', 'replied' and 'bounced' run after the event; their 'not' "
        "counterparts run at the end of the wait only if the event never came.",
    )
    event_name = fields.Char(
        string="External Event Name",
        help="For 'External event received': the event reported for the lead "
        "(e.g. whatsapp_inquiry) after the previous step.",
    )
    click_url = fields.Char(
        string="Clicked URL",
        help="For click branches: only clicks on links starting with this URL count. "
        "Empty: any link.",
    )
    reply_intent_ids = fields.Many2many(
        "mail.journey.reply.intent",
        string="Reply Intents",
        help="For 'replied with intent': the step runs when a reply says one of these "
        "(e.g. asks for a price, gives requirements), as read by the reply classifier "
        "or corrected by the salesperson.",
    )
    interval_number = fields.Integer(string="Wait", default=0)
    interval_unit = fields.Selection(INTERVAL_UNITS, string="Unit", required=True, default="days")
    condition_domain = fields.Char(
        string="Condition",
        help="Checked when the step is due: records not matching it skip the step.",
    )
    segment_id = fields.Many2one(
        "mail.journey.segment",
        string="Only for Segment",
        domain="[('model', '=', model)]",
        ondelete="restrict",
        help="Checked with the condition when the step is due: records outside this segment "
        "skip the step.",
    )
    # what
    action = fields.Selection(
        [
            ("email", "Send an email"),
            ("activity", "Schedule an activity"),
            ("server_action", "Run a server action"),
            ("set_stage", "Set the journey stage"),
            ("exit", "Exit the journey"),
        ],
        required=True,
        default="email",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain="[('model', '=', model)]",
        ondelete="restrict",
    )
    # the email as written (placeholders not rendered), shown on the step
    mail_template_subject = fields.Char(related="mail_template_id.subject", string="Subject")
    mail_template_body = fields.Html(related="mail_template_id.body_html", string="Body")
    activity_type_id = fields.Many2one("mail.activity.type", ondelete="restrict")
    activity_summary = fields.Char(translate=True)
    activity_note = fields.Html(translate=True)
    activity_deadline_days = fields.Integer(string="Activity Deadline (days)", default=1)
    server_action_id = fields.Many2one(
        "ir.actions.server",
        domain="[('model_id.model', '=', model)]",
        ondelete="restrict",
    )
    stage_id = fields.Many2one("mail.journey.stage", string="Set Journey Stage")
    # salesperson in the loop
    approval_required = fields.Boolean(
        string="Salesperson Approves",
        help="The email is prepared and waits for the salesperson, who sends it, edits then "
        "sends it, or skips it. Left undone past the deadline, it is escalated or sent as "
        "prepared, as the journey says.",
    )
    quotation_signal = fields.Selection(
        selection="_selection_quotation_signal",
        help="Only records whose quotation (an order, or an order of the lead) shows this "
        "signal when the step is due run it; the others skip it.",
    )
    quotation_signal_number = fields.Integer(
        string="N", default=3, help="The number of days or of views of the signal."
    )
    approval_hours = fields.Integer(
        string="Approval Deadline (hours)",
        default=24,
        help="How long the salesperson (then the team leader) has to decide.",
    )
    description = fields.Char(compute="_compute_description")
    content_warnings = fields.Text(
        compute="_compute_content_warnings",
        help="What in the email template may hurt deliverability, and why.",
    )
    tree_name = fields.Char(
        string="Step", compute="_compute_tree_name", help="The name, indented by depth."
    )
    # variants: personalisation by segment and A/B test
    variant_ids = fields.One2many(
        "mail.journey.step.variant", "step_id", string="Variants", copy=True
    )
    is_ab_test = fields.Boolean(
        string="A/B Test",
        compute="_compute_is_ab_test",
        help="At least two variants without segment and with a weight: the recipients "
        "matching no segment are split between them until a winner is chosen.",
    )
    ab_metric = fields.Selection(
        [("open", "Open rate"), ("click", "Click rate"), ("reply", "Reply rate")],
        string="Winner By",
        default="open",
        required=True,
    )
    ab_size_mode = fields.Selection(
        [("share", "A share of the recipients"), ("count", "A number of emails")],
        string="Test On",
        default="share",
        required=True,
    )
    ab_size_share = fields.Float(
        string="Test Share (%)",
        default=20.0,
        help="This share of the recipients matching no segment takes part in the test; the "
        "others wait for the winner.",
    )
    ab_size_count = fields.Integer(
        string="Test Emails",
        default=200,
        help="The first recipients, up to this number, take part in the test; the others "
        "wait for the winner.",
    )
    ab_end_mode = fields.Selection(
        [("date", "On a date"), ("count", "After a number of test emails")],
        string="Test Ends",
        default="date",
        required=True,
    )
    ab_end_date = fields.Datetime(string="Test End Date")
    ab_end_count = fields.Integer(
        string="Test Ends After",
        default=200,
        help="The winner is chosen once this many test emails were sent. Opens, clicks and "
        "replies need time to come in: an end date usually measures better.",
    )
    ab_min_sample = fields.Integer(
        string="Minimum Sample per Variant",
        default=100,
        help="Below this number of test emails delivered for a variant, no winner is chosen: "
        "the default variant is kept.",
    )
    ab_state = fields.Selection(
        [("testing", "Testing"), ("winner", "Winner chosen"), ("default", "Default kept")],
        string="A/B Status",
        default="testing",
        required=True,
        readonly=True,
        copy=False,
    )
    ab_p_value = fields.Float(string="p-value", digits=(16, 4), readonly=True, copy=False)
    ab_decision_date = fields.Datetime(string="Decided On", readonly=True, copy=False)
    ab_result = fields.Text(string="A/B Result", readonly=True, copy=False)
    # statistics
    trace_ids = fields.One2many("mail.journey.trace", "step_id")
    done_count = fields.Integer(compute="_compute_trace_counts")
    scheduled_count = fields.Integer(compute="_compute_trace_counts")
    skipped_count = fields.Integer(compute="_compute_trace_counts")
    error_count = fields.Integer(compute="_compute_trace_counts")
    # funnel: how many reached the step and what they did with its email
    reached_count = fields.Integer(string="Reached", compute="_compute_trace_counts")
    opened_count = fields.Integer(string="Opened", compute="_compute_trace_counts")
    clicked_count = fields.Integer(string="Clicked", compute="_compute_trace_counts")
    replied_count = fields.Integer(string="Replied", compute="_compute_trace_counts")
    has_run = fields.Boolean(
        compute="_compute_trace_counts", help="Records reached the step (its figures are shown)."
    )
    edit_warning = fields.Char(
        compute="_compute_edit_warning",
        help="What an edit of the step does to the records already waiting for it.",
    )

    _check_interval = models.Constraint(
        "CHECK(interval_number >= 0)", "A step cannot wait a negative time."
    )
    _check_ab_settings = models.Constraint(
        "CHECK(ab_size_share > 0 AND ab_size_share <= 100 AND ab_size_count > 0"
        " AND ab_end_count > 0 AND ab_min_sample > 0)",
        "The A/B test needs a share between 0 and 100%, and positive numbers of emails.",
    )
    _check_approval_hours = models.Constraint(
        "CHECK(approval_hours > 0)", "An approval deadline must be at least one hour."
    )

    @api.model
    def _selection_quotation_signal(self):
        return self.env["mail.journey"]._selection_quotation_signal()

    @api.depends("sequence", "parent_id.tree_path")
    def _compute_tree_path(self):
        for step in self:
            own = f"{step.sequence:06d}.{step.id or 0:08d}/"
            step.tree_path = (step.parent_id.tree_path or "") + own
            step.depth = step.parent_id.depth + 1 if step.parent_id else 0

    @api.depends("variant_ids.segment_id", "variant_ids.weight", "action")
    def _compute_is_ab_test(self):
        for step in self:
            step.is_ab_test = step.action == "email" and len(step._get_split_variants()) > 1

    @api.depends("mail_template_id.subject", "mail_template_id.body_html", "action")
    @api.depends_context("lang")
    def _compute_content_warnings(self):
        for step in self:
            template = step.mail_template_id if step.action == "email" else False
            step.content_warnings = (
                "\n".join(step._get_content_warnings(template)) if template else False
            )

    def _get_content_warnings(self, template):
        """Reasons why ``template`` may land in spam or annoy its readers."""
        warnings = []
        subject = template.subject or ""
        text = re.sub(r"\{\{.*?(\}\}|$)", "", subject)  # placeholders are not shouting
        letters = [char for char in text if char.isalpha() and char.isascii()]
        if len(letters) >= 8 and sum(char.isupper() for char in letters) > 0.7 * len(letters):
            warnings.append(
                self.env._(
                    "The subject is mostly capital letters: spam filters read it as shouting."
                )
            )
        if match := PROMOTIONAL.search(subject):
            warnings.append(
                self.env._(
                    "The subject sounds over-promotional ('%(words)s'): spam filters penalise it.",
                    words=match.group(0),
                )
            )
        if FAKE_REPLY.match(subject):
            warnings.append(
                self.env._(
                    "The subject starts like a reply or a forward although it is neither: "
                    "recipients and filters take it as deceptive."
                )
            )
        body = template.body_html or ""
        if tools.is_html_empty(body):
            warnings.append(self.env._("The body is empty."))
        for label, text in ((self.env._("subject"), subject), (self.env._("body"), body)):
            if text.count("{{") != text.count("}}"):
                warnings.append(
                    self.env._(
                        "The %(part)s has an unclosed {{ ... }} placeholder: it would be "
                        "sent as typed.",
                        part=label,
                    )
                )
        if UNSUBSCRIBE_PLACEHOLDER not in body:
            warnings.append(
                self.env._(
                    "The body has no unsubscribe link of its own (a link to %(placeholder)s): "
                    "the journey adds one in its footer.",
                    placeholder=UNSUBSCRIBE_PLACEHOLDER,
                )
            )
        return warnings

    @api.depends("name", "depth")
    def _compute_tree_name(self):
        for step in self:
            # em spaces: HTML does not collapse them, so the tree stays indented
            indent = "\u2003\u2003" * (step.depth - 1) + "\u21b3 " if step.depth else ""
            step.tree_name = f"{indent}{step.name}"

    @api.depends(
        "name",
        "trigger",
        "interval_number",
        "interval_unit",
        "action",
        "event_name",
        "reply_intent_ids",
        "parent_id.name",
    )
    @api.depends_context("lang")
    def _compute_description(self):
        for step in self:
            step.description = f"{step._get_when_label()} → {step._get_action_label()}"

    def _get_when_label(self):
        """When the step runs, as one translatable sentence."""
        self.ensure_one()
        values = {
            "delay": self._get_delay_label(),
            "parent": self.parent_id.name,
            "event": self.event_name,
        }
        waits = bool(self.interval_number)
        if self.trigger == "start" or not self.parent_id:
            return (
                self.env._("%(delay)s after the start", **values)
                if waits
                else self.env._("At the start")
            )
        if self.trigger == "parent":
            return (
                self.env._("%(delay)s after '%(parent)s'", **values)
                if waits
                else self.env._("Right after '%(parent)s'", **values)
            )
        if self.trigger == "event":
            return (
                self.env._(
                    "%(delay)s after '%(event)s' is reported following '%(parent)s'", **values
                )
                if waits
                else self.env._("When '%(event)s' is reported following '%(parent)s'", **values)
            )
        values["event"] = self._get_engagement_label()
        if self.trigger in NEGATIVE_TRIGGERS:
            return self.env._("If '%(parent)s' is not %(event)s within %(delay)s", **values)
        return (
            self.env._("%(delay)s after '%(parent)s' is %(event)s", **values)
            if waits
            else self.env._("As soon as '%(parent)s' is %(event)s", **values)
        )

    def _get_wait_label(self):
        """The wait before the step, short, for the connector of the flow
        view (the previous step is the card above)."""
        self.ensure_one()
        delay = self._get_delay_label()
        waits = bool(self.interval_number)
        if self.trigger == "start" or not self.parent_id:
            return self.env._("%(delay)s after the start", delay=delay) if waits else ""
        if self.trigger == "parent":
            return delay if waits else ""
        if self.trigger == "event":
            return (
                self.env._("%(delay)s after '%(event)s'", delay=delay, event=self.event_name)
                if waits
                else self.env._("When '%(event)s' is reported", event=self.event_name)
            )
        event = self._get_engagement_label()
        if self.trigger in NEGATIVE_TRIGGERS:
            return self.env._("If not %(event)s within %(delay)s", event=event, delay=delay)
        return (
            self.env._("%(delay)s after %(event)s", delay=delay, event=event)
            if waits
            else self.env._("As soon as %(event)s", event=event)
        )

    def _get_delay_label(self):
        """The wait of the step in words: "2 days"."""
        self.ensure_one()
        units = dict(self._fields["interval_unit"]._description_selection(self.env))
        return self.env._(
            "%(number)s %(unit)s",
            number=self.interval_number,
            unit=units[self.interval_unit].lower(),
        )

    def _get_engagement_label(self):
        """What an engagement branch waits for the customer to do (or not)
        with the previous email: "opened"."""
        self.ensure_one()
        return {
            "opened": self.env._("opened"),
            "not_opened": self.env._("opened"),
            "clicked": self.env._("clicked"),
            "not_clicked": self.env._("clicked"),
            "replied": self.env._("replied to"),
            "replied_intent": self.env._(
                "replied to with '%(intents)s'",
                intents=", ".join(self.reply_intent_ids.mapped("name")),
            ),
            "not_replied": self.env._("replied to"),
            "bounced": self.env._("bounced"),
        }[self.trigger]

    def _get_action_label(self):
        self.ensure_one()
        label = dict(self._fields["action"]._description_selection(self.env))[self.action]
        target = {
            "email": self.mail_template_id.name,
            "activity": self.activity_summary or self.activity_type_id.name,
            "server_action": self.server_action_id.name,
            "set_stage": self.stage_id.name,
        }.get(self.action)
        return f"{label} '{target}'" if target else label

    def _compute_trace_counts(self):
        Trace = self.env["mail.journey.trace"]
        counts = {}
        for step, state, count in Trace._read_group(
            [("step_id", "in", self.ids)], ["step_id", "state"], ["__count"]
        ):
            counts.setdefault(step, {})[state] = count
        engagement = {
            step: (opened, clicked, replied)
            for step, opened, clicked, replied in Trace._read_group(
                [("step_id", "in", self.ids), ("state", "=", "done")],
                ["step_id"],
                ["open_datetime:count", "click_datetime:count", "reply_datetime:count"],
            )
        }
        for step in self:
            step_counts = counts.get(step, {})
            step.done_count = step_counts.get("done", 0)
            step.scheduled_count = step_counts.get("scheduled", 0)
            step.skipped_count = step_counts.get("skipped", 0)
            step.error_count = step_counts.get("error", 0)
            step.reached_count = sum(step_counts.values()) - step_counts.get("cancelled", 0)
            step.has_run = bool(step_counts)
            step.opened_count, step.clicked_count, step.replied_count = engagement.get(
                step, (0, 0, 0)
            )

    @api.depends("journey_id.state")
    @api.depends_context("lang")
    def _compute_edit_warning(self):
        for step in self:
            count = step.scheduled_count if step.journey_id.state in ("running", "paused") else 0
            if not count:
                step.edit_warning = False
            elif count == 1:
                step.edit_warning = self.env._(
                    "1 record is waiting for this step. It keeps its scheduled date: a new "
                    "wait applies only to the records that reach the step from now on; a new "
                    "email, variant or condition applies to it when it runs. Deleting the step "
                    "cancels it and keeps the step's history in the reports."
                )
            else:
                step.edit_warning = self.env._(
                    "%(count)s records are waiting for this step. They keep their scheduled "
                    "dates: a new wait applies only to the records that reach the step from now "
                    "on; a new email, variant or condition applies to them when they run. "
                    "Deleting the step cancels them and keeps the step's history in the reports.",
                    count=count,
                )

    @api.constrains("parent_id", "journey_id", "trigger")
    def _check_tree(self):
        if self._has_cycle():
            raise ValidationError(
                self.env._("A step cannot come after itself (cycle in the steps).")
            )
        for step in self:
            if step.parent_id and step.parent_id.journey_id != step.journey_id:
                raise ValidationError(
                    self.env._(
                        "Step '%(step)s' comes after a step of another journey.", step=step.name
                    )
                )
            if step.trigger == "start" and step.parent_id:
                raise ValidationError(
                    self.env._(
                        "Step '%(step)s' comes after another step: it cannot also run at "
                        "the journey start.",
                        step=step.name,
                    )
                )
            if step.trigger != "start" and not step.parent_id:
                raise ValidationError(
                    self.env._(
                        "Step '%(step)s' waits for a previous step: choose that step.",
                        step=step.name,
                    )
                )
            if (
                step.trigger in ENGAGEMENT_TRIGGERS
                and step.trigger not in step.parent_id._get_engagement_triggers()
            ):
                raise ValidationError(
                    self.env._(
                        "Step '%(step)s' waits for what the customer does with an email: "
                        "it must come after an email step.",
                        step=step.name,
                    )
                )

    def _get_engagement_triggers(self):
        """The engagement branches that may follow this step: what its
        action lets the customer do (an email is opened, clicked, replied
        to, bounced). Channel bridges add theirs (e.g. an SMS is clicked)."""
        self.ensure_one()
        return set(ENGAGEMENT_TRIGGERS) if self.action == "email" else set()

    @api.constrains("trigger", "event_name", "reply_intent_ids")
    def _check_event_name(self):
        for step in self:
            if step.trigger == "event" and not step.event_name:
                raise ValidationError(
                    self.env._(
                        "Step '%(step)s' waits for an external event: give its name.",
                        step=step.name,
                    )
                )
            if step.trigger == "replied_intent" and not step.reply_intent_ids:
                raise ValidationError(
                    self.env._(
                        "Step '%(step)s' waits for a reply with an intent: choose at least one.",
                        step=step.name,
                    )
                )

    @api.constrains("action", "mail_template_id", "server_action_id", "stage_id", "journey_id")
    def _check_action(self):
        for step in self:
            model = step.journey_id.model
            if step.action == "email" and (
                not step.mail_template_id or step.mail_template_id.model != model
            ):
                raise ValidationError(
                    self.env._(
                        "Step '%(step)s' sends an email: choose a template made for %(model)s.",
                        step=step.name,
                        model=self.env["ir.model"]._get(model).name,
                    )
                )
            if step.action == "server_action" and (
                not step.server_action_id or step.server_action_id.model_name != model
            ):
                raise ValidationError(
                    self.env._(
                        "Step '%(step)s' runs a server action: choose one made for %(model)s.",
                        step=step.name,
                        model=self.env["ir.model"]._get(model).name,
                    )
                )
            if step.action == "set_stage" and not step.stage_id:
                raise ValidationError(
                    self.env._("Step '%(step)s' sets a journey stage: choose it.", step=step.name)
                )

    @api.constrains("segment_id", "journey_id")
    def _check_segment(self):
        for step in self.filtered("segment_id"):
            if step.segment_id.model != step.journey_id.model:
                raise ValidationError(
                    self.env._(
                        "Step '%(step)s': choose a segment made for the journey's records.",
                        step=step.name,
                    )
                )

    @api.constrains("ab_size_mode", "ab_size_count", "ab_end_mode", "ab_end_count", "ab_end_date")
    def _check_ab_end(self):
        for step in self.filtered("is_ab_test"):
            if step.ab_end_mode == "date" and not step.ab_end_date:
                raise ValidationError(
                    self.env._(
                        "Step '%(step)s' runs an A/B test that ends on a date: choose the date.",
                        step=step.name,
                    )
                )
            if (
                step.ab_end_mode == "count"
                and step.ab_size_mode == "count"
                and step.ab_end_count > step.ab_size_count
            ):
                raise ValidationError(
                    self.env._(
                        "Step '%(step)s': the A/B test cannot end after more test emails "
                        "(%(end)s) than it sends (%(size)s).",
                        step=step.name,
                        end=step.ab_end_count,
                        size=step.ab_size_count,
                    )
                )

    @api.constrains("condition_domain", "journey_id")
    def _check_condition_domain(self):
        for step in self:
            step._get_condition()

    @api.onchange("parent_id")
    def _onchange_parent_id(self):
        if not self.parent_id:
            self.trigger = "start"
        elif self.trigger == "start":
            self.trigger = "parent"

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def unlink(self):
        """Delete the steps that never ran; archive the others, with the steps
        below them, so that no trace, email or engagement of their history
        leaves the reports. The records waiting for an archived step are
        cancelled (reason "Step removed"), and the journey's chatter says so."""
        if not self:
            return True
        self.check_access("unlink")
        self.journey_id.check_access("write")
        steps = self.with_context(active_test=False)
        tree = steps.search([("id", "child_of", steps.ids)])
        # every trace counts, whoever may read it: the history of other users'
        # records must not be deleted either
        with_history = {
            step.id
            for [step] in self.env["mail.journey.trace"]
            .sudo()
            ._read_group([("step_id", "in", tree.ids)], ["step_id"])
        }
        parents = {step.id: step.parent_id.id for step in tree}
        # a step keeps its history, and so its place, if it or a step below it ran
        kept = set()
        for ran_id in with_history:
            step_id = ran_id
            while step_id and step_id not in kept:
                kept.add(step_id)
                step_id = parents.get(step_id)
        to_archive = steps.filtered(lambda step: step.id in kept)
        to_delete = steps - to_archive
        if to_archive:
            # the steps below an archived step go with it (nothing runs below it),
            # except those deleted for real
            children = defaultdict(list)
            for step_id, parent_id in parents.items():
                children[parent_id].append(step_id)
            archived, stack = set(), list(to_archive.ids)
            while stack:
                step_id = stack.pop()
                if step_id not in archived and step_id not in to_delete.ids:
                    archived.add(step_id)
                    stack += children[step_id]
            tree.browse(sorted(archived))._archive_removed()
        return super(MailJourneyStep, to_delete).unlink() if to_delete else True

    def _archive_removed(self):
        """Archive the steps of ``self``, removed from their journey although
        records went through them, and cancel the records waiting for them."""
        self.write({"active": False})
        reason = self.env._("Step removed")
        # traces and approvals are the engine's bookkeeping: the user's right to
        # remove the steps was checked by unlink()
        waiting = (
            self.env["mail.journey.trace"]
            .sudo()
            .search([("step_id", "in", self.ids), ("state", "=", "scheduled")])
        )
        waiting._journey_cancel_approvals(reason)
        waiting._finish("cancelled", reason)
        counts = {step: len(traces) for step, traces in waiting.grouped("step_id").items()}
        for journey, steps in self.grouped("journey_id").items():
            lines = Markup("").join(
                Markup("<li>%s</li>")
                % self.env._(
                    "%(step)s: %(count)s waiting records cancelled.",
                    step=step.name,
                    count=counts.get(step, 0),
                )
                for step in steps
            )
            journey.message_post(
                body=Markup("<p>%s</p><ul>%s</ul>")
                % (
                    self.env._(
                        "Steps removed; they are archived so that their history stays in "
                        "the reports:"
                    ),
                    lines,
                )
            )

    def _copy_tree(self, journey):
        """Copy these steps (a whole tree) into ``journey``, parents before
        children, so that each copy hangs below the copy of its parent."""
        copies = {}
        for depth in sorted(set(self.mapped("depth"))):
            level = self.filtered(lambda step, depth=depth: step.depth == depth)
            vals_list = level.copy_data({"journey_id": journey.id})
            for step, vals in zip(level, vals_list, strict=True):
                vals["parent_id"] = copies[step.parent_id.id].id if step.parent_id else False
            created = self.create(vals_list)
            for step, copy in zip(level, created, strict=True):
                step.copy_translations(copy)
                copies[step.id] = copy
        return self.browse([copy.id for copy in copies.values()])

    def action_preview(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Preview of '%(step)s'", step=self.name),
            "res_model": "mail.journey.step.preview",
            "view_mode": "form",
            "target": "new",
            "context": {"default_step_id": self.id},
        }

    def _simulate_detail(self, record):
        """Describe what this step would do to ``record``, for the test run."""
        self.ensure_one()
        if self.action != "email":
            return self._get_action_label()
        variant, _reason = self._explain_variant(record, self.env["mail.journey.enrollment"])
        template = variant.template_id or self.mail_template_id
        try:
            subject = template._render_field("subject", record.ids)[record.id]
        except Exception as error:  # noqa: BLE001 - shown to the user, who fixes the template
            return self.env._("The template cannot be rendered: %(error)s", error=error)
        if variant:
            return self.env._(
                "Email '%(subject)s' (variant '%(variant)s')", subject=subject, variant=variant.name
            )
        return self.env._("Email '%(subject)s'", subject=subject)

    def _get_condition(self):
        """The condition domain of the step, and its segment's filter."""
        self.ensure_one()
        condition = self.journey_id._eval_domain(
            self.condition_domain, self.journey_id.model, self._fields["condition_domain"].string
        )
        if self.segment_id:
            condition = Domain.AND([condition, self.segment_id._get_domain()])
        if self.quotation_signal:
            condition &= self.env["sale.order"]._journey_signal_domain(
                self.journey_id.model, self.quotation_signal, self.quotation_signal_number
            )
        return condition

    def _matches_intent(self, intent):
        """Whether a reply read as ``intent`` (a code) counts for this step."""
        self.ensure_one()
        return self.trigger != "replied_intent" or intent in self.reply_intent_ids.mapped("code")

    def _accepts_event(self, event):
        """Whether the external ``event`` (a ``mail.journey.event``) schedules
        this "External event received" step, once its name matched; a bridge
        adds its own filters (e.g. words the message contains)."""
        self.ensure_one()
        return True

    def _matches_url(self, url):
        """Whether a click on ``url`` counts for this step's click branch."""
        self.ensure_one()
        return not self.click_url or (url or "").startswith(self.click_url)

    def _get_delta(self):
        self.ensure_one()
        return interval_delta(self.interval_number, self.interval_unit)

    # ------------------------------------------------------------
    # VARIANTS AND A/B TEST
    # ------------------------------------------------------------

    def _get_split_variants(self):
        """The variants of the A/B split: without segment, with a weight."""
        self.ensure_one()
        return self.variant_ids.filtered(lambda v: not v.segment_id and v.weight > 0).sorted()

    def _get_default_variant(self):
        """The variant kept without a significant winner: the one marked
        default, else the first of the split (empty: the step's template)."""
        self.ensure_one()
        unsegmented = self.variant_ids.filtered(lambda v: not v.segment_id).sorted()
        return unsegmented.filtered("is_default")[:1] or self._get_split_variants()[:1]

    def _pick_split_variant(self, position):
        """The variant of the split whose slice of the cumulative weights,
        laid over [0, 1), holds ``position`` (empty without split)."""
        split = self._get_split_variants()
        index = pick_weighted(position, split.mapped("weight"))
        return split[index] if index is not None else split

    def _get_variant_assignments(self, traces, records):
        """Choose the variant of each trace of ``traces`` (email traces of
        this step, for ``records``).

        The first variant (in list order) whose segment holds the record
        wins; else, during an A/B test, the recipients of the test sample get
        a variant of the split by their assignment position (see
        ``assignment_position``), and the others wait for the winner; after
        the test, they get the winner, or the default variant.

        :return: ({trace: (variant, reason)}, traces waiting for the winner)
        """
        self.ensure_one()
        if self.is_ab_test and self.ab_state == "testing" and self._filter_ab_test_over():
            self._ab_decide()
        by_segment = self.variant_ids.filtered("segment_id").sorted()
        members = by_segment.segment_id._get_matching_ids(records)
        test_left = None
        if self.is_ab_test and self.ab_state == "testing" and self.ab_size_mode == "count":
            test_left = self.ab_size_count - self.env["mail.journey.trace"].search_count(
                [("step_id", "=", self.id), ("variant_reason", "=", "ab_test")]
            )
        share = self.ab_size_share / 100
        winner = self.variant_ids.filtered("is_winner")[:1]
        assignments, waiting = {}, traces.browse()
        for trace in traces.sorted("id"):
            segment_variant = next(
                (v for v in by_segment if trace.res_id in members[v.segment_id]), None
            )
            if segment_variant:
                assignments[trace] = (segment_variant, "segment")
            elif not self.is_ab_test:
                assignments[trace] = (self._get_default_variant(), "default")
            elif winner:
                assignments[trace] = (winner, "winner")
            elif self.ab_state != "testing":
                assignments[trace] = (self._get_default_variant(), "default")
            else:
                position = assignment_position(trace.enrollment_id.id, self.id)
                if test_left is None:
                    in_test, position = position < share, position / share
                else:
                    in_test, test_left = test_left > 0, test_left - 1
                if in_test:
                    assignments[trace] = (self._pick_split_variant(position), "ab_test")
                else:
                    waiting |= trace
        return assignments, waiting

    def _explain_variant(self, record, enrollment):
        """(variant, reason) ``record`` gets (or would get) at this step,
        ``enrollment`` being its enrollment in the journey (may be empty)."""
        self.ensure_one()
        trace = enrollment.trace_ids.filtered(lambda t: t.step_id == self and t.variant_id)[:1]
        if trace:
            return trace.variant_id, self.env._(
                "Already assigned when the step ran (%(reason)s).",
                reason=dict(trace._fields["variant_reason"]._description_selection(self.env))[
                    trace.variant_reason
                ],
            )
        for variant in self.variant_ids.filtered("segment_id").sorted():
            if record.filtered_domain(variant.segment_id._get_domain()):
                return variant, self.env._(
                    "The record is in the segment '%(segment)s' (first matching variant).",
                    segment=variant.segment_id.name,
                )
        return self._explain_split_variant(enrollment)

    def _explain_split_variant(self, enrollment):
        """(variant, reason) of a record matching no segment variant."""
        self.ensure_one()
        variant = self._get_default_variant()
        winner = self.variant_ids.filtered("is_winner")[:1]
        position = assignment_position(enrollment.id, self.id) if enrollment else None
        share = self.ab_size_share / 100 if self.ab_size_mode == "share" else 1.0
        if not self.is_ab_test:
            reason = (
                self.env._("No segment matches: the default variant.")
                if variant
                else self.env._("No segment matches: the step's template.")
            )
        elif winner:
            variant, reason = winner, self.env._("The A/B test is over: the winner.")
        elif self.ab_state != "testing":
            reason = self.env._("The A/B test is over without winner: the default.")
        elif position is None:
            reason = self.env._(
                "A/B test running: the variant depends on the enrollment, which does not "
                "exist yet; shown: the default variant."
            )
        elif position >= share:
            reason = self.env._(
                "A/B test running: outside the test share, the record waits for the winner "
                "(shown: the default variant)."
            )
        else:
            variant = self._pick_split_variant(position / share)
            reason = self.env._(
                "A/B test: position %(position)s of the weight split.",
                position=f"{position / share:.3f}",
            )
        return variant, reason

    def _get_ab_statistics(self):
        """Return {variant: (delivered test emails, successes)} for the
        steps of ``self``, a success being an open, click or reply as the
        step's metric says."""
        stats = {}
        for step, variant, sent, *successes in self.env["mail.journey.trace"]._read_group(
            [
                ("step_id", "in", self.ids),
                ("variant_reason", "=", "ab_test"),
                ("state", "=", "done"),
                ("mail_message_id", "!=", False),
                ("bounce_datetime", "=", False),
            ],
            ["step_id", "variant_id"],
            ["__count", *(f"{fname}:count" for fname in AB_METRICS.values())],
        ):
            stats[variant] = (sent, dict(zip(AB_METRICS, successes, strict=True))[step.ab_metric])
        return stats

    def _filter_ab_test_over(self):
        """The steps of ``self`` whose A/B test reached its end (date, or
        number of test emails sent)."""
        now = fields.Datetime.now()
        sent = dict(
            self.env["mail.journey.trace"]._read_group(
                [
                    ("step_id", "in", self.filtered(lambda s: s.ab_end_mode == "count").ids),
                    ("variant_reason", "=", "ab_test"),
                    ("state", "=", "done"),
                    ("mail_message_id", "!=", False),
                ],
                ["step_id"],
                ["__count"],
            )
        )
        return self.filtered(
            lambda step: (
                bool(step.ab_end_date) and step.ab_end_date <= now
                if step.ab_end_mode == "date"
                else sent.get(step, 0) >= step.ab_end_count
            )
        )

    def _ab_evaluate(self, stats):
        """Decide the A/B test from ``stats`` ({variant: (size, successes)}).

        The best and the second-best rates are compared with the two-sided
        two-proportion z-test; the best wins only if every variant has the
        minimum sample and p < SIGNIFICANCE_LEVEL.

        :return: (winner or empty, p-value or None, reason)
        """
        self.ensure_one()
        split = self._get_split_variants()
        default = self._get_default_variant()
        rates = {v: stats.get(v, (0, 0)) for v in split}
        small = [v for v, (size, _x) in rates.items() if size < self.ab_min_sample]
        # ties go to the default variant, then to the list order
        ranked = sorted(
            split,
            key=lambda v: (-(rates[v][1] / rates[v][0]) if rates[v][0] else 0, v != default),
        )
        best, second = ranked[0], ranked[1]
        p_value = two_proportion_p_value(*rates[best][::-1], *rates[second][::-1])
        if small:
            return (
                split.browse(),
                p_value,
                self.env._(
                    "Sample too small (under %(minimum)s emails for %(variants)s): the default "
                    "variant is kept.",
                    minimum=self.ab_min_sample,
                    variants=", ".join(small_variant.name for small_variant in small),
                ),
            )
        if p_value >= SIGNIFICANCE_LEVEL:
            return (
                split.browse(),
                p_value,
                self.env._(
                    "No significant difference between '%(best)s' and '%(second)s' "
                    "(p = %(p_value)s, not below %(level)s): the default variant is kept.",
                    best=best.name,
                    second=second.name,
                    p_value=f"{p_value:.4f}",
                    level=SIGNIFICANCE_LEVEL,
                ),
            )
        return (
            best,
            p_value,
            self.env._(
                "'%(best)s' beats '%(second)s' (p = %(p_value)s, below %(level)s): it is the "
                "winner.",
                best=best.name,
                second=second.name,
                p_value=f"{p_value:.4f}",
                level=SIGNIFICANCE_LEVEL,
            ),
        )

    def _ab_decide(self):
        """Close the A/B tests of ``self``: choose the winner (or keep the
        default), post the decision on the journey's chatter and release the
        recipients waiting for it."""
        now = fields.Datetime.now()
        all_stats = self._get_ab_statistics()
        metrics = dict(self._fields["ab_metric"]._description_selection(self.env))
        for step in self:
            winner, p_value, reason = step._ab_evaluate(all_stats)
            winner.is_winner = True
            step.write(
                {
                    "ab_state": "winner" if winner else "default",
                    "ab_p_value": p_value,
                    "ab_decision_date": now,
                    "ab_result": reason,
                }
            )
            lines = Markup("").join(
                Markup("<li>%s</li>")
                % self.env._(
                    "%(variant)s: %(rate)s%% (%(successes)s of %(size)s)",
                    variant=variant.name,
                    rate=f"{100.0 * successes / size if size else 0.0:.1f}",
                    successes=successes,
                    size=size,
                )
                for variant in step._get_split_variants()
                for size, successes in [all_stats.get(variant, (0, 0))]
            )
            step.journey_id.message_post(
                body=Markup("<p>%s</p><p>%s</p><ul>%s</ul><p>%s</p>")
                % (
                    self.env._(
                        "A/B test of step '%(step)s' closed (%(metric)s).",
                        step=step.name,
                        metric=metrics[step.ab_metric],
                    ),
                    reason,
                    lines,
                    self.env._(
                        "p-value: %(p_value)s; minimum sample per variant: %(minimum)s.",
                        p_value=f"{p_value:.4f}",
                        minimum=step.ab_min_sample,
                    ),
                )
            )
        waiting = self.env["mail.journey.trace"].search(
            [("step_id", "in", self.ids), ("state", "=", "scheduled"), ("ab_waiting", "=", True)]
        )
        waiting.write({"schedule_date": now, "state_message": False})
        waiting._trigger_execution()

    def _get_ab_waiting_date(self):
        """When the recipients kept out of the test sample try again."""
        self.ensure_one()
        now = fields.Datetime.now()
        if self.ab_end_mode == "date" and self.ab_end_date and self.ab_end_date > now:
            return self.ab_end_date
        return now + timedelta(hours=1)

    @api.model
    def _cron_decide_ab_tests(self):
        """Close the A/B tests whose end is reached."""
        steps = self.search(
            [("action", "=", "email"), ("ab_state", "=", "testing"), ("variant_ids", "!=", False)]
        ).filtered("is_ab_test")
        steps._filter_ab_test_over()._ab_decide()
