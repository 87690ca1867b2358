from datetime import timedelta
from unittest.mock import patch

from psycopg2.errors import SerializationFailure

from odoo.tests import tagged

from .common import BROWSER, EXECUTORS, NOW, PERSON_IP, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyCron(JourneyCommon):
    def _executor_triggers(self):
        return [self._count_triggers(xmlid) for xmlid in EXECUTORS]

    def test_enrollment_wakes_the_executors(self):
        journey = self._create_journey([self._email_step()])
        journey.action_start()
        before = self._executor_triggers()
        journey._enroll(self.leads[0])
        self.assertEqual(
            self._executor_triggers(),
            [count + 1 for count in before],
            "an immediate step runs within a minute, on whichever executor is free",
        )

    def test_executors_run_the_same_method(self):
        crons = self.env["ir.cron"].browse([self.env.ref(xmlid).id for xmlid in EXECUTORS])
        self.assertEqual(set(crons.mapped("code")), {"model._cron_execute()"})
        self.assertEqual(set(crons.mapped("model_id.model")), {"mail.journey.engine"})
        self.assertTrue(all(crons.mapped("active")))

    def test_archived_executor_is_not_woken(self):
        """An archived executing cron is one executor less: only the active
        one is woken; a duplicated one is woken too."""
        journey = self._create_journey([self._email_step()])
        journey.action_start()
        first, second = (self.env.ref(xmlid).sudo() for xmlid in EXECUTORS)
        second.active = False
        third = first.copy({"name": "Journeys: execute due steps (executor 3)"})
        Trigger = self.env["ir.cron.trigger"].sudo()
        before = [
            Trigger.search_count([("cron_id", "=", cron.id)]) for cron in (first, second, third)
        ]
        journey._enroll(self.leads[0])
        self.assertEqual(
            [Trigger.search_count([("cron_id", "=", cron.id)]) for cron in (first, second, third)],
            [before[0] + 1, before[1], before[2] + 1],
        )

    def test_idle_completion_runs_again_after_a_conflict(self):
        """Another executor completed idle enrollments after this one's
        transaction began: the completion is rolled back and run again in a
        new transaction, the cron does not fail."""
        journey = self._create_journey(
            [
                self._email_step(),
                {"name": "Call the reader", "action": "activity", "parent": 0, "trigger": "opened"},
            ],
            engagement_days=1,
        )
        journey.action_start()
        enrollments = self._send_first_email(journey, self.leads).enrollment_id
        self.assertEqual(set(enrollments.mapped("state")), {"running"})
        Enrollment = self.registry["mail.journey.enrollment"]
        complete_idle = Enrollment._complete_idle
        calls = []

        def conflicting(enrollment, *args, **kwargs):
            calls.append(1)
            if len(calls) == 1:
                raise SerializationFailure("could not serialize access due to concurrent update")
            return complete_idle(enrollment, *args, **kwargs)

        cron = self.env.ref(EXECUTORS[1])
        with (
            patch.object(Enrollment, "_complete_idle", conflicting),
            self.mock_datetime_and_now(NOW + timedelta(days=2)),
            self.enter_registry_test_mode(),
        ):
            cron.sudo().method_direct_trigger()
        self.assertEqual(len(calls), 2, "run again once")
        self.assertEqual(set(enrollments.mapped("state")), {"completed"})

    def test_engagement_count_runs_again_after_a_conflict(self):
        """A first open was recorded on a trace of the batch after the
        engagement cron's transaction began: the batch is rolled back and
        counted again in a new transaction, the cron does not fail."""
        journey = self._create_journey([self._email_step()])
        journey.action_start()
        trace = self._send_first_email(journey)
        with self.mock_datetime_and_now(NOW + timedelta(hours=1)):
            trace._register_open(BROWSER, PERSON_IP)
        Trace = self.registry["mail.journey.trace"]
        update_counts = Trace._update_engagement_counts
        calls = []

        def conflicting(traces, *args, **kwargs):
            calls.append(traces.ids)
            if len(calls) == 1:
                raise SerializationFailure("could not serialize access due to concurrent update")
            return update_counts(traces, *args, **kwargs)

        cron = self.env.ref("mail_journey_automation.ir_cron_mail_journey_count_engagement")
        with (
            patch.object(Trace, "_update_engagement_counts", conflicting),
            self.enter_registry_test_mode(),
        ):
            cron.sudo().method_direct_trigger()
        self.assertEqual(calls[:2], [trace.ids, trace.ids], "run again once")
        self.assertEqual(calls[2:], [[]], "then nothing left to count")
        self.assertEqual(trace.open_count, 1)
        self.assertEqual(self.leads[0].journey_open_count, 1)
        self.assertFalse(trace.event_ids.filtered("engagement_pending"))

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
        Delivery = self.registry["mail.journey.delivery"]
        run = Delivery._run
        calls = []

        def conflicting(delivery, traces, step):
            calls.append(traces.ids)
            if len(calls) == 1:
                raise SerializationFailure("could not serialize access due to concurrent update")
            return run(delivery, traces, step)

        cron = self.env.ref("mail_journey_automation.ir_cron_mail_journey_execute")
        with (
            patch.object(Delivery, "_run", conflicting),
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
        Engine = self.registry["mail.journey.engine"]
        count_due = Engine._count_due
        counts = []

        def counting(engine):
            counts.append(count_due(engine))
            return counts[-1]

        cron = self.env.ref("mail_journey_automation.ir_cron_mail_journey_execute")
        with (
            patch.object(Engine, "_count_due", counting),
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

    def test_date_cron_goes_on_after_a_failing_journey(self):
        """A journey whose date check raises is rolled back alone, logged
        and told on its chatter; the next journeys are checked."""
        field = self.env["ir.model.fields"]._get("crm.lead", "date_deadline")
        broken, fine = (
            self._create_journey(
                [self._email_step()], name=name, trigger="date", date_field_id=field.id
            )
            for name in ("Broken", "Fine")
        )
        (broken | fine).action_start()
        Journey = self.registry["mail.journey"]
        enroll_reached_dates = Journey._enroll_reached_dates
        checked = []

        def failing_for_broken(journeys):
            checked.append(journeys.id)
            if journeys.id == broken.id:
                journeys.name = "Renamed before failing"
                raise ValueError("the date field is gone")
            return enroll_reached_dates(journeys)

        cron = self.env.ref("mail_journey_automation.ir_cron_mail_journey_enroll_dates")
        with (
            patch.object(Journey, "_enroll_reached_dates", failing_for_broken),
            self.assertLogs("odoo.addons.mail_journey_automation.models.mail_journey", "ERROR"),
            self.enter_registry_test_mode(),
        ):
            cron.sudo().method_direct_trigger()
        self.assertEqual(sorted(checked), sorted([broken.id, fine.id]))
        self.assertEqual(broken.name, "Broken", "the failing journey's changes are rolled back")
        self.assertIn("the date field is gone", broken.message_ids[0].body)

    def test_cron_resumes_after_its_last_batch_and_ends_from_the_head(self):
        """Each lock of a run starts after the last trace the run locked (the
        traces done before stay in the due index until VACUUM); the run ends
        with a lock from the head of the queue, which takes a trace that
        became due before the resume point meanwhile."""
        journey = self._create_journey([self._email_step()])
        journey.action_start()
        journey._enroll(self.leads[:2])
        late = self.env["crm.lead"].create(
            {"name": "Late", "email_from": "late@late.example.com", "user_id": self.user_sales.id}
        )
        self.env["ir.config_parameter"].sudo().set_param("mail_journey.batch_size", 1)
        Engine = self.registry["mail.journey.engine"]
        lock_due = Engine._lock_due
        calls = []

        def recording(engine, limit, after=None):
            traces = lock_due(engine, limit, after=after)
            calls.append((after, traces.ids))
            if len(calls) == 2:
                # due an hour ago: before the resume point of this run
                journey._enroll(late)
                trace = self._traces(journey).filtered(lambda t: t.res_id == late.id)
                trace.schedule_date = trace.schedule_date - timedelta(hours=1)
                trace.flush_recordset()
            return traces

        cron = self.env.ref("mail_journey_automation.ir_cron_mail_journey_execute")
        with (
            patch.object(Engine, "_lock_due", recording),
            self.mock_mail_gateway(),
            self.enter_registry_test_mode(),
        ):
            cron.sudo().method_direct_trigger()
        traces = self._traces(journey)
        self.assertEqual(len(traces), 3)
        self.assertEqual(set(traces.mapped("state")), {"done"}, "the late one too")
        first, second = calls[0][1], calls[1][1]
        trace = self.env["mail.journey.trace"].browse(first)
        self.assertEqual(calls[0][0], None)
        self.assertEqual(calls[1][0], (trace.schedule_date, trace.id), "after the first batch")
        late_trace = traces.filtered(lambda t: t.res_id == late.id)
        self.assertNotIn(late_trace.id, [*first, *second])
        self.assertEqual(calls[2][1], [], "nothing after the resume point")
        self.assertEqual(calls[3], (None, late_trace.ids), "the head of the queue, at the end")
        self.assertEqual(calls[-1][1], [])

    def test_cron_out_of_time_triggers_the_executors(self):
        """Out of time with traces left, the cron triggers the executors: the
        cron runner would reschedule it without waking an idle cron worker."""
        journey = self._create_journey([self._email_step()])
        journey.action_start()
        journey._enroll(self.leads)
        self.env["ir.config_parameter"].sudo().set_param("mail_journey.batch_size", 1)
        cron = self.env.ref(EXECUTORS[0])
        before = self._executor_triggers()
        with (
            self.mock_mail_gateway(),
            self.enter_registry_test_mode(),
            self.registry.cursor() as cr,
        ):
            # the runner's time is over before the first batch ends
            cron = cron.with_env(self.env(cr=cr, context={"cron_id": cron.id, "cron_end_time": 0}))
            cron, progress = cron._add_progress()
            cron.env["mail.journey.engine"]._cron_execute()
            self.assertEqual((progress.done, progress.remaining), (1, 2))
        self.assertEqual(self._executor_triggers(), [count + 1 for count in before])
        self.assertEqual(
            sorted(self._traces(journey).mapped("state")), ["done", "scheduled", "scheduled"]
        )
