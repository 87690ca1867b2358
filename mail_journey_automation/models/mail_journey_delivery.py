import hashlib
import logging
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..tools.free_mail import business_domain
from .mail_journey_step import NEGATIVE_TRIGGERS

_logger = logging.getLogger(__name__)

# as mass_mailing: past this many bounces an address is no longer mailed
BOUNCE_LIMIT = 5
# days in which the same email (same template content) goes once to an
# address, across journeys: copies of a ready-made journey send it once
DUPLICATE_DAYS_PARAM = "mail_journey.duplicate_days"
DUPLICATE_DAYS_DEFAULT = 30


class DeliveryBatch:
    """The due traces of one step going through the pipeline, with what
    the stages read once for the whole batch (records, addresses, time
    zones) and what they leave for the send (approved content)."""

    def __init__(self, env, step, traces):
        self.env = env
        self.step = step
        self.journey = step.journey_id
        self.traces = traces
        self.final_content = {}
        self.approvals = env["mail.journey.approval"]
        self.postponed = traces.browse()
        self._cache = {}

    def _get(self, key, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    @property
    def records(self):
        return self._get("records", lambda: self.traces.enrollment_id._get_records())

    @property
    def emails(self):
        return self._get("emails", lambda: self.records._journey_get_emails())

    @property
    def timezones(self):
        return self._get("timezones", lambda: self.records._journey_get_timezones())

    def apply(self, outcome):
        """Take the traces a stage stopped or postponed out of the batch:
        {(state, reason): traces}. A postponed trace ("scheduled") has its new
        date from the stage and gets the reason (None: the stage wrote its
        own); a stopped one ends with its state and reason."""
        for (state, reason), traces in outcome.items():
            if not traces:
                continue
            if state == "scheduled":
                if reason:
                    traces.write({"state_message": reason})
                self.postponed |= traces
            else:
                traces.filtered(lambda trace: trace.state == "scheduled")._finish(state, reason)
                traces._journey_cancel_approvals(reason)
            self.traces -= traces


class MailJourneyDelivery(models.AbstractModel):
    """The delivery pipeline: the one place that decides whether a due step
    runs now, later, or never, and why.

    Every due trace of a step goes through the stages of ``_get_stages`` in
    their order; each stage takes the traces still going and returns
    ``{(state, reason): traces}`` for those it stops (``cancelled``,
    ``skipped``, ``error``) or postpones (``scheduled``, with a new date),
    and the reason is what the step execution shows. What is left at the end
    runs the step's action, in one batch:

    ============  =====================================================
    record        cancelled: the record was deleted
    goal          cancelled: the journey's exit goal is reached
    parent_event  cancelled: the customer did it before the deadline of
                  a "not opened / not clicked / not replied" branch
    condition     skipped: the step's condition (and segment) is not met
    *email steps*
    hold_out      skipped: the enrollment is in the hold-out group (the
                  journey goes on as if the email was sent and not read)
    suppression   error / skipped: no valid address, blacklisted, bounced
                  too often, no consent, already sent this email (this
                  step through another record, or the same email from
                  another journey of the company within
                  ``mail_journey.duplicate_days``)
    variant       scheduled: waits for the winner of the A/B test
    approval      scheduled: waits for the salesperson, or escalated;
                  approved emails go on with their approved content
    send_time     scheduled: waits for the hour the customer opens emails
    window        scheduled: outside the send window or working calendar,
                  in the recipient's time zone
    limits        scheduled: caps per recipient (day, week), per company
                  and email domain (week), then the hourly limit; only
                  emails actually queued count
    ============  =====================================================

    Adding a stage is one ``_stage_<name>(batch)`` method and one name in
    ``_get_stages``."""

    _name = "mail.journey.delivery"
    _description = "Journey Delivery Pipeline"

    @api.model
    def _get_stages(self, step):
        stages = ["record", "goal", "parent_event", "condition"]
        if step.action == "email":
            stages += [
                "hold_out",
                "suppression",
                "variant",
                "approval",
                "send_time",
                "window",
                "limits",
            ]
        return stages

    @api.model
    def _run(self, traces, step):
        """Pass the due ``traces`` of ``step`` through the stages, then run
        the step's action on those still going: they end done, and their
        children are scheduled."""
        batch = DeliveryBatch(self.env, step, traces)
        for stage in self._get_stages(step):
            if not batch.traces:
                break
            batch.apply(getattr(self, f"_stage_{stage}")(batch))
        batch.postponed._trigger_execution()
        traces = batch.traces
        if not traces:
            return
        if step.action == "email":
            failed = self._send(batch)
        else:
            failed = getattr(traces, f"_action_{step.action}")(step) or {}
        batch.apply(failed)
        batch.traces._finish("done")
        if step.action != "exit":
            batch.traces._schedule_children(("parent", *NEGATIVE_TRIGGERS))
        batch.approvals.filtered(lambda approval: approval.trace_id in batch.traces)._mark_sent()

    # ------------------------------------------------------------
    # STAGES: each returns {(state, reason): traces}
    # ------------------------------------------------------------

    @api.model
    def _stage_record(self, batch):
        existing = set(batch.records.exists().ids)
        gone = batch.traces.filtered(lambda trace: trace.res_id not in existing)
        reason = self.env._("The record was deleted.")
        gone._finish("cancelled", reason)
        gone.enrollment_id._close("cancelled", reason)
        return {("cancelled", reason): gone}

    @api.model
    def _stage_goal(self, batch):
        journey = batch.journey
        if not journey.goal_domain:
            return {}
        try:
            goal = journey._get_domain("goal_domain")
        except ValidationError as error:
            # a goal broken since it was saved (e.g. a removed field)
            _logger.warning("Journey %s cannot check its exit goal: %s", journey.id, error)
            return {("error", str(error)): batch.traces}
        reached = set(batch.records.exists().filtered_domain(goal).ids)
        done = batch.traces.filtered(lambda trace: trace.res_id in reached)
        reason = self.env._("Goal reached.")
        done.enrollment_id._close("completed", reason)
        return {("cancelled", reason): done}

    @api.model
    def _stage_parent_event(self, batch):
        step = batch.step
        if step.trigger not in NEGATIVE_TRIGGERS:
            return {}
        came = batch.traces.filtered(
            lambda trace: trace.parent_trace_id._had_event(
                NEGATIVE_TRIGGERS[step.trigger], step, trace.schedule_date
            )
        )
        return {("cancelled", self.env._("The customer did it before the deadline.")): came}

    @api.model
    def _stage_condition(self, batch):
        condition = batch.step._get_condition()
        if condition.is_true():
            return {}
        matching = set(batch.records.filtered_domain(condition).ids)
        unmatched = batch.traces.filtered(lambda trace: trace.res_id not in matching)
        return {("skipped", self.env._("The condition of the step is not met.")): unmatched}

    @api.model
    def _stage_hold_out(self, batch):
        held = batch.traces.filtered(lambda trace: trace.enrollment_id.is_holdout)
        reason = self.env._("Hold-out: this record gets no journey email.")
        held._finish("skipped", reason)
        held._schedule_children(("parent", *NEGATIVE_TRIGGERS))
        return {("skipped", reason): held}

    @api.model
    def _stage_suppression(self, batch):
        reasons = self._get_suppression_reasons(batch.records, batch.journey)
        duplicates = self._get_duplicates(batch)
        outcome = defaultdict(lambda: batch.traces.browse())
        for trace in batch.traces:
            reason = reasons.get(trace.res_id) or duplicates.get(trace)
            if reason:
                outcome[reason] |= trace
        return outcome

    @api.model
    def _stage_variant(self, batch):
        return batch.traces._assign_variants(batch.step, batch.records)

    @api.model
    def _stage_approval(self, batch):
        if not batch.step.approval_required:
            return {}
        outcome, ready = self.env["mail.journey.approval"]._journey_review(batch.traces, batch.step)
        batch.approvals = ready
        batch.final_content.update(
            {
                approval.res_id: {"subject": approval.subject, "body_html": approval.body_html}
                for approval in ready
            }
        )
        return outcome

    @api.model
    def _stage_send_time(self, batch):
        journey = batch.journey
        to_time = batch.traces.filtered(lambda trace: not trace.send_time_optimized)
        if not journey.send_time_optimization or not to_time:
            return {}
        now = fields.Datetime.now()
        timezones = batch.timezones
        hours = journey._get_best_open_hours(
            to_time.lead_id,
            {trace.lead_id.id: timezones.get(trace.res_id) for trace in to_time},
        )
        openings = {}  # (moment, tz): the window's opening, computed once for the batch
        by_date = defaultdict(lambda: batch.traces.browse())
        for trace in to_time.filtered(lambda trace: trace.lead_id.id in hours):
            tz_name = timezones.get(trace.res_id)
            best = journey._get_next_hour(now, hours[trace.lead_id.id], tz_name)
            if (best, tz_name) not in openings:
                openings[best, tz_name] = journey._get_window_opening(best, tz_name)
            if best > now and openings[best, tz_name] == best:
                by_date[best] |= trace
        for date, traces in by_date.items():
            traces.write({"schedule_date": date, "send_time_optimized": True})
        reason = self.env._("Send-time optimisation: waits for the hour the customer opens.")
        return {("scheduled", reason): batch.traces.browse().union(*by_date.values())}

    @api.model
    def _stage_window(self, batch):
        journey = batch.journey
        if not (journey.window_enabled or journey.window_calendar):
            return {}
        now = fields.Datetime.now()
        timezones = batch.timezones
        # one opening per time zone (the working calendar is read once each)
        openings = {
            tz_name: journey._get_window_opening(now, tz_name)
            for tz_name in {timezones.get(trace.res_id) for trace in batch.traces}
        }
        by_date = defaultdict(lambda: batch.traces.browse())
        for trace in batch.traces:
            date = openings[timezones.get(trace.res_id)]
            if date > now:
                by_date[date] |= trace
        for date, traces in by_date.items():
            traces.write({"schedule_date": date})
        reason = self.env._("Outside the send window: waits for it to open.")
        return {("scheduled", reason): batch.traces.browse().union(*by_date.values())}

    @api.model
    def _stage_limits(self, batch):
        """Caps per recipient, company and email domain, then the hourly
        limit, checked trace by trace in one pass: a trace counts in the
        ledgers of the batch only when it passes them all, so that an email
        postponed or stopped never holds another back."""
        journey, emails = batch.journey, batch.emails
        now = fields.Datetime.now()
        day_cap, week_cap = journey._get_caps()
        account_cap, domain_cap = journey._get_account_caps()
        allowance, next_slot = journey._get_hourly_allowance(now)
        if not (day_cap or week_cap or account_cap or domain_cap) and allowance is None:
            return {}
        recipients = self._get_recipient_history(
            {emails.get(trace.res_id) for trace in batch.traces} - {False}
            if day_cap or week_cap
            else set(),
            now,
        )
        free_domains = self.env["mail.journey.record.mixin"]._journey_get_free_mail_domains()
        domains = {
            trace: domain
            for trace in batch.traces
            if (domain := business_domain(emails.get(trace.res_id) or "", free_domains))
        }
        accounts = self._get_account_history(
            journey.company_id,
            {trace.enrollment_id.account_key for trace in batch.traces} - {False}
            if account_cap
            else set(),
            set(domains.values()) if domain_cap else set(),
            now - timedelta(days=7),
        )
        reasons = {
            "recipient": self.env._(
                "Frequency cap reached for this address: waits for a free slot."
            ),
            "account": self.env._(
                "Weekly limit of emails to this company reached: waits for a free slot."
            ),
            "hourly": self.env._("Hourly sending limit reached: waits for the next slot."),
        }
        postponed = defaultdict(lambda: batch.traces.browse())
        dates = {}
        for trace in batch.traces:
            sent = recipients[emails.get(trace.res_id)]
            recent = [date for date in sent if date > now - timedelta(days=1)]
            waits = {}
            if day_cap and len(recent) >= day_cap:
                waits["recipient"] = recent[-day_cap] + timedelta(days=1)
            if week_cap and len(sent) >= week_cap:
                waits["recipient"] = max(
                    waits.get("recipient", now), sent[-week_cap] + timedelta(days=7)
                )
            scopes = {
                ("account", trace.enrollment_id.account_key): account_cap,
                ("domain", domains.get(trace)): domain_cap,
            }
            account_waits = [
                history[-limit] + timedelta(days=7)
                for key, limit in scopes.items()
                if key[1] and limit and len(history := accounts[key]) >= limit
            ]
            if account_waits:
                waits["account"] = max(account_waits)
            if not waits and allowance is not None and allowance <= 0:
                waits["hourly"] = next_slot
            if waits:
                scope = next(iter(waits))
                dates[trace] = max(waits.values())
                postponed[reasons[scope]] |= trace
                continue
            # queued: later traces of this batch count it
            sent.append(now)
            for key in scopes:
                if key[1]:
                    accounts[key].append(now)
            if allowance is not None:
                allowance -= 1
        for trace, date in dates.items():
            trace.schedule_date = date
        return {("scheduled", reason): traces for reason, traces in postponed.items()}

    # ------------------------------------------------------------
    # SEND
    # ------------------------------------------------------------

    @api.model
    def _send(self, batch):
        """Render and queue the emails of the batch, one composer pass per
        template (the step's or a variant's), approved content as data."""
        step = batch.step
        for template, traces in batch.traces.grouped(
            lambda trace: trace.variant_id.template_id or step.mail_template_id
        ).items():
            traces._send_email(
                step,
                batch.emails,
                template,
                final_content={
                    res_id: content
                    for res_id, content in batch.final_content.items()
                    if res_id in traces.mapped("res_id")
                },
            )
            traces.write({"template_key": self._get_template_key(template)})
        return {}

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    @api.model
    def _get_suppression_reasons(self, records, journey):
        """Return {record id: (state, reason)} for the records a journey email
        must not reach: no or invalid address, blacklisted, too many bounces,
        no consent when the journey requires it, or an address already
        reached through another of ``records``."""
        emails = records._journey_get_emails()
        bounces = records._journey_get_bounce_counts()
        # the blacklist is admin-only; it is only checked here
        blacklisted = set(
            self.env["mail.blacklist"]
            .sudo()
            .search([("email", "in", [email for email in emails.values() if email])])
            .mapped("email")
        )
        consenting = (
            set(records.filtered_domain(records._journey_consent_domain()).ids)
            if journey.consent_required
            else set(records.ids)
        )
        reasons, seen = {}, set()
        for record in records:
            email = emails.get(record.id)
            if not email:
                reasons[record.id] = ("error", self.env._("The record has no valid email address."))
            elif email in blacklisted:
                reasons[record.id] = ("skipped", self.env._("The email address is blacklisted."))
            elif bounces.get(record.id, 0) >= BOUNCE_LIMIT:
                reasons[record.id] = ("skipped", self.env._("The email address bounced too often."))
            elif record.id not in consenting:
                reasons[record.id] = ("skipped", self.env._("The contact gave no consent."))
            elif email in seen:
                reasons[record.id] = (
                    "skipped",
                    self.env._("This address already got this email through another record."),
                )
            seen.add(email)
        return reasons

    @api.model
    def _get_duplicates(self, batch):
        """{trace: (state, reason)} for the traces whose address already got
        this email: this step through another record, or the same content
        (a template or its copy) from another journey of the same company in
        the last ``mail_journey.duplicate_days`` days (0: not checked across
        journeys).
        A journey may send the same template again itself (a reminder)."""
        step, emails = batch.step, batch.emails
        addresses = [email for email in emails.values() if email]
        Trace = self.env["mail.journey.trace"]
        same_step = set(
            Trace.search(
                [("step_id", "=", step.id), ("state", "=", "done"), ("email", "in", addresses)]
            ).mapped("email")
        )
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(DUPLICATE_DAYS_PARAM, DUPLICATE_DAYS_DEFAULT)
        )
        keys = {
            trace: self._get_template_key(trace.variant_id.template_id or step.mail_template_id)
            for trace in batch.traces
        }
        same_email = set()
        if days > 0 and addresses:
            same_email = {
                (trace.email, trace.template_key)
                for trace in Trace.search(
                    [
                        ("state", "=", "done"),
                        ("email", "in", addresses),
                        ("template_key", "in", list(set(keys.values()))),
                        ("journey_id", "!=", batch.journey.id),
                        ("company_id", "=", batch.journey.company_id.id),
                        ("date_done", ">", fields.Datetime.now() - timedelta(days=days)),
                    ]
                )
            }
        duplicates = {}
        for trace in batch.traces:
            email = emails.get(trace.res_id)
            if email in same_step:
                duplicates[trace] = (
                    "skipped",
                    self.env._("This address already got this email through another record."),
                )
            elif (email, keys[trace]) in same_email:
                duplicates[trace] = (
                    "skipped",
                    self.env._(
                        "This address already got the same email from another journey in the "
                        "last %(days)s days.",
                        days=days,
                    ),
                )
        return duplicates

    @api.model
    def _get_template_key(self, template):
        """A fingerprint of the content of ``template`` (subject and body as
        written, in the source language): a copy has the same."""
        source = f"{template.model}\0{template.subject or ''}\0{template.body_html or ''}"
        return hashlib.sha256(source.encode()).hexdigest()[:32]

    @api.model
    def _get_recipient_history(self, emails, now):
        """{address: sorted dates} of the journey emails sent to ``emails``
        in the week before ``now``."""
        history = defaultdict(list)
        if not emails:
            return history
        for trace in self.env["mail.journey.trace"].search(
            [
                ("email", "in", list(emails)),
                ("state", "=", "done"),
                ("date_done", ">", now - timedelta(days=7)),
            ],
            order="date_done",
        ):
            history[trace.email].append(trace.date_done)
        return history

    @api.model
    def _get_account_history(self, company, keys, domains, since):
        """{(scope, key): sorted dates} of the journey emails of ``company``
        sent since ``since`` to the customer companies ``keys`` and the email
        ``domains``: another company's emails never count (nor show)."""
        history = defaultdict(list)
        if not keys and not domains:
            return history
        self.env["mail.journey.trace"].flush_model()
        self.env["mail.journey.enrollment"].flush_model(["account_key", "company_id"])
        self.env.cr.execute(
            SQL(
                """
                SELECT enrollment.account_key,
                       SPLIT_PART(trace.email, '@', 2),
                       trace.date_done
                  FROM mail_journey_trace trace
                  JOIN mail_journey_enrollment enrollment ON enrollment.id = trace.enrollment_id
                 WHERE trace.step_action = 'email'
                   AND trace.state = 'done'
                   AND trace.date_done > %(since)s
                   AND enrollment.company_id = %(company)s
                   AND (enrollment.account_key = ANY(%(keys)s)
                        OR SPLIT_PART(trace.email, '@', 2) = ANY(%(domains)s))
              ORDER BY trace.date_done
                """,
                since=since,
                company=company.id,
                keys=list(keys),
                domains=list(domains),
            )
        )
        for account_key, domain, date in self.env.cr.fetchall():
            if account_key in keys:
                history["account", account_key].append(date)
            if domain in domains:
                history["domain", domain].append(date)
        return history
