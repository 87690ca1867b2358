import re

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from .mail_journey import INTERVAL_UNITS, QUOTATION_SIGNALS, interval_delta

# engagement branch -> the event it waits for (on the parent email's trace)
POSITIVE_TRIGGERS = {"opened": "open", "clicked": "click", "replied": "reply", "bounced": "bounce"}
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
    journey_id = fields.Many2one("mail.journey", required=True, index=True, ondelete="cascade")
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
    interval_number = fields.Integer(string="Wait", default=0)
    interval_unit = fields.Selection(INTERVAL_UNITS, string="Unit", required=True, default="days")
    condition_domain = fields.Char(
        string="Condition",
        help="Checked when the step is due: records not matching it skip the step.",
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
        QUOTATION_SIGNALS,
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

    _check_interval = models.Constraint(
        "CHECK(interval_number >= 0)", "A step cannot wait a negative time."
    )
    _check_approval_hours = models.Constraint(
        "CHECK(approval_hours > 0)", "An approval deadline must be at least one hour."
    )

    @api.depends("sequence", "parent_id.tree_path")
    def _compute_tree_path(self):
        for step in self:
            own = f"{step.sequence:06d}.{step.id or 0:08d}/"
            step.tree_path = (step.parent_id.tree_path or "") + own
            step.depth = step.parent_id.depth + 1 if step.parent_id else 0

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
        "parent_id.name",
    )
    @api.depends_context("lang")
    def _compute_description(self):
        for step in self:
            step.description = f"{step._get_when_label()} → {step._get_action_label()}"

    def _get_when_label(self):
        """When the step runs, as one translatable sentence."""
        self.ensure_one()
        units = dict(self._fields["interval_unit"]._description_selection(self.env))
        delay = self.env._(
            "%(number)s %(unit)s",
            number=self.interval_number,
            unit=units[self.interval_unit].lower(),
        )
        events = {
            "opened": self.env._("opened"),
            "not_opened": self.env._("opened"),
            "clicked": self.env._("clicked"),
            "not_clicked": self.env._("clicked"),
            "replied": self.env._("replied to"),
            "not_replied": self.env._("replied to"),
            "bounced": self.env._("bounced"),
        }
        values = {"delay": delay, "parent": self.parent_id.name, "event": self.event_name}
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
        values["event"] = events[self.trigger]
        if self.trigger in NEGATIVE_TRIGGERS:
            return self.env._("If '%(parent)s' is not %(event)s within %(delay)s", **values)
        return (
            self.env._("%(delay)s after '%(parent)s' is %(event)s", **values)
            if waits
            else self.env._("As soon as '%(parent)s' is %(event)s", **values)
        )

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
            step.opened_count, step.clicked_count, step.replied_count = engagement.get(
                step, (0, 0, 0)
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
            if step.trigger in ENGAGEMENT_TRIGGERS and step.parent_id.action != "email":
                raise ValidationError(
                    self.env._(
                        "Step '%(step)s' waits for what the customer does with an email: "
                        "it must come after an email step.",
                        step=step.name,
                    )
                )

    @api.constrains("trigger", "event_name")
    def _check_event_name(self):
        for step in self:
            if step.trigger == "event" and not step.event_name:
                raise ValidationError(
                    self.env._(
                        "Step '%(step)s' waits for an external event: give its name.",
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

    def _simulate_detail(self, record):
        """Describe what this step would do to ``record``, for the test run."""
        self.ensure_one()
        if self.action != "email":
            return self._get_action_label()
        try:
            subject = self.mail_template_id._render_field("subject", record.ids)[record.id]
        except Exception as error:  # noqa: BLE001 - shown to the user, who fixes the template
            return self.env._("The template cannot be rendered: %(error)s", error=error)
        return self.env._("Email '%(subject)s'", subject=subject)

    def _get_condition(self):
        self.ensure_one()
        condition = self.journey_id._eval_domain(
            self.condition_domain, self.journey_id.model, self._fields["condition_domain"].string
        )
        if self.quotation_signal:
            condition &= self.env["sale.order"]._journey_signal_domain(
                self.journey_id.model, self.quotation_signal, self.quotation_signal_number
            )
        return condition

    def _matches_url(self, url):
        """Whether a click on ``url`` counts for this step's click branch."""
        self.ensure_one()
        return not self.click_url or (url or "").startswith(self.click_url)

    def _get_delta(self):
        self.ensure_one()
        return interval_delta(self.interval_number, self.interval_unit)
