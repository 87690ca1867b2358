import re

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL, email_normalize

from ..tools import machine
from .mail_journey import ACTIVE_STATES

# phone numbers of external events: separators dropped, then 6 to 17 digits
# (15 of E.164, or 17 with an international prefix 00)
PHONE_SEPARATORS = re.compile(r"[\s().-]")
PLAUSIBLE_PHONE = re.compile(r"^\+?[0-9]{6,17}$")

EVENT_TYPES = [
    ("sent", "Sent"),
    ("open", "Opened"),
    ("click", "Clicked"),
    ("reply", "Replied"),
    ("auto_reply", "Automatic reply"),
    ("bounce", "Bounced"),
    ("unsubscribe", "Unsubscribed"),
    ("external", "External event"),
]
# counted on the trace and the lead by the engagement cron, not by the request
COUNTED_LATER = ("open", "click")
# inserted by _insert_log_rows: one per email sent or per tracking request,
# none of them updates a lead at once
LOG_ROW_TYPES = ("sent", *COUNTED_LATER)
LOG_ROW_COLUMNS = (
    "type",
    "trace_id",
    "journey_id",
    "step_id",
    "lead_id",
    "company_id",
    "is_machine",
    "machine_reason",
    "url",
    "link_id",
)


class MailJourneyEvent(models.Model):
    """Append-only log of what a customer did with journey emails, and of
    external events (chat, WhatsApp, ...) reported for a lead. Nobody may
    change or delete events (access rights); the engine creates them."""

    _name = "mail.journey.event"
    _description = "Journey Engagement Event"
    _order = "date desc, id desc"

    type = fields.Selection(EVENT_TYPES, required=True, readonly=True, index=True)
    name = fields.Char(
        string="Event",
        readonly=True,
        help="External events: the name given by the reporting tool (e.g. whatsapp_inquiry).",
    )
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now, index=True)
    trace_id = fields.Many2one(
        "mail.journey.trace", readonly=True, index="btree_not_null", ondelete="set null"
    )
    journey_id = fields.Many2one(
        "mail.journey", readonly=True, index="btree_not_null", ondelete="set null"
    )
    step_id = fields.Many2one("mail.journey.step", readonly=True, ondelete="set null")
    lead_id = fields.Many2one("crm.lead", readonly=True, index=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    is_machine = fields.Boolean(
        string="Machine",
        readonly=True,
        help="Opened or clicked by a privacy proxy or a security scanner, not by a person: "
        "kept in the log and reports, but it fires no branch and adds nothing to the score.",
    )
    machine_reason = fields.Char(readonly=True)
    url = fields.Char(readonly=True)
    link_id = fields.Many2one("link.tracker", readonly=True, ondelete="set null")
    description = fields.Text(readonly=True)
    # replies: what the reply says (mail.journey.intent), and its correction
    reply_intent_id = fields.Many2one("mail.journey.reply.intent", readonly=True)
    intent_confidence = fields.Float(string="Confidence", readonly=True)
    intent_sentence = fields.Char(
        string="Read From",
        readonly=True,
        help="The sentence of the reply the intent was read from.",
    )
    intent_corrected = fields.Boolean(
        string="Corrected",
        readonly=True,
        help="A salesperson corrected what the classifier read.",
    )
    intent_original_id = fields.Many2one(
        "mail.journey.reply.intent", string="Classifier's Reading", readonly=True
    )
    payload = fields.Json(readonly=True)
    engagement_pending = fields.Boolean(
        string="Not Yet Counted",
        readonly=True,
        help="An open or a click not yet counted on the email's and the lead's engagement "
        "(counters, score): the engagement cron counts them within a minute.",
    )
    # the event in a salesperson's words, for the engagement timeline
    summary = fields.Char(string="What happened", compute="_compute_summary")

    @api.depends("type", "name", "url", "step_id.name", "is_machine", "reply_intent_id")
    @api.depends_context("lang")
    def _compute_summary(self):
        for event in self:
            summary = event._get_summary()
            if event.is_machine and event.type in ("open", "click"):
                summary = self.env._("%(summary)s (automatic, not a person)", summary=summary)
            event.summary = summary

    _engagement_pending_idx = models.Index("(id) WHERE engagement_pending")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals["engagement_pending"] = self._is_counted_later(vals)
        events = super().create(vals_list)
        # opens and clicks come by the hundred per second from the tracking
        # routes: the engagement cron counts them on their traces and leads in
        # batches, so that a request neither waits for nor locks (nor fails on
        # a concurrent update of) those rows. A "sent" or machine event counts
        # for nothing; the others count at once.
        events.filtered(
            lambda event: event.type != "sent"
            and not event.is_machine
            and event.type not in COUNTED_LATER
        ).lead_id._update_journey_engagement()
        return events

    @api.model
    def _is_counted_later(self, vals):
        """Whether the event of ``vals`` waits for the engagement cron: an
        open or a click by a person, of a journey email or of a lead."""
        return (
            vals.get("type") in COUNTED_LATER
            and bool(vals.get("trace_id") or vals.get("lead_id"))
            and not vals.get("is_machine")
        )

    @api.model
    def _insert_log_rows(self, vals_list):
        """Append the "sent", "open" and "click" events of ``vals_list``
        (values of ``LOG_ROW_COLUMNS`` only) in one ``INSERT``, as ``create``
        would store them, without its per-record work (defaults, access
        rules, record cache): they come one per email sent and one per
        tracking request, and none updates a lead at once (the engagement
        cron counts the opens and clicks), as website visitors' page views
        are recorded by ``website.visitor``. Return the ids of the events."""
        if not vals_list:
            return []
        for vals in vals_list:
            if vals["type"] not in LOG_ROW_TYPES or set(vals) - set(LOG_ROW_COLUMNS):
                raise ValueError(f"not a log row: {sorted(vals)}")
        now, date, uid = self.env.cr.now(), fields.Datetime.now(), self.env.uid
        columns = (*LOG_ROW_COLUMNS, "engagement_pending", "date")
        columns += ("create_uid", "create_date", "write_uid", "write_date")
        rows = [
            [
                bool(vals.get(name)) if name == "is_machine" else vals.get(name) or None
                for name in LOG_ROW_COLUMNS
            ]
            + [
                self._is_counted_later(vals),
                date,
                uid,
                now,
                uid,
                now,
            ]
            for vals in vals_list
        ]
        placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
        self.env.cr.execute(
            SQL(
                "INSERT INTO mail_journey_event (%s) VALUES %s RETURNING id",
                SQL(", ").join(SQL.identifier(name) for name in columns),
                SQL(", ").join(SQL(placeholders, *row) for row in rows),
            )
        )
        ids = [event_id for (event_id,) in self.env.cr.fetchall()]
        # the one2many fields of the events' traces, leads, ... read them again
        for name in ("trace_id", "journey_id", "step_id", "lead_id", "link_id", "company_id"):
            for inverse in self.pool.field_inverses[self._fields[name]]:
                self.env[inverse.model_name].invalidate_model([inverse.name])
        return ids

    @api.model
    def _count_pending_engagement(self, limit=5000):
        """Count up to ``limit`` pending opens and clicks on their traces
        (counters, last open) and leads (counters, dates, score, level);
        return how many were counted. Events held by another transaction are
        left for the next call."""
        self.flush_model(["engagement_pending"])
        self.env.cr.execute(
            SQL(
                """
            UPDATE mail_journey_event event
               SET engagement_pending = FALSE
              FROM (SELECT id FROM mail_journey_event
                     WHERE engagement_pending
                  ORDER BY id
                     LIMIT %s
                       FOR UPDATE SKIP LOCKED) batch
             WHERE event.id = batch.id
         RETURNING event.trace_id, event.lead_id
                """,
                limit,
            )
        )
        rows = self.env.cr.fetchall()
        self.invalidate_model(["engagement_pending"])
        self.env["mail.journey.trace"].browse(
            sorted({trace_id for trace_id, _lead_id in rows if trace_id})
        )._update_engagement_counts()
        self.env["crm.lead"].browse(
            sorted({lead_id for _trace_id, lead_id in rows if lead_id})
        )._update_journey_engagement()
        return len(rows)

    @api.model
    def _cron_count_engagement(self):
        """Count the pending opens and clicks on their traces and leads,
        committing after each batch. A batch that meets a concurrent update
        (a first open recorded on one of its traces, a lead saved meanwhile)
        is run again in a new transaction."""
        engine = self.env["mail.journey.engine"]
        while counted := engine._run_retrying(self._count_pending_engagement):
            if not self.env["ir.cron"]._commit_progress(counted):
                break

    def action_correct_intent(self):
        """Open the dialog correcting what the classifier read in this reply."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Correct the Reply Intent"),
            "res_model": "mail.journey.intent.correct",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_event_id": self.id,
                "default_reply_intent_id": self.reply_intent_id.id,
            },
        }

    def _correct_intent(self, intent):
        """A salesperson corrects the intent of these reply events: the
        correction is stored beside the classifier's reading, and the
        branches waiting for the corrected intent run (once). What the
        journey already did with the first reading is not undone."""
        replies = self.filtered(lambda event: event.type in ("reply", "auto_reply"))
        # the correction is the salesperson's: on replies they can read, to
        # emails of leads or orders they may edit (as the journey buttons)
        replies.check_access("read")
        replies.trace_id.enrollment_id._check_user_may_act()
        for event in replies.sudo():
            event.write(
                {
                    "reply_intent_id": intent.id,
                    "intent_corrected": True,
                    "intent_original_id": (event.intent_original_id or event.reply_intent_id).id,
                }
            )
            trace = event.trace_id
            if not trace:
                continue
            if event.type == "auto_reply" and intent.code not in ("out_of_office", "auto_reply"):
                # read as automatic, but a person wrote it: it is a reply
                trace._register_reply(
                    description=event.description,
                    reading={"intent": intent.code, "confidence": 1.0},
                )
            elif event.type == "reply":
                trace.reply_intent_id = intent
                trace._on_engagement("replied", intent=intent.code)

    def _get_summary(self):
        """What the customer did, in a salesperson's words."""
        self.ensure_one()
        email = self.step_id.name or self.env._("a journey email")
        if self.type == "sent":
            return self.env._("Sent the email '%(email)s'", email=email)
        if self.type == "open":
            return self.env._("Opened the email '%(email)s'", email=email)
        if self.type == "click":
            return self.env._("Clicked a link: %(url)s", url=self.url or "-")
        if self.type == "external":
            return self.env._("External: %(event)s", event=self.name or "-")
        if self.type == "reply" and self.reply_intent_id:
            return self.env._("Replied: %(intent)s", intent=self.reply_intent_id.name)
        return {
            "reply": self.env._("Replied"),
            "auto_reply": self.env._("Automatic reply (out of office)"),
            "bounce": self.env._("Bounced"),
            "unsubscribe": self.env._("Unsubscribed"),
        }.get(self.type, "")

    @api.model
    def _receive_external(self, company, name, email=None, phone=None, lead=None, **values):
        """Record the external event ``name`` on a lead of ``company`` with
        this email (else this phone), enroll the lead in the journeys of
        ``company`` started by that event and schedule the steps of its
        journeys waiting for it.

        Leads without a company are matched too (after the company's own),
        but only the journeys of ``company`` act on them: a company's token
        never enrolls a lead in, or moves it forward in, another company's
        journeys. A blank or invalid email or phone matches no lead. A
        caller that found the lead itself (of ``company`` or without company)
        gives it as ``lead``.

        :return: (event, enrollments, scheduled traces); an empty event when
          no lead matches
        """
        lead = lead or self._find_external_lead(company, email=email, phone=phone)
        if not lead:
            return (
                self.browse(),
                self.env["mail.journey.enrollment"],
                self.env["mail.journey.trace"],
            )
        event = self.create(
            {
                "type": "external",
                "name": name,
                "lead_id": lead.id,
                "company_id": company.id,
                **values,
            }
        )
        enrollments = self.env["mail.journey"]._enroll_on_event(
            lead, "external", company=company, event=event, external_event=name
        )
        waiting = self.env["mail.journey.trace"].search(
            [
                ("lead_id", "=", lead.id),
                ("company_id", "=", company.id),
                ("state", "=", "done"),
                ("enrollment_id.state", "in", ACTIVE_STATES),
                ("step_id.child_ids.trigger", "=", "event"),
            ]
        )
        return (
            event,
            enrollments,
            waiting._schedule_children(("event",), event_name=name, event=event),
        )

    @api.model
    def _find_external_lead(self, company, email=None, phone=None):
        """The lead an external event reported with ``email`` and ``phone``
        is about: by email, else by phone; a lead of ``company`` before a
        lead without company; never a lead of another company."""
        identifiers = []
        if email and (normalized := email_normalize(email)):
            identifiers.append(Domain("email_normalized", "=", normalized))
        if phone and (sanitized := self._sanitize_external_phone(phone)):
            # a blank phone would search the leads without one
            identifiers.append(Domain("phone_mobile_search", "=", sanitized))
        Lead = self.env["crm.lead"].with_company(company)
        for identifier in identifiers:
            for in_company in (
                Domain("company_id", "=", company.id),
                Domain("company_id", "=", False),
            ):
                if lead := Lead.search(identifier & in_company, limit=1):
                    return lead
        return Lead

    @api.model
    def _sanitize_external_phone(self, phone):
        """``phone`` without spaces, dashes, parentheses and dots, or False
        when what is left is not a plausible phone number (6 to 17 digits,
        after an optional leading +)."""
        sanitized = PHONE_SEPARATORS.sub("", phone or "")
        return sanitized if PLAUSIBLE_PHONE.match(sanitized) else False

    @api.model
    def _get_machine_reason(self, trace, kind, user_agent, ip, link=None, honeypot=False):
        """Why an open or a click of ``trace`` comes from a machine (privacy
        proxy, security scanner), or False when a person did it (rules in
        ``tools/machine.py``)."""
        if honeypot:
            reason = machine.MachineReason(machine.HONEYPOT)
        else:
            reason = machine.client_machine_reason(user_agent, ip)
        if not reason and kind == "click":
            reason = machine.click_machine_reason(*self._get_click_timing(trace, link))
        return self._get_machine_reason_text(reason)

    @api.model
    def _get_click_timing(self, trace, link):
        """(seconds since ``trace`` was sent or None, seconds since the
        latest click on another link than ``link`` of ``trace`` within the
        burst window or None), for ``machine.click_machine_reason``."""
        now = fields.Datetime.now()
        sent = trace.sent_datetime or trace.date_done
        latest = self.search_fetch(
            [
                ("trace_id", "=", trace.id),
                ("type", "=", "click"),
                ("link_id", "!=", link.id),
                ("date", ">=", now - relativedelta(seconds=machine.MACHINE_BURST_SECONDS)),
            ],
            ["date"],
            order="date desc",
            limit=1,
        )
        return (
            (now - sent).total_seconds() if sent else None,
            (now - latest.date).total_seconds() if latest else None,
        )

    @api.model
    def _get_machine_reason_text(self, reason):
        """The sentence, in the user's language, of a ``machine.MachineReason``
        (False for None)."""
        if not reason:
            return False
        code, detail = reason
        texts = {
            machine.HONEYPOT: lambda: self.env._("clicked the hidden link no person can see"),
            machine.NO_USER_AGENT: lambda: self.env._("no user agent"),
            machine.USER_AGENT: lambda: self.env._("user agent %(agent)s", agent=detail),
            machine.NETWORK: lambda: self.env._("address of %(network)s", network=detail),
            machine.CLICK_AFTER_SENDING: lambda: self.env._(
                "clicked %(seconds)s seconds after sending", seconds=detail
            ),
            machine.CLICK_BURST: lambda: self.env._("several links clicked within seconds"),
        }
        return texts[code]()
