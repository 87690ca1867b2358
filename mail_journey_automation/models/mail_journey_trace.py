import ast
import logging

import lxml.html
from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.tools import SQL
from odoo.tools.mail import URL_SKIP_PROTOCOL_REGEX

from odoo.addons.link_tracker.tools.html import find_links_with_urls_and_labels

from .mail_journey import ACTIVE_STATES
from .mail_journey_step import NEGATIVE_TRIGGERS, UNSUBSCRIBE_PLACEHOLDER

# what each event of a trace copies of it (see _get_event_values)
EVENT_COPIED_FIELDS = ("journey_id", "step_id", "lead_id", "company_id")
# what an open or a click reads of its trace (read with the token's check)
TRACKING_FIELDS = (
    "create_date",
    "date_done",
    "sent_datetime",
    "enrollment_id",
    "journey_id",
    "step_id",
    "step_action",
    "lead_id",
    "company_id",
    "open_datetime",
    "last_open_datetime",
    "click_datetime",
)

_logger = logging.getLogger(__name__)

TRACKING_DAYS_PARAM = "mail_journey.tracking_days"
# the footer is rendered once per batch with these, then each email's URLs
FOOTER_URL_PLACEHOLDERS = {
    "pixel_url": "mail-journey-pixel-url",
    "honeypot_url": "mail-journey-honeypot-url",
    "unsubscribe_url": "mail-journey-unsubscribe-url",
}


class MailJourneyTrace(models.Model):
    """One step of a journey for one enrollment: when it is due, what came
    of it, and the email it sent with what the customer did with it.

    States (written by the engine, ``mail.journey.engine``, and its
    delivery pipeline, ``mail.journey.delivery``; never by users):

    * ``scheduled``: waits for its ``schedule_date``. It is created so when
      its enrollment starts (root steps), when its parent ran ("after
      parent", and "not opened / not clicked / not replied" branches, due at
      their deadline) or when the customer's event came (opened, clicked,
      replied, bounced, external event). A stage of the pipeline may
      postpone it (approval, A/B winner, send time, send window, limits):
      it stays scheduled with a later date and the reason in
      ``state_message``. A pause of its enrollment holds it.
    * ``done``: its action ran (the email was queued: ``mail_mail_id``,
      ``message_id``); ``date_done`` is set, its children are scheduled.
      Engagement then fills ``sent_datetime``, ``open_datetime``,
      ``click_datetime``, ``reply_datetime``, ``bounce_datetime``,
      ``unsubscribe_datetime`` and schedules the waiting branches.
    * ``skipped``: not run on purpose (condition not met, hold-out,
      suppression, duplicate, skipped by the salesperson), with the reason.
    * ``cancelled``: not run because its journey went elsewhere (the record
      was deleted, the goal reached, the enrollment ended, the customer did
      it before the deadline of a "not" branch).
    * ``error``: it failed (broken filter, no valid address, the action
      raised, the mail server refused it for good), with the reason; *Retry*
      schedules it again.
    """

    _name = "mail.journey.trace"
    _description = "Journey Step Execution"
    _order = "schedule_date desc, id desc"
    _rec_name = "step_id"

    # what and for whom
    enrollment_id = fields.Many2one(
        "mail.journey.enrollment", required=True, index=True, ondelete="cascade", readonly=True
    )
    # a step that ran is archived, never deleted (see mail.journey.step.unlink):
    # its traces are the history of the reports
    step_id = fields.Many2one(
        "mail.journey.step", required=True, index=True, ondelete="restrict", readonly=True
    )
    parent_trace_id = fields.Many2one(
        "mail.journey.trace",
        string="After",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
    )
    journey_id = fields.Many2one(related="enrollment_id.journey_id", store=True, index=True)
    company_id = fields.Many2one(related="enrollment_id.company_id", store=True)
    step_action = fields.Selection(related="step_id.action", store=True, string="Action")
    res_model = fields.Selection(related="enrollment_id.res_model", store=True)
    res_id = fields.Many2oneReference(
        related="enrollment_id.res_id",
        store=True,
        index=True,
        model_field="res_model",
        string="Record ID",
    )
    lead_id = fields.Many2one(related="enrollment_id.lead_id", store=True, index="btree_not_null")
    order_id = fields.Many2one(related="enrollment_id.order_id", store=True)
    partner_id = fields.Many2one(related="enrollment_id.partner_id", store=True)
    # when and how it went
    schedule_date = fields.Datetime(required=True, readonly=True)
    state = fields.Selection(
        [
            ("scheduled", "Scheduled"),
            ("done", "Done"),
            ("skipped", "Skipped"),
            ("cancelled", "Cancelled"),
            ("error", "Error"),
        ],
        default="scheduled",
        required=True,
        readonly=True,
    )
    state_message = fields.Char(string="Reason", readonly=True)
    # the hourly and weekly limits read the traces done in a recent period
    date_done = fields.Datetime(string="Executed On", readonly=True, index=True)
    # the email sent
    mail_message_id = fields.Many2one(
        "mail.message", string="Email", index="btree_not_null", ondelete="set null", readonly=True
    )
    message_id = fields.Char(string="Message-ID", index="btree_not_null", readonly=True, copy=False)
    mail_mail_id = fields.Many2one(
        "mail.mail",
        string="Outgoing Email",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
    )
    subject = fields.Char(related="mail_message_id.subject")
    email = fields.Char(
        string="Sent To",
        readonly=True,
        index="btree_not_null",
        help="The normalized address the email went to (frequency caps, duplicates).",
    )
    template_key = fields.Char(
        readonly=True,
        index="btree_not_null",
        help="Fingerprint of the email's template content: the same email from another "
        "journey (e.g. a copy of a ready-made one) is not sent twice to an address.",
    )
    # engagement (people only: machine opens and clicks are in the event log)
    sent_datetime = fields.Datetime(string="Sent On", readonly=True)
    open_datetime = fields.Datetime(string="First Opened On", readonly=True)
    last_open_datetime = fields.Datetime(string="Last Opened On", readonly=True)
    open_count = fields.Integer(
        string="Opens",
        readonly=True,
        help="Counted from the engagement log by the engagement cron, within a minute.",
    )
    click_datetime = fields.Datetime(string="First Clicked On", readonly=True)
    click_count = fields.Integer(
        string="Clicks",
        readonly=True,
        help="Counted from the engagement log by the engagement cron, within a minute.",
    )
    reply_datetime = fields.Datetime(string="Replied On", readonly=True)
    reply_intent_id = fields.Many2one(
        "mail.journey.reply.intent",
        readonly=True,
        help="What the customer's last reply to this email says.",
    )
    bounce_datetime = fields.Datetime(string="Bounced On", readonly=True)
    unsubscribe_datetime = fields.Datetime(string="Unsubscribed On", readonly=True)
    send_attempts = fields.Integer(
        string="Failed Attempts",
        readonly=True,
        copy=False,
        help="Times the mail server could not take the email (it is tried again after a delay).",
    )
    event_ids = fields.One2many("mail.journey.event", "trace_id", string="Events")
    # variant of the email (personalisation, A/B test) and send time
    variant_id = fields.Many2one(
        "mail.journey.step.variant", index="btree_not_null", ondelete="set null", readonly=True
    )
    variant_reason = fields.Selection(
        [
            ("segment", "Segment matched"),
            ("ab_test", "A/B test sample"),
            ("winner", "A/B winner"),
            ("default", "Default"),
        ],
        string="Why This Variant",
        readonly=True,
    )
    ab_waiting = fields.Boolean(string="Waits for A/B Winner", readonly=True)
    send_time_optimized = fields.Boolean(
        readonly=True, help="Postponed once to the hour at which the recipient usually opens."
    )

    _due_index = models.Index("(schedule_date, id) WHERE state = 'scheduled'")

    @api.depends("step_id", "enrollment_id")
    def _compute_display_name(self):
        for trace in self:
            trace.display_name = f"{trace.step_id.name} ({trace.enrollment_id.display_name})"

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_open_record(self):
        self.ensure_one()
        return self.enrollment_id.action_open_record()

    def action_retry(self):
        """Schedule failed traces again, due now."""
        self.enrollment_id._check_user_may_act()
        # traces are the engine's bookkeeping: written once the user's right is checked
        failed = self.sudo().filtered(lambda trace: trace.state == "error")
        failed.write(
            {"state": "scheduled", "state_message": False, "schedule_date": fields.Datetime.now()}
        )
        failed._trigger_execution()
        return True

    # ------------------------------------------------------------
    # EXECUTION
    # ------------------------------------------------------------

    def _reschedule_overdue(self):
        """Make the overdue scheduled traces of ``self`` due now (after a
        pause) rather than all at once in the past, and wake the cron."""
        now = fields.Datetime.now()
        # the engine's bookkeeping, for the user who resumed
        overdue = self.sudo().filtered(
            lambda trace: trace.state == "scheduled" and trace.schedule_date < now
        )
        overdue.schedule_date = now
        overdue._trigger_execution()

    def _trigger_execution(self):
        """Wake the executing crons for the earliest scheduled trace, so an
        immediate step runs within a minute instead of at the next periodic run."""
        dates = [trace.schedule_date for trace in self if trace.state == "scheduled"]
        if dates:
            self.env["mail.journey.engine"]._trigger_executors(
                max(min(dates), fields.Datetime.now())
            )

    def _finish(self, state, message=False):
        if self:
            self.write(
                {"state": state, "state_message": message, "date_done": fields.Datetime.now()}
            )

    def _journey_cancel_approvals(self, reason):
        """Close the approvals still open (or approved, not sent) of the
        traces of ``self``, which will not send their email."""
        if self:
            self.env["mail.journey.approval"].sudo().search(
                [("trace_id", "in", self.ids)]
            )._cancel_open(reason)

    def _schedule_children(self, triggers, url=None, event_name=None, event=None, intent=None):
        """Schedule the child steps of ``self`` whose trigger is in ``triggers``
        (and that match the clicked ``url``, the external ``event_name`` or
        the reply's ``intent``, and accept the external ``event``), their
        wait counted from now; a step is scheduled once per parent."""
        now = fields.Datetime.now()
        existing = {
            (trace.parent_trace_id.id, trace.step_id.id)
            for trace in self.search([("parent_trace_id", "in", self.ids)])
        }
        vals_list = [
            {
                "enrollment_id": trace.enrollment_id.id,
                "parent_trace_id": trace.id,
                "step_id": child.id,
                "schedule_date": now + child._get_delta(),
            }
            for trace in self
            for child in trace.step_id.child_ids
            if child.trigger in triggers
            and (url is None or child._matches_url(url))
            and (event_name is None or child.event_name == event_name)
            and (intent is None or child._matches_intent(intent))
            and (event is None or child._accepts_event(event))
            and (trace.id, child.id) not in existing
        ]
        children = self.create(vals_list)
        children._trigger_execution()
        return children

    # ------------------------------------------------------------
    # STEP ACTIONS: each returns {(state, reason): traces} for the traces
    # that did not succeed; the others are done.
    # ------------------------------------------------------------

    def _assign_variants(self, step, records):
        """Store the variant of the traces of ``self`` that have none yet
        (kept afterwards: a later run never changes it); postpone those
        waiting for an A/B winner, returned as {("scheduled", reason): traces}."""
        assignments, waiting = step._get_variant_assignments(
            self.filtered(lambda trace: not trace.variant_reason), records
        )
        for (variant, reason), traces in (
            self.browse().union(*assignments).grouped(lambda trace: assignments[trace]).items()
        ):
            traces.write({"variant_id": variant.id, "variant_reason": reason, "ab_waiting": False})
        if not waiting:
            return {}
        message = self.env._("Waits for the winner of the A/B test.")
        waiting.write(
            {
                "schedule_date": step._get_ab_waiting_date(),
                "state_message": message,
                "ab_waiting": True,
            }
        )
        waiting._trigger_execution()
        return {("scheduled", message): waiting}

    def _send_email(self, step, emails, template=None, final_content=None):
        """Render and queue the step's email for the traces of ``self`` in
        one batch, through Odoo's mail composer (mass mail, log kept);
        ``template`` (a variant's) replaces the step's. ``final_content``,
        {record id: {"subject": str, "body_html": str}}, is content already
        rendered (an approved email, edited or not by the salesperson): it
        replaces the rendered subject and body as data and is never rendered
        again, so that an expression typed into it (by the salesperson, or by
        a visitor into a form field that the template printed) stays text."""
        journey = step.journey_id
        template = template or step.mail_template_id
        if not template.lang:
            # the composer reads the language of each record's partner one
            # record at a time (mail.render.mixin._render_lang indexes the
            # partners, which drops their prefetch): one SELECT per email.
            # Reading it here for the whole batch puts it in the cache first.
            records = self.env[journey.model].browse(self.mapped("res_id"))
            partners = self.env["res.partner"].union(*records._mail_get_partners().values())
            partners.mapped("lang")
        composer = (
            self.env["mail.compose.message"]
            .with_context(
                # recipients stay email addresses: no partner created per lead
                mail_composer_force_partners=False,
                mail_journey_trace_ids=self.ids,
                mail_journey_final_content=final_content or {},
            )
            .create(
                {
                    "composition_mode": "mass_mail",
                    "model": journey.model,
                    "res_ids": self.mapped("res_id"),
                    "template_id": template.id,
                    "auto_delete": False,
                    "auto_delete_keep_log": True,
                    "force_send": False,
                    "mail_server_id": journey.mail_server_id.id,
                    "use_exclusion_list": False,
                }
            )
        )
        mails = composer._action_send_mail()[0]
        mail_by_res_id = {mail.res_id: mail for mail in mails}
        for trace in self:
            mail = mail_by_res_id.get(trace.res_id)
            trace.write(
                {
                    "mail_mail_id": mail.id,
                    "mail_message_id": mail.mail_message_id.id,
                    "message_id": mail.message_id,
                    "email": emails[trace.res_id],
                }
            )
        self.env["mail.mail"]._journey_trigger_senders()

    def _action_activity(self, step):
        records = self.enrollment_id._get_records()
        users = records._journey_get_salespersons()
        model_id = self.env["ir.model"]._get_id(step.journey_id.model)
        activity_type = step.activity_type_id or self.env.ref("mail.mail_activity_data_todo")
        deadline = fields.Date.context_today(self) + relativedelta(days=step.activity_deadline_days)
        # the journey assigns activities to the salespeople, whoever runs it
        self.env["mail.activity"].sudo().create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": trace.res_id,
                    "activity_type_id": activity_type.id,
                    "summary": step.activity_summary or step.name,
                    "note": (step.activity_note or Markup()) + trace._get_activity_origin(),
                    "date_deadline": deadline,
                    "user_id": (users.get(trace.res_id) or step.journey_id.create_uid).id,
                    "journey_trace_id": trace.id,
                }
                for trace in self
            ]
        )

    def _get_activity_origin(self):
        """Tell the salesperson which journey email and which engagement led
        to the activity of this trace."""
        self.ensure_one()
        parent = self.parent_trace_id
        lines = [
            self.env._("Scheduled by the journey '%(journey)s'.", journey=self.journey_id.name)
        ]
        if parent.mail_message_id:
            lines.append(
                self.env._(
                    "After the email '%(subject)s' of %(date)s.",
                    subject=parent.subject,
                    date=tools.format_datetime(self.env, parent.date_done),
                )
            )
        trigger = self.step_id.trigger
        engagement = {
            "opened": (parent.open_datetime, self.env._("The customer opened it on %(date)s.")),
            "clicked": (
                parent.click_datetime,
                self.env._("The customer clicked a link on %(date)s."),
            ),
            "replied": (parent.reply_datetime, self.env._("The customer replied on %(date)s.")),
        }.get(trigger)
        if engagement and engagement[0]:
            lines.append(engagement[1] % {"date": tools.format_datetime(self.env, engagement[0])})
        elif trigger in NEGATIVE_TRIGGERS:
            lines.append(
                {
                    "not_opened": self.env._("The customer did not open it in time."),
                    "not_clicked": self.env._("The customer did not click it in time."),
                    "not_replied": self.env._("The customer did not reply to it in time."),
                }[trigger]
            )
        return Markup('<p class="text-muted">%s</p>') % Markup("<br/>").join(lines)

    def _action_server_action(self, step):
        records = self.enrollment_id._get_records()
        step.server_action_id.with_context(
            active_model=records._name, active_ids=records.ids, active_id=records[:1].id
        ).run()

    def _action_set_stage(self, step):
        self.enrollment_id._get_records()._journey_set_stage(step.stage_id)

    def _action_exit(self, step):
        self.enrollment_id._close(
            "exited", self.env._("Exit step '%(step)s' reached.", step=step.name)
        )

    # ------------------------------------------------------------
    # TRACKING: signed URLs
    # ------------------------------------------------------------

    def _get_token(self, purpose, *extra):
        self.ensure_one()
        return tools.hmac(self.env(su=True), f"mail_journey-{purpose}", (self.id, *extra))

    def _check_token(self, token, purpose, *extra):
        """Whether ``token`` signs this trace for ``purpose``, within the
        tracking period after sending."""
        if len(self) != 1 or not token:
            return False
        # compared as bytes: a token of the URL may hold any character; the
        # signature is checked first, so that a forged URL costs no query
        if not tools.consteq(str(token).encode(), self._get_token(purpose, *extra).encode()):
            return False
        # one query reads the trace and tells whether it still exists
        if not self.search_fetch([("id", "=", self.id)], TRACKING_FIELDS, order="id"):
            return False
        days = int(self.env["ir.config_parameter"].sudo().get_param(TRACKING_DAYS_PARAM, 365))
        sent = self.date_done or self.create_date
        return bool(sent) and fields.Datetime.now() <= sent + relativedelta(days=days)

    def _get_tracking_url(self, purpose, *extra, base_url=None):
        self.ensure_one()
        path = "/".join(str(part) for part in (purpose[0], self.id, *extra))
        token = self._get_token(purpose, *extra)
        return f"{base_url or self.journey_id.get_base_url()}/mail_journey/{path}/{token}"

    def _get_unsubscribe_url(self, base_url=None):
        return self._get_tracking_url("unsubscribe", base_url=base_url)

    # ------------------------------------------------------------
    # ENGAGEMENT
    # ------------------------------------------------------------

    def _get_event_values(self, event_type, **values):
        """The values of one ``event_type`` event per trace of ``self``."""
        return [
            {
                "type": event_type,
                "trace_id": trace.id,
                **{name: trace[name].id for name in EVENT_COPIED_FIELDS},
                **values,
            }
            for trace in self
        ]

    def _log_events(self, event_type, **values):
        """Append one event per trace of ``self`` to the engagement log."""
        # nobody may write events but the journeys (access rights)
        return (
            self.env["mail.journey.event"]
            .sudo()
            .create(self._get_event_values(event_type, **values))
        )

    def _log_row_events(self, event_type, **values):
        """Append one "sent", "open" or "click" event per trace of ``self``
        (see ``mail.journey.event._insert_log_rows``)."""
        return self.env["mail.journey.event"]._insert_log_rows(
            self._get_event_values(event_type, **values)
        )

    @api.model
    def _record_sent(self, mail_ids):
        """Mark the traces of the emails ``mail_ids`` not yet sent as sent now
        and append their "sent" events, in one ``UPDATE`` and one ``INSERT``
        (``mail.journey.event._insert_log_rows``), without the ORM's
        per-record work: Odoo's queue calls this once per email it sent."""
        self.flush_model(["mail_mail_id", "sent_datetime"])
        self.env.cr.execute(
            SQL(
                """
            UPDATE mail_journey_trace
               SET sent_datetime = %s, write_uid = %s, write_date = %s
             WHERE mail_mail_id = ANY(%s) AND sent_datetime IS NULL
         RETURNING id, %s
                """,
                fields.Datetime.now(),
                self.env.uid,
                self.env.cr.now(),
                list(mail_ids),
                SQL(", ").join(SQL.identifier(name) for name in EVENT_COPIED_FIELDS),
            )
        )
        rows = self.env.cr.fetchall()
        self.browse([row[0] for row in rows]).invalidate_recordset(
            ["sent_datetime", "write_uid", "write_date"]
        )
        names = ("trace_id", *EVENT_COPIED_FIELDS)
        self.env["mail.journey.event"]._insert_log_rows(
            [{"type": "sent", **dict(zip(names, row, strict=True))} for row in rows]
        )

    def _register_open(self, user_agent=None, ip=None):
        self.ensure_one()
        now = fields.Datetime.now()
        reason = self.env["mail.journey.event"]._get_machine_reason(self, "open", user_agent, ip)
        self._log_row_events("open", is_machine=bool(reason), machine_reason=reason)
        if reason:
            return False
        # the counters are the engagement cron's (_update_engagement_counts):
        # a request writes the trace only on the first open, so that opens
        # and clicks of one email do not fail on each other's update
        if not self.open_datetime:
            self.write({"open_datetime": now, "last_open_datetime": now})
            self._on_engagement("opened")
        return True

    def _register_click(self, link, user_agent=None, ip=None, honeypot=False):
        self.ensure_one()
        now = fields.Datetime.now()
        reason = self.env["mail.journey.event"]._get_machine_reason(
            self, "click", user_agent, ip, link=link, honeypot=honeypot
        )
        self._log_row_events(
            "click", url=link.url, link_id=link.id, is_machine=bool(reason), machine_reason=reason
        )
        if reason:
            return False
        first_open = not self.open_datetime
        if first_open or not self.click_datetime:
            # a click is an open, even when the images were blocked
            self.write(
                {
                    "click_datetime": self.click_datetime or now,
                    "open_datetime": self.open_datetime or now,
                    "last_open_datetime": self.last_open_datetime or now,
                }
            )
        if first_open:
            self._on_engagement("opened")
        self._on_engagement("clicked", url=link.url)
        return True

    def _update_engagement_counts(self):
        """Count the opens and clicks of these traces from their events, in
        one query (the engagement cron, for the events it counts): a click
        or a reply proves an open, the last open is the latest one known."""
        if not self:
            return
        self.env["mail.journey.event"].flush_model()
        self.flush_recordset(["open_datetime", "last_open_datetime", "open_count"])
        self.env.cr.execute(
            SQL(
                """
            UPDATE mail_journey_trace trace
               SET open_count = GREATEST(
                       COALESCE(stats.opens, 0),
                       CASE WHEN trace.open_datetime IS NULL THEN 0 ELSE 1 END
                   ),
                   click_count = COALESCE(stats.clicks, 0),
                   last_open_datetime = GREATEST(trace.last_open_datetime, stats.last_open)
              FROM unnest(%(ids)s::int[]) AS target(id)
         LEFT JOIN (
                SELECT trace_id,
                       COUNT(*) FILTER (WHERE type = 'open') AS opens,
                       COUNT(*) FILTER (WHERE type = 'click') AS clicks,
                       MAX(date) FILTER (WHERE type = 'open') AS last_open
                  FROM mail_journey_event
                 WHERE trace_id = ANY(%(ids)s) AND type IN ('open', 'click') AND is_machine IS NOT TRUE
              GROUP BY trace_id
                ) stats ON stats.trace_id = target.id
             WHERE trace.id = target.id
                """,
                ids=self.ids,
            )
        )
        self.invalidate_recordset(["open_count", "click_count", "last_open_datetime"])

    def _register_reply(self, auto_reason=False, description=False, reading=None):
        """Record a reply to the emails of ``self``; automatic answers are
        logged but count for nothing, except what the journey does with an
        absence. ``reading`` is what the reply says, as read by
        ``mail.journey.intent`` (its intent, return date, referral) with the
        sentence it was read from (``sentence``)."""
        reading = reading or {}
        intent = self.env["mail.journey.reply.intent"]._get(reading.get("intent"))
        values = {
            "description": description,
            "reply_intent_id": intent.id,
            "intent_confidence": reading.get("confidence") or 0.0,
            "intent_sentence": reading.get("sentence") or False,
        }
        if auto_reason:
            self._log_events("auto_reply", is_machine=True, machine_reason=auto_reason, **values)
            self.env["mail.journey.reply"]._act(self, reading)
            return
        now = fields.Datetime.now()
        self._log_events("reply", **values)
        new = self.filtered(lambda trace: not trace.reply_datetime)
        new.reply_datetime = now
        self.reply_intent_id = intent
        # a reply proves an open, even when the images were blocked
        unopened = new.filtered(lambda trace: not trace.open_datetime)
        unopened.write({"open_datetime": now, "last_open_datetime": now, "open_count": 1})
        unopened._on_engagement("opened")
        # every reply may start the branches waiting for its intent
        self._on_engagement("replied", intent=intent.code or None)
        new.enrollment_id._journey_coordinate_account("reply")
        for journey, traces in new.grouped("journey_id").items():
            running = traces.enrollment_id.filtered(lambda e: e.state in ACTIVE_STATES)
            if journey.reply_stage_id:
                running._get_records()._journey_set_stage(journey.reply_stage_id)
            if journey.exit_on_reply:
                running._close("completed", self.env._("The customer replied."))
        self.env["mail.journey.reply"]._act(self, reading)

    def _register_bounce(self, description=False):
        self._log_events("bounce", description=description)
        new = self.filtered(lambda trace: not trace.bounce_datetime)
        new.bounce_datetime = fields.Datetime.now()
        new._on_engagement("bounced")

    def _register_unsubscribe(self):
        """Blacklist the address this email went to and exit this email's
        enrollment and every running enrollment of that address, in every
        journey.

        The address is the one recorded when the email was queued, not the
        record's current one: if the record's address changed since (a typo
        fixed, or someone else's address typed in), the recipient's click
        must not blacklist a stranger's address."""
        self.ensure_one()
        email = self.email
        if not self.unsubscribe_datetime:
            self.unsubscribe_datetime = fields.Datetime.now()
            self._log_events("unsubscribe", description=email)
        # the recipient (a public visitor) unsubscribes their own address and
        # leaves the journeys of it, whoever's records they are
        Enrollment = self.env["mail.journey.enrollment"].sudo()
        enrollments = Enrollment.browse(self.enrollment_id.ids).filtered(
            lambda enrollment: enrollment.state in ACTIVE_STATES
        )
        if email:
            self.env["mail.blacklist"].sudo()._add(
                email,
                message=self.env._(
                    "Unsubscribed from the journey email '%(subject)s'.", subject=self.subject
                ),
            )
            enrollments |= Enrollment.search(
                [
                    ("state", "in", ACTIVE_STATES),
                    "|",
                    ("lead_id.email_normalized", "=", email),
                    ("order_id.partner_id.email_normalized", "=", email),
                ]
            )
        else:
            _logger.warning(
                "Journey trace %s: unsubscribe request not added to the blacklist, "
                "the trace has no recorded recipient address; blacklist it by hand.",
                self.id,
            )
        enrollments._close("exited", self.env._("The customer unsubscribed."))

    def _on_engagement(self, trigger, url=None, intent=None):
        """The customer did ``trigger`` (opened, clicked, ...) with the emails
        of ``self``: cancel the pending "not" branches and schedule the
        matching branches (once), unless their "not" counterpart already ran
        at its deadline. A reply read as ``intent`` also schedules the
        branches waiting for that intent."""
        negative = f"not_{trigger}"
        triggers = (trigger, "replied_intent") if trigger == "replied" and intent else (trigger,)
        # the branches of the emails' steps, in one query (a request reads no step)
        children = (
            self.env["mail.journey.step"]
            .with_context(active_test=False)
            .search_fetch(
                [("parent_id", "in", self.step_id.ids)], ["trigger", "active", "parent_id"]
            )
        )
        negatives = children.filtered(lambda step: step.trigger == negative)
        if not negatives and not any(step.active and step.trigger in triggers for step in children):
            # no branch waits for this: a tracking request reads nothing more
            return
        decided = self.browse()
        if negatives:
            pending = self.search(
                [
                    ("parent_trace_id", "in", self.ids),
                    ("state", "=", "scheduled"),
                    ("step_id", "in", negatives.ids),
                ]
            ).filtered(lambda trace: trace.step_id._matches_url(url))
            pending._finish("cancelled", self.env._("The customer did it before the deadline."))
            decided = self.search(
                [
                    ("parent_trace_id", "in", self.ids),
                    ("state", "=", "done"),
                    ("step_id", "in", negatives.ids),
                ]
            ).parent_trace_id
        (self - decided).filtered(
            lambda trace: trace.enrollment_id.state in ACTIVE_STATES
        )._schedule_children(triggers, url=url, intent=intent)

    def _had_event(self, event_type, step, until):
        """Whether a person did ``event_type`` on this email at or before ``until``."""
        self.ensure_one()
        if event_type == "open":
            return bool(self.open_datetime) and self.open_datetime <= until
        if event_type == "reply":
            return bool(self.reply_datetime) and self.reply_datetime <= until
        return any(
            event.type == "click"
            and not event.is_machine
            and event.date <= until
            and step._matches_url(event.url)
            for event in self.event_ids
        )

    def _get_mail_tracking_values(self, mail_values_all):
        """Add the pixel, the tracked links, the legal footer and the
        unsubscribe headers to the emails of ``self`` (prepared by the mail
        composer, by record id), in place. Links are shortened with one
        link_tracker lookup for the whole batch; the footer is rendered once
        per company and gets each email's URLs by substitution."""
        traces = {trace.res_id: trace for trace in self}
        base_url = self.journey_id[:1].get_base_url()
        short_prefix = f"{base_url}/r/"
        parsed, links = {}, []
        for res_id, values in mail_values_all.items():
            body = values.get("body_html")
            if res_id not in traces or not body or tools.is_html_empty(body):
                continue
            root = lxml.html.fromstring(body)
            nodes, urls_and_labels = find_links_with_urls_and_labels(
                root,
                base_url,
                skip_regex=rf"^{URL_SKIP_PROTOCOL_REGEX}",
                skip_prefix=short_prefix,
                skip_list=["/mail_journey/", UNSUBSCRIBE_PLACEHOLDER],
            )
            parsed[res_id] = (root, nodes)
            # a title avoids link_tracker fetching every page while rendering
            links += [{**link, "title": link["label"] or link["url"]} for link in urls_and_labels]
        # links are shortened for the journey, whoever runs it
        trackers = iter(self.env["link.tracker"].sudo().search_or_create(links))
        footers = {}
        for res_id, (root, nodes) in parsed.items():
            trace = traces[res_id]
            for node in nodes:
                tracker = next(trackers)
                node.set("href", trace._get_tracking_url("click", tracker.code, base_url=base_url))
            values = mail_values_all[res_id]
            if pool := trace.journey_id.mail_server_ids:
                # rotation over the journey's servers (dedicated IPs)
                values["mail_server_id"] = pool[trace.id % len(pool)].id
            if trace.company_id not in footers:
                footers[trace.company_id] = self.env["ir.qweb"]._render(
                    "mail_journey_automation.mail_journey_email_footer",
                    {"company": trace.company_id, **FOOTER_URL_PLACEHOLDERS},
                )
            unsubscribe_url = trace._get_unsubscribe_url(base_url=base_url)
            footer = footers[trace.company_id]
            for key, url in (
                ("pixel_url", trace._get_tracking_url("open", base_url=base_url)),
                ("honeypot_url", trace._get_tracking_url("honeypot", base_url=base_url)),
                ("unsubscribe_url", unsubscribe_url),
            ):
                footer = footer.replace(FOOTER_URL_PLACEHOLDERS[key], url)
            body = lxml.html.tostring(root, encoding="unicode", method="xml")
            for placeholder in (f"{base_url}{UNSUBSCRIBE_PLACEHOLDER}", UNSUBSCRIBE_PLACEHOLDER):
                body = body.replace(f'"{placeholder}"', f'"{unsubscribe_url}"')
            values["body_html"] = tools.mail.append_content_to_html(body, footer, plaintext=False)
            headers = ast.literal_eval(values.get("headers") or "{}")
            headers.update(
                {
                    "List-Unsubscribe": f"<{unsubscribe_url}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    "X-Auto-Response-Suppress": "OOF",
                }
            )
            values["headers"] = repr(headers)
