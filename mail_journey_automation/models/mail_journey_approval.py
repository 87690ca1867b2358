from datetime import timedelta

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, LockError, UserError

OPEN_STATES = ("pending", "escalated")
# what a salesperson edits before sending; the rest is the engine's bookkeeping
EDITABLE_FIELDS = {"subject", "body_html"}


class MailJourneyApproval(models.Model):
    """A journey email prepared for the salesperson, who sends it (edited or
    not) or skips it. Its trace stays scheduled at the deadline, so that the
    engine escalates it or sends it as prepared when nobody decided."""

    _name = "mail.journey.approval"
    _description = "Journey Email Approval"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_deadline, id"
    _rec_name = "subject"

    # what and for whom
    trace_id = fields.Many2one(
        "mail.journey.trace", required=True, index=True, ondelete="cascade", readonly=True
    )
    trace_state = fields.Selection(related="trace_id.state", string="Step Status")
    step_id = fields.Many2one(related="trace_id.step_id", store=True)
    journey_id = fields.Many2one(related="trace_id.journey_id", store=True, index=True)
    company_id = fields.Many2one(related="trace_id.company_id", store=True)
    res_model = fields.Selection(related="trace_id.res_model")
    res_id = fields.Many2oneReference(related="trace_id.res_id", model_field="res_model")
    lead_id = fields.Many2one(related="trace_id.lead_id", store=True)
    order_id = fields.Many2one(related="trace_id.order_id", store=True)
    partner_id = fields.Many2one(related="trace_id.partner_id")
    email_to = fields.Char(string="To", readonly=True)
    # the email, editable until sent
    subject = fields.Char(required=True)
    body_html = fields.Html(string="Body", sanitize="email_outgoing")
    # the decision
    user_id = fields.Many2one(
        "res.users", string="Approver", index=True, tracking=True, readonly=True
    )
    date_deadline = fields.Datetime(string="Deadline", required=True, tracking=True, readonly=True)
    state = fields.Selection(
        [
            ("pending", "To Approve"),
            ("escalated", "Escalated"),
            ("approved", "Approved"),
            ("sent", "Sent"),
            ("auto_sent", "Sent as Prepared"),
            ("skipped", "Skipped"),
            ("cancelled", "Cancelled"),
        ],
        default="pending",
        required=True,
        index=True,
        tracking=True,
        readonly=True,
    )
    done_user_id = fields.Many2one("res.users", string="Decided By", readonly=True)
    date_done = fields.Datetime(string="Decided On", readonly=True)
    note = fields.Char(string="Outcome", readonly=True)

    _unique_trace = models.UniqueIndex("(trace_id)", "A journey email is approved once.")

    # ------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------

    def write(self, vals):
        """Users edit the subject and body of an email still waiting for
        approval; the trace, the approver, the deadline and the state are
        the engine's, which writes them as superuser."""
        if not self.env.su:
            if forbidden := sorted(set(vals) - EDITABLE_FIELDS):
                raise AccessError(
                    self.env._(
                        "Only the subject and the body of a journey email to approve can be "
                        "edited (not: %(fields)s). Use the Send and Skip buttons to decide.",
                        fields=", ".join(forbidden),
                    )
                )
            self._check_open()
        return super().write(vals)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_send(self):
        """Send the emails as they are now (edited or not): they go on
        through the delivery pipeline at once (send window, caps and hourly
        limit still apply, with the reason on the step when they wait)."""
        approvals = self._decided()
        approvals._check_open()
        traces = approvals.trace_id
        try:
            traces.lock_for_update()
        except LockError as error:
            raise UserError(
                self.env._("The journey is working on this email right now: try again in a minute.")
            ) from error
        approvals._close("approved", self.env._("Approved by %(user)s.", user=self.env.user.name))
        traces.write({"schedule_date": fields.Datetime.now()})
        approvals.env["mail.journey.engine"]._execute(traces)
        return True

    def action_skip(self):
        """Do not send these emails: their branch of the journey ends."""
        approvals = self._decided()
        approvals._check_open()
        reason = self.env._("Skipped by %(user)s.", user=self.env.user.name)
        approvals.trace_id._finish("skipped", reason)
        approvals._close("skipped", reason)
        return True

    def action_open_record(self):
        self.ensure_one()
        return self.trace_id.action_open_record()

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _decided(self):
        """The approvals the user decides, as superuser once their right to
        decide is checked: the trace and the record of an approval escalated
        to a team leader belong to the salesperson's lead, which a leader
        with "Own Documents Only" may not read. The user stays the author."""
        self.check_access("write")
        return self.sudo()

    def _check_open(self):
        closed = self.filtered(
            lambda approval: approval.state not in OPEN_STATES
            or approval.trace_id.state != "scheduled"
        )
        if closed:
            raise UserError(
                self.env._(
                    "The email '%(subject)s' is no longer waiting for approval: it was decided "
                    "already or its journey ended.",
                    subject=closed[0].subject,
                )
            )

    def _close(self, state, note):
        self.write(
            {
                "state": state,
                "note": note,
                "done_user_id": self.env.user.id,
                "date_done": fields.Datetime.now(),
            }
        )
        self.activity_ids.action_feedback(feedback=note)

    def _mark_sent(self):
        """The approved emails of ``self`` were queued."""
        for auto, approvals in self.grouped(lambda approval: not approval.done_user_id).items():
            approvals.write(
                {
                    "state": "auto_sent" if auto else "sent",
                    "note": self.env._("Sent as prepared: nobody decided before the deadline.")
                    if auto
                    else self.env._("Sent by %(user)s.", user=approvals[0].done_user_id.name),
                }
            )

    @api.model
    def _journey_review(self, traces, step):
        """Delivery stage of an email step that needs the salesperson: the
        approved emails go on; an email without approval is prepared for the
        salesperson; one past its deadline is escalated, or approved as
        prepared, as the journey says. Return ({(state, reason): traces}
        postponed, the approved approvals)."""
        approvals = self.search([("trace_id", "in", traces.ids)])
        now = fields.Datetime.now()
        expired = approvals.filtered(
            lambda approval: approval.state in OPEN_STATES and approval.date_deadline <= now
        )
        if step.journey_id.approval_expiry == "send":
            expired.write({"state": "approved", "date_done": now})
            expired.activity_ids.action_feedback(
                feedback=self.env._("Sent as prepared: nobody decided before the deadline.")
            )
        else:
            expired._escalate()
        ready = approvals.filtered(lambda approval: approval.state == "approved")
        waiting = approvals.filtered(lambda approval: approval.state in OPEN_STATES) - expired
        for deadline, group in waiting.grouped("date_deadline").items():
            group.trace_id.write({"schedule_date": deadline})
        self._prepare(traces - approvals.trace_id, step)
        # the approval wrote the reason of each waiting trace itself
        return {("scheduled", None): traces - ready.trace_id}, ready

    @api.model
    def _prepare(self, traces, step):
        """Render the step's email for ``traces`` and let their salesperson
        decide, with an activity due at the deadline."""
        if not traces:
            return self
        records = traces.enrollment_id._get_records()
        # the email to approve is the variant the record gets (the delivery
        # pipeline assigned it before this stage)
        rendered = {}
        for template, template_traces in traces.grouped(
            lambda trace: trace.variant_id.template_id or step.mail_template_id
        ).items():
            rendered.update(
                template._generate_template(
                    template_traces.mapped("res_id"), {"subject", "body_html", "email_to"}
                )
            )
        emails = records._journey_get_emails()
        users = records._journey_get_salespersons()
        deadline = fields.Datetime.now() + timedelta(hours=step.approval_hours)
        # approvals are the engine's bookkeeping: the cron creates them for any salesperson
        approvals = self.sudo().create(
            [
                {
                    "trace_id": trace.id,
                    "subject": rendered[trace.res_id].get("subject") or step.name,
                    "body_html": rendered[trace.res_id].get("body_html"),
                    "email_to": emails.get(trace.res_id),
                    "user_id": (users.get(trace.res_id) or step.journey_id.create_uid).id,
                    "date_deadline": deadline,
                }
                for trace in traces
            ]
        )
        approvals._schedule_activity()
        traces.write(
            {
                "schedule_date": deadline,
                "state_message": self.env._(
                    "Waits for the salesperson's approval until %(deadline)s.",
                    deadline=tools.format_datetime(self.env, deadline),
                ),
            }
        )
        return approvals

    def _schedule_activity(self):
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id(self._name)
        # prepared by the cron for the salesperson, who may not create
        # activities for others
        self.env["mail.activity"].sudo().create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": approval.id,
                    "activity_type_id": activity_type.id,
                    "summary": self.env._("Approve the journey email"),
                    "date_deadline": approval.date_deadline.date(),
                    "user_id": approval.user_id.id,
                }
                for approval in self
            ]
        )

    def _escalate(self):
        """Hand the approvals past their deadline to the sales team leader
        (else the journey's author) for another period; escalated ones left
        undone keep waiting for them."""
        if not self:
            return
        now = fields.Datetime.now()
        pending = self.filtered(lambda approval: approval.state == "pending")
        leaders = {}
        for model, approvals in pending.grouped("res_model").items():
            records = approvals.trace_id.enrollment_id._get_records()
            leaders[model] = records._journey_get_team_leaders()
        for leader, approvals in pending.grouped(
            lambda approval: leaders[approval.res_model].get(approval.res_id)
            or approval.journey_id.create_uid
        ).items():
            # the cron escalates for the salesperson, whatever their rights
            approvals.sudo().write({"state": "escalated", "user_id": leader.id})
        for (step, user), approvals in self.grouped(
            lambda approval: (approval.step_id, approval.user_id)
        ).items():
            deadline = now + timedelta(hours=step.approval_hours)
            approvals.sudo().write({"date_deadline": deadline})
            approvals.activity_ids.sudo().write(
                {"user_id": user.id, "date_deadline": deadline.date()}
            )
            approvals.trace_id.write(
                {
                    "schedule_date": deadline,
                    "state_message": self.env._(
                        "Escalated to %(user)s: waits for approval until %(deadline)s.",
                        user=user.name,
                        deadline=tools.format_datetime(self.env, deadline),
                    ),
                }
            )
        self.trace_id._trigger_execution()

    def _cancel_open(self, reason):
        """Cancel the open approvals of ``self`` (their journey stopped)."""
        self.filtered(lambda approval: approval.state in (*OPEN_STATES, "approved"))._close(
            "cancelled", reason
        )
