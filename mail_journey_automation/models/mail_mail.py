import logging
import re
from datetime import timedelta

from odoo import api, fields, models, modules
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# the reply code of an SMTP error, as smtplib's exceptions print it: (450, b'...')
SMTP_REPLY_CODE = re.compile(r"\((?P<code>[245]\d\d), b?['\"]")
# Odoo's failure types that no retry can mend (the sender itself is refused)
PERMANENT_FAILURES = {"mail_from_invalid", "mail_from_missing", "mail_spam"}
# Odoo deletes these mails itself: the trace already says the address is wrong
ADDRESS_FAILURES = {"mail_email_invalid", "mail_email_missing"}
# minutes before each new attempt; after the last one the trace shows the failure
RETRY_DELAYS = (5, 15, 45, 135)
# the journey senders' PostgreSQL advisory locks: (this key, mail.mail id)
SENDER_LOCK_KEY = 1_786_452_301
# journey emails a sender locks and sends at a time (a few seconds of work)
SENDER_CHUNK = 50
# the due journey emails left after a chunk are counted up to this many (the
# cron's progress and whether to go on), so that the count does not grow with the queue
REMAINING_COUNTED = 1000
# the cron code that makes a cron one of the journey senders
SENDER_CODE = "model._cron_send_journey_emails()"


class MailMail(models.Model):
    _inherit = "mail.mail"

    journey_trace_ids = fields.One2many("mail.journey.trace", "mail_mail_id")

    # the queue's emails among every email ever kept (journey emails are)
    _outgoing_index = models.Index("(id) WHERE state = 'outgoing'")

    @api.model
    def process_email_queue(self, email_ids=(), batch_size=1000):
        """Odoo's queue cron sends one batch (1,000 emails) per run and means
        to tell the cron runner what remains, but its progress callback
        checks ``self.env.get("ir_cron")``, which is never set: the cron
        reports nothing left, and the rest would wait for the hourly run.
        When the queue runs as a whole (not given ids) and its batch went
        out, trigger the cron while emails remain, so that the next run
        follows at once. One batch per run, as Odoo sends it: a run that
        went on batch after batch would outlive the time limits of a cron
        worker (``--limit-time-cpu``, 60 s by default) and be killed in the
        middle of an email. A batch that sent nothing (every email still
        due: the queue failed) triggers nothing: no loop on a broken queue.

        Journey emails are not in that batch: several journey senders send
        them at once, each locking the emails it sends (see
        ``_journey_send_chunk``); the queue run sends one chunk of them as
        one more sender, so that whatever runs the queue delivers them."""
        if email_ids:
            return super().process_email_queue(email_ids=email_ids, batch_size=batch_size)
        queue = self.with_context(
            filters=[*self.env.context.get("filters", []), ("journey_trace_ids", "=", False)]
        )
        size = self.env["ir.config_parameter"].sudo().get_param("mail.mail.queue.batch.size")
        batch = queue.search(queue._journey_due_domain(), limit=int(size or 0) or batch_size)
        result = super(MailMail, queue).process_email_queue(batch_size=batch_size)
        domain = queue._journey_due_domain()
        sent = len(batch) - self.search_count([("id", "in", batch.ids), *domain])
        if sent and self.search_count(domain, limit=1):
            self.env.ref("mail.ir_cron_mail_scheduler_action")._trigger()
        sent, remaining = self._journey_send_chunk()
        if sent and remaining:
            self._journey_trigger_senders()
        return result

    @api.model
    def _journey_due_domain(self):
        """The emails Odoo's queue sends now (with its context's filters)."""
        return [
            ("state", "=", "outgoing"),
            "|",
            ("scheduled_date", "=", False),
            ("scheduled_date", "<=", fields.Datetime.now()),
            *self.env.context.get("filters", []),
        ]

    @api.model
    def _cron_send_journey_emails(self):
        """A journey sender: send due journey emails chunk after chunk while
        the cron runner's time lasts. Any number of senders, on any number
        of servers, run side by side: each sends the emails it locked.

        When the time is up with emails left, the senders are triggered: the
        cron runner reschedules a partly done cron without waking the cron
        workers, and an idle one would otherwise sleep up to a minute (its
        poll interval) while a single sender works."""
        while True:
            sent, remaining = self._journey_send_chunk(SENDER_CHUNK)
            if not sent:
                # nothing due, or every due email is another sender's
                self.env["ir.cron"]._commit_progress(remaining=0)
                return
            if not remaining:
                self.env["ir.cron"]._commit_progress(sent, remaining=0)
                return
            if not self.env["ir.cron"]._commit_progress(sent, remaining=remaining):
                self._journey_trigger_senders()
                return

    @api.model
    def _journey_send_chunk(self, size=None):
        """Lock up to ``size`` due journey emails that no other sender holds
        and send them; return (emails locked, due journey emails left, counted
        up to ``REMAINING_COUNTED``).

        The locks are PostgreSQL session advisory locks on (SENDER_LOCK_KEY,
        mail id): unlike row locks they outlive the commit that Odoo's
        sender makes after each email, and PostgreSQL drops them with the
        connection of a sender that dies, so its emails go to the next one
        (the email in flight when it died may go twice, as with Odoo's own
        queue). Emails are locked in the order of the queue, each one only
        if free (``pg_try_advisory_lock`` as a filter above a window, so
        that the limit stops the locking), then read again in a transaction
        begun after the locks: an email sent by another sender that
        released it meanwhile is seen as sent and left."""
        size = size or SENDER_CHUNK
        auto_commit = not modules.module.current_test
        now = fields.Datetime.now()
        self.flush_model(["state", "scheduled_date"])
        self.env["mail.journey.trace"].flush_model(["mail_mail_id"])
        self.env.cr.execute(
            SQL(
                """
            SELECT id FROM (SELECT mail.id FROM mail_mail mail WHERE %s
                          ORDER BY mail.id
                             LIMIT %s) candidate
             WHERE pg_try_advisory_lock(%s, candidate.id)
             LIMIT %s
                """,
                self._journey_due_sql(now),
                size * 20,
                SENDER_LOCK_KEY,
                size,
            )
        )
        locked = [mail_id for (mail_id,) in self.env.cr.fetchall()]
        if not locked:
            return 0, 0
        try:
            if auto_commit:
                # ends the locking transaction: the emails are read again after the locks
                self.env.cr.commit()  # pylint: disable=invalid-commit
            self.invalidate_model(["state", "scheduled_date"])
            self.search([("id", "in", locked), *self._journey_due_domain()]).send(
                auto_commit=auto_commit
            )
        except Exception:
            if auto_commit:
                self.env.cr.rollback()
            raise
        finally:
            self.env.cr.execute(
                "SELECT pg_advisory_unlock(%s, mail_id) FROM unnest(%s) mail_id",
                [SENDER_LOCK_KEY, locked],
            )
        self.flush_model(["state", "scheduled_date"])
        self.env.cr.execute(
            SQL(
                "SELECT count(*) FROM (SELECT FROM mail_mail mail WHERE %s LIMIT %s) due",
                self._journey_due_sql(fields.Datetime.now()),
                REMAINING_COUNTED,
            )
        )
        return len(locked), self.env.cr.fetchone()[0]

    @api.model
    def _journey_due_sql(self, now):
        """The condition of the journey emails due at ``now`` (``mail``):
        ``_journey_due_domain`` in SQL, for journey emails only."""
        return SQL(
            """mail.state = 'outgoing'
               AND (mail.scheduled_date IS NULL OR mail.scheduled_date <= %s)
               AND EXISTS (SELECT FROM mail_journey_trace trace WHERE trace.mail_mail_id = mail.id)""",
            now,
        )

    @api.model
    def _journey_trigger_senders(self, at=None):
        """Wake the journey senders (or Odoo's queue, which sends journey
        emails too, when every sender is archived)."""
        if not self.env["ir.cron"]._journey_trigger_workers(self._name, SENDER_CODE, at):
            self.env.ref("mail.ir_cron_mail_scheduler_action")._trigger(at)

    def _postprocess_sent_message(
        self, success_pids, success_emails, failure_reason=False, failure_type=None
    ):
        if not failure_type:
            self._journey_record_sent()
        elif failure_type not in ADDRESS_FAILURES:
            self.filtered("journey_trace_ids")._journey_retry_or_fail(failure_reason, failure_type)
        return super()._postprocess_sent_message(
            success_pids, success_emails, failure_reason=failure_reason, failure_type=failure_type
        )

    def _journey_record_sent(self):
        """Record that the mail server took the emails of ``self``: their
        traces' send date and a "sent" event each
        (``mail.journey.trace._record_sent``).

        Odoo's queue calls this after the SMTP server accepted the email: an
        exception here would mark the mail failed (a journey mail is then
        queued again) or roll its sent state back, and the customer would get
        the email twice. The bookkeeping therefore runs in a savepoint, and a
        failure only costs the send date and the event, logged as a warning
        (ids only, no address). A savepoint rather than a deferred step (a
        postcommit hook, or a flag read by a cron): the send date stays in
        the transaction that marks the mail sent, with nothing to catch up
        later, and the "sent" event updates no lead counter, so no lead row
        is locked here. Emails of no journey cost one query and no savepoint."""
        self.env["mail.journey.trace"].flush_model(["mail_mail_id", "sent_datetime"])
        self.env.cr.execute(
            "SELECT 1 FROM mail_journey_trace WHERE mail_mail_id = ANY(%s) "
            "AND sent_datetime IS NULL LIMIT 1",
            [self.ids],
        )
        if not self.env.cr.rowcount:
            return
        try:
            # only SQL of the journey's own in the savepoint: the mail's state
            # is left to Odoo. SQL, so no access check: the mail queue runs for
            # whoever triggered it, and delivery is the journey's record
            with self.env.cr.savepoint(flush=False):
                self.env["mail.journey.trace"]._record_sent(self.ids)
        except Exception as error:  # noqa: BLE001 - the email is gone: its send must stand
            _logger.warning(
                "Journey emails (mail.mail %s) were sent, but their traces' send date and "
                "event could not be recorded: %s",
                self.ids,
                type(error).__name__,
            )

    def _journey_retry_or_fail(self, failure_reason, failure_type):
        """Odoo's queue leaves a mail that could not be delivered in exception
        for good. A journey mail goes back to the queue after a growing delay
        when the failure may pass (server unreachable, timeout, 4xx), at most
        ``len(RETRY_DELAYS)`` times; a permanent refusal (5xx, refused
        sender) or the last failed attempt marks its trace failed with the
        server's answer. The same mail.mail is sent again, never a copy."""
        if not self:
            return
        codes = {match["code"] for match in SMTP_REPLY_CODE.finditer(failure_reason or "")}
        permanent = failure_type in PERMANENT_FAILURES or any(code[0] == "5" for code in codes)
        # the traces are the journey's bookkeeping: the queue runs them as any user
        traces = self.sudo().journey_trace_ids
        now = fields.Datetime.now()
        retry_at = []
        for attempts, group in traces.grouped("send_attempts").items():
            group.send_attempts = attempts + 1
            if permanent or attempts >= len(RETRY_DELAYS):
                group.write(
                    {
                        "state": "error",
                        "state_message": self.env._(
                            "The mail server did not accept the email after %(count)s "
                            "attempt(s): %(reason)s",
                            count=attempts + 1,
                            reason=failure_reason or failure_type,
                        ),
                    }
                )
                continue
            date = now + timedelta(minutes=RETRY_DELAYS[attempts])
            # requeued by the engine, whoever's send failed (mail.mail is admin-only)
            group.mail_mail_id.sudo().write({"state": "outgoing", "scheduled_date": date})
            group.state_message = self.env._(
                "Delivery failed (%(reason)s): new attempt on %(date)s UTC.",
                reason=failure_reason or failure_type,
                date=date,
            )
            retry_at.append(date)
        if retry_at:
            self._journey_trigger_senders(min(retry_at))
