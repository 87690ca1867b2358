from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

from odoo import sql_db
from odoo.tests import tagged

from odoo.addons.mail_journey_automation.models import mail_mail

from .common import NOW, SENDERS, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyMailQueue(JourneyCommon):
    """Journey emails go out through senders that run side by side, each
    sending the emails it locked; Odoo's queue sends the other emails batch
    after batch, without waiting for its hourly run."""

    def setUp(self):
        super().setUp()
        self.journey = self._create_journey([self._email_step()])
        self.journey.action_start()
        with self.mock_datetime_and_now(NOW):
            self.journey._enroll(self.leads[:3])
            self.mails = self._process().mail_mail_id
        self.assertEqual(len(self.mails), 3)
        # the queue holds this journey's emails and three other emails only
        self.env["mail.mail"].search(
            [("id", "not in", self.mails.ids), ("state", "=", "outgoing")]
        ).state = "cancel"
        self.others = self.env["mail.mail"].create(
            [
                {
                    "email_to": f"other{index}@example.com",
                    "subject": "Other",
                    "body_html": "<p>Hi</p>",
                }
                for index in range(3)
            ]
        )
        self.env["ir.config_parameter"].sudo().set_param("mail.mail.queue.batch.size", 2)
        self.queue_cron = self.env.ref("mail.ir_cron_mail_scheduler_action")
        self.Trigger = self.env["ir.cron.trigger"].sudo()

    def _run_queue(self, mail_model):
        with self.mock_datetime_and_now(NOW), self.mock_smtplib_connection():
            mail_model.process_email_queue()

    def _send_chunk(self, size=None):
        with self.mock_datetime_and_now(NOW), self.mock_smtplib_connection():
            return self.env["mail.mail"]._journey_send_chunk(size)

    def _triggers(self, cron):
        return self.Trigger.search_count([("cron_id", "=", cron.id)])

    @contextmanager
    def _other_sender(self, mails):
        """Another sender, on a connection of its own, holding ``mails``."""
        with sql_db.db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute(
                "SELECT bool_and(pg_try_advisory_lock(%s, id)) FROM unnest(%s) id",
                [mail_mail.SENDER_LOCK_KEY, mails.ids],
            )
            self.assertTrue(cr.fetchone()[0])
            try:
                yield cr
            finally:
                cr.execute("SELECT pg_advisory_unlock_all()")

    def test_queue_triggered_again_while_emails_remain(self):
        triggers = self._triggers(self.queue_cron)
        self._run_queue(self.env["mail.mail"])
        self.assertEqual(sorted(self.others.mapped("state")), ["outgoing", "sent", "sent"])
        self.assertEqual(set(self.mails.mapped("state")), {"sent"}, "one sender's chunk")
        self.assertEqual(
            self._triggers(self.queue_cron), triggers + 1, "the queue runs again at once"
        )
        self._run_queue(self.env["mail.mail"])
        self.assertEqual(set(self.others.mapped("state")), {"sent"})
        self.assertEqual(self._triggers(self.queue_cron), triggers + 1, "nothing left: no new run")

    def test_one_batch_per_cron_run(self):
        """Run by the cron, the queue sends one batch and lets the run end
        (the next run is triggered): a run going on batch after batch would
        outlive a cron worker's time limits and be killed mid-email."""
        with self.enter_registry_test_mode(), self.registry.cursor() as cr:
            cron = self.queue_cron.with_env(
                self.env(cr=cr, context={"cron_id": self.queue_cron.id})
            )
            cron, progress = cron._add_progress()
            self._run_queue(cron.env["mail.mail"])
            self.assertEqual((progress.done, progress.remaining), (0, 0))
            self.assertEqual(
                sorted(self.others.with_env(cron.env).mapped("state")), ["outgoing", "sent", "sent"]
            )

    def test_given_emails_leave_the_cron_alone(self):
        triggers = self._triggers(self.queue_cron)
        with self.mock_datetime_and_now(NOW), self.mock_smtplib_connection():
            self.env["mail.mail"].process_email_queue(email_ids=self.mails[:1].ids)
        self.assertEqual(self.mails[:1].state, "sent")
        self.assertEqual(self._triggers(self.queue_cron), triggers)

    def test_sender_sends_journey_emails_only(self):
        self.assertEqual(self._send_chunk(), (3, 0))
        self.assertEqual(set(self.mails.mapped("state")), {"sent"})
        self.assertEqual(set(self.others.mapped("state")), {"outgoing"}, "Odoo's queue sends them")
        self.assertEqual(self._send_chunk(), (0, 0), "nothing left")

    def test_sender_sends_by_chunk_in_queue_order(self):
        self.assertEqual(self._send_chunk(size=2), (2, 1))
        self.assertEqual(self.mails.sorted("id").mapped("state"), ["sent", "sent", "outgoing"])

    def test_sender_counts_what_is_left_up_to_a_bound(self):
        """The emails left are counted up to REMAINING_COUNTED: the count
        after each chunk does not grow with the queue."""
        with patch.object(mail_mail, "REMAINING_COUNTED", 1):
            self.assertEqual(self._send_chunk(size=1), (1, 1), "two left, counted up to one")
            self.assertEqual(self._send_chunk(size=1), (1, 1))
            self.assertEqual(self._send_chunk(size=1), (1, 0))
        self.assertEqual(set(self.mails.mapped("state")), {"sent"})

    def test_sender_leaves_emails_another_sender_holds(self):
        with self._other_sender(self.mails[:1]):
            self.assertEqual(self._send_chunk(), (2, 1), "the held email is still due")
            self._run_queue(self.env["mail.mail"])
            self.assertEqual(self.mails.mapped("state"), ["outgoing", "sent", "sent"])
        self.assertEqual(self._send_chunk(), (1, 0), "released: the next sender sends it")
        self.assertEqual(self.mails[0].state, "sent")

    def test_sender_releases_its_locks(self):
        self._send_chunk()
        with self._other_sender(self.mails) as cr:
            cr.execute(
                """
                SELECT count(*) FROM pg_locks
                 WHERE locktype = 'advisory' AND classid = %s AND granted
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """,
                [mail_mail.SENDER_LOCK_KEY],
            )
            self.assertEqual(cr.fetchone()[0], 3, "the other sender's locks only")

    def test_sender_leaves_emails_sent_or_not_due(self):
        """A sent email, or a retry not yet due, is neither locked nor sent."""
        self.mails[0].state = "sent"
        self.mails[1].scheduled_date = NOW + timedelta(minutes=5)
        self.assertEqual(self._send_chunk(), (1, 0))
        self.assertEqual(self.mails.mapped("state"), ["sent", "outgoing", "sent"])

    def test_sender_cron_sends_chunk_after_chunk(self):
        sender = self.env.ref(SENDERS[0]).sudo()
        with (
            patch.object(mail_mail, "SENDER_CHUNK", 1),
            self.mock_smtplib_connection(),
            self.enter_registry_test_mode(),
        ):
            sender.method_direct_trigger()
        self.env.invalidate_all()  # the cron ran in a cursor of its own
        self.assertEqual(set(self.mails.mapped("state")), {"sent"})
        self.assertEqual(set(self.others.mapped("state")), {"outgoing"})

    def test_archived_senders_leave_journey_emails_to_odoo_queue(self):
        senders = self.env["ir.cron"].browse([self.env.ref(xmlid).id for xmlid in SENDERS])
        before = [self._triggers(cron) for cron in senders + self.queue_cron]
        self.env["mail.mail"]._journey_trigger_senders()
        self.assertEqual(
            [self._triggers(cron) for cron in senders + self.queue_cron],
            [before[0] + 1, before[1] + 1, before[2]],
        )
        senders.sudo().active = False
        self.env["mail.mail"]._journey_trigger_senders()
        self.assertEqual(self._triggers(self.queue_cron), before[2] + 1)
        self._run_queue(self.env["mail.mail"])
        self.assertEqual(set(self.mails.mapped("state")), {"sent"}, "the queue sends them")

    def test_sender_out_of_time_wakes_the_senders(self):
        """A sender whose run is out of time with emails left triggers the
        senders: the cron runner would reschedule it without waking an idle
        cron worker, which polls once a minute."""
        sender = self.env.ref(SENDERS[0])
        senders = self.env["ir.cron"].browse([self.env.ref(xmlid).id for xmlid in SENDERS])
        before = [self._triggers(cron) for cron in senders]
        with self.enter_registry_test_mode(), self.registry.cursor() as cr:
            # the runner's time is over before the first chunk ends
            cron = sender.with_env(
                self.env(cr=cr, context={"cron_id": sender.id, "cron_end_time": 0})
            )
            cron, progress = cron._add_progress()
            with patch.object(mail_mail, "SENDER_CHUNK", 1), self.mock_smtplib_connection():
                cron.env["mail.mail"]._cron_send_journey_emails()
            self.assertEqual((progress.done, progress.remaining), (1, 2))
        self.assertEqual(
            [self._triggers(cron) for cron in senders], [count + 1 for count in before]
        )
        self.assertEqual(sorted(self.mails.mapped("state")), ["outgoing", "outgoing", "sent"])
