from unittest.mock import patch

from psycopg2.errors import SerializationFailure

from odoo.tests import tagged

from .common import JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyCron(JourneyCommon):
    def test_enrollment_wakes_the_cron(self):
        journey = self._create_journey([self._email_step()])
        journey.action_start()
        xmlid = "mail_journey_automation.ir_cron_mail_journey_execute"
        before = self._count_triggers(xmlid)
        journey._enroll(self.leads[0])
        self.assertEqual(
            self._count_triggers(xmlid), before + 1, "an immediate step runs within a minute"
        )

    def test_cron_executes_due_traces_and_commits(self):
        journey = self._create_journey([self._email_step(), self._email_step(parent=0)])
        journey.action_start()
        journey._enroll(self.leads)
        cron = self.env.ref("mail_journey_automation.ir_cron_mail_journey_execute")
        with self.mock_mail_gateway(), self.enter_registry_test_mode():
            cron.sudo().method_direct_trigger()
        traces = self._traces(journey)
        self.assertEqual(len(traces), 6)
        self.assertEqual(set(traces.mapped("state")), {"done"})
        self.assertEqual(len(self._new_mails), 6)
        with self.mock_mail_gateway(), self.enter_registry_test_mode():
            cron.sudo().method_direct_trigger()
        self.assertFalse(self._new_mails, "a second run sends nothing again")

    def test_cron_runs_a_conflicting_batch_again(self):
        """A batch hit by a concurrent update (another executor, a user
        saving a lead) is rolled back and run again whole by the cron: its
        traces are not failed record by record."""
        journey = self._create_journey([self._email_step()])
        journey.action_start()
        journey._enroll(self.leads)
        Trace = self.registry["mail.journey.trace"]
        run_step_batch = Trace._run_step_batch
        calls = []

        def conflicting(traces, step):
            calls.append(traces.ids)
            if len(calls) == 1:
                raise SerializationFailure("could not serialize access due to concurrent update")
            return run_step_batch(traces, step)

        cron = self.env.ref("mail_journey_automation.ir_cron_mail_journey_execute")
        with (
            patch.object(Trace, "_run_step_batch", conflicting),
            self.mock_mail_gateway(),
            self.enter_registry_test_mode(),
        ):
            cron.sudo().method_direct_trigger()
        self.assertEqual(len(calls), 2, "the whole batch ran again")
        self.assertEqual(calls[0], calls[1])
        traces = self._traces(journey)
        self.assertEqual(set(traces.mapped("state")), {"done"})
        self.assertEqual(len(self._new_mails), 3, "each email queued once")

    def test_cron_counts_the_due_traces_once_not_per_batch(self):
        """The due traces are counted for the cron's progress when the
        estimate runs out, not after each batch (the count scans every
        scheduled trace); the progress ends with nothing remaining."""
        journey = self._create_journey([self._email_step()])
        journey.action_start()
        journey._enroll(self.leads)
        self.env["ir.config_parameter"].sudo().set_param("mail_journey.batch_size", 1)
        Trace = self.registry["mail.journey.trace"]
        count_due = Trace._count_due
        counts = []

        def counting(traces):
            counts.append(count_due(traces))
            return counts[-1]

        cron = self.env.ref("mail_journey_automation.ir_cron_mail_journey_execute")
        with (
            patch.object(Trace, "_count_due", counting),
            self.mock_mail_gateway(),
            self.enter_registry_test_mode(),
        ):
            cron.sudo().method_direct_trigger()
        self.assertEqual(set(self._traces(journey).mapped("state")), {"done"})
        self.assertEqual(
            counts, [2, 0], "counted after the first batch and when the estimate ran out"
        )
        progress = (
            self.env["ir.cron.progress"]
            .sudo()
            .search([("cron_id", "=", cron.id)], order="id desc", limit=1)
        )
        self.assertEqual((progress.done, progress.remaining), (3, 0))
