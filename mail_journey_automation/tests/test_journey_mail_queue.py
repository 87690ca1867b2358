from odoo.tests import tagged

from .common import NOW, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyMailQueue(JourneyCommon):
    """Odoo's mail queue sends a journey's emails batch after batch, without
    waiting for its hourly run."""

    def setUp(self):
        super().setUp()
        self.journey = self._create_journey([self._email_step()])
        self.journey.action_start()
        with self.mock_datetime_and_now(NOW):
            self.journey._enroll(self.leads[:3])
            self.mails = self._process().mail_mail_id
        self.assertEqual(len(self.mails), 3)
        # the queue holds this journey's emails only
        self.env["mail.mail"].search(
            [("id", "not in", self.mails.ids), ("state", "=", "outgoing")]
        ).state = "cancel"
        self.env["ir.config_parameter"].sudo().set_param("mail.mail.queue.batch.size", 2)
        self.queue_cron = self.env.ref("mail.ir_cron_mail_scheduler_action")
        self.Trigger = self.env["ir.cron.trigger"].sudo()

    def _run_queue(self, mail_model):
        with self.mock_datetime_and_now(NOW), self.mock_smtplib_connection():
            mail_model.process_email_queue()

    def _triggers(self):
        return self.Trigger.search_count([("cron_id", "=", self.queue_cron.id)])

    def test_queue_triggered_again_while_emails_remain(self):
        triggers = self._triggers()
        self._run_queue(self.env["mail.mail"])
        self.assertEqual(sorted(self.mails.mapped("state")), ["outgoing", "sent", "sent"])
        self.assertEqual(self._triggers(), triggers + 1, "the queue runs again at once")
        self._run_queue(self.env["mail.mail"])
        self.assertEqual(set(self.mails.mapped("state")), {"sent"})
        self.assertEqual(self._triggers(), triggers + 1, "nothing left: no new run")

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
                sorted(self.mails.with_env(cron.env).mapped("state")), ["outgoing", "sent", "sent"]
            )

    def test_given_emails_leave_the_cron_alone(self):
        triggers = self._triggers()
        with self.mock_datetime_and_now(NOW), self.mock_smtplib_connection():
            self.env["mail.mail"].process_email_queue(email_ids=self.mails[:1].ids)
        self.assertEqual(self.mails[:1].state, "sent")
        self.assertEqual(self._triggers(), triggers)
