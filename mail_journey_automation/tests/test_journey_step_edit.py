from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import BROWSER, NOW, PERSON_IP, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyStepEdit(JourneyCommon):
    """Editing a running journey: a step that ran is archived instead of
    deleted, its waiting records are cancelled, and the step form says what
    an edit does to the records waiting for the step."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.journey = cls._create_journey(
            [
                cls._email_step(name="Welcome"),
                cls._email_step(
                    cls.template_intro, name="Introduction", parent=0, interval_number=2
                ),
            ]
        )
        cls.welcome, cls.intro = cls.journey.step_ids
        cls.journey.action_start()

    def _remove(self, steps, user=None):
        """Remove ``steps`` as the journey form does: a delete command."""
        self.journey.with_user(user or self.user_journey_manager).write(
            {"step_ids": [Command.delete(step.id) for step in steps]}
        )

    def test_removed_step_that_ran_is_archived_with_its_history(self):
        sent = self._send_first_email(self.journey)
        with self.mock_datetime_and_now(NOW + timedelta(hours=1)):
            sent._register_open(BROWSER, PERSON_IP)
        self._remove(self.welcome)
        self.assertTrue(self.welcome.exists(), "a step that ran is not deleted")
        self.assertFalse(self.welcome.active)
        self.assertFalse(self.intro.active, "the steps below an archived step go with it")
        self.assertFalse(self.journey.step_ids, "the journey lists its active steps only")
        self.assertTrue(sent.exists())
        self.assertEqual(sent.state, "done")
        self.assertEqual(sent.step_id, self.welcome)
        self.assertEqual(sent.event_ids.mapped("type"), ["open"])
        self.assertEqual(sent.event_ids.step_id, self.welcome)
        self.env.flush_all()
        report = self.env["mail.journey.report"]._read_group(
            [("journey_id", "=", self.journey.id)], ["step_id"], ["sent:sum", "opened:sum"]
        )
        self.assertEqual(
            {step: (sent, opened) for step, sent, opened in report},
            {self.welcome: (1, 1), self.intro: (0, 0)},
            "the archived step's email and its open stay in the report, and so does the "
            "cancelled trace of the step below it",
        )

    def test_waiting_records_of_a_removed_step_are_cancelled(self):
        self._send_first_email(self.journey, self.leads)
        waiting = self._traces(self.journey, step_id=self.intro.id)
        self.assertEqual(waiting.mapped("state"), ["scheduled"] * 3)
        self._remove(self.intro)
        self.assertFalse(self.intro.active)
        self.assertEqual(waiting.mapped("state"), ["cancelled"] * 3)
        self.assertEqual(set(waiting.mapped("state_message")), {"Step removed"})
        self.assertIn(
            "Introduction: 3 waiting records cancelled.", self.journey.message_ids[0].body
        )
        self.assertEqual(self.welcome.done_count, 3, "the step above keeps its history")
        self.assertTrue(self.welcome.active)

    def test_step_that_never_ran_is_deleted(self):
        self._send_first_email(self.journey)
        extra = self.env["mail.journey.step"].create(
            self._email_step(
                name="Extra",
                journey_id=self.journey.id,
                parent_id=self.welcome.id,
                trigger="parent",
            )
        )
        self._remove(extra)
        self.assertFalse(extra.exists())
        self._remove(self.intro)
        self.assertTrue(self.intro.exists(), "a step with a waiting record is kept")
        draft = self._create_journey([self._email_step()])
        draft.step_ids.unlink()
        self.assertFalse(draft.with_context(active_test=False).step_ids)

    def test_archived_step_is_not_scheduled(self):
        self._send_first_email(self.journey)
        self._remove(self.intro)
        self._send_first_email(self.journey, self.leads[1])
        self.assertEqual(
            self._traces(self.journey, lead_id=self.leads[1].id).step_id,
            self.welcome,
            "no trace of the removed step for a record that reaches it afterwards",
        )

    def test_trace_of_archived_step_left_scheduled_does_not_run(self):
        self._send_first_email(self.journey)
        waiting = self._traces(self.journey, step_id=self.intro.id)
        # archived by hand (not through the removal): the executor still does not run it
        self.intro.active = False
        with self.mock_datetime_and_now(NOW + timedelta(days=3)), self.mock_mail_gateway():
            self._process()
        self.assertEqual((waiting.state, waiting.state_message), ("cancelled", "Step removed"))
        self.assertFalse(waiting.mail_message_id)

    def test_salesperson_cannot_remove_a_step(self):
        self._send_first_email(self.journey)
        with mute_logger("odoo.addons.base.models.ir_model"), self.assertRaises(AccessError):
            self.intro.with_user(self.user_sales).unlink()
        self.assertTrue(self.intro.active)
        self.assertEqual(self._traces(self.journey, step_id=self.intro.id).state, "scheduled")

    def test_stopped_journey_with_history_can_be_deleted(self):
        self._send_first_email(self.journey)
        self.journey.action_stop()
        self.journey.unlink()
        self.assertFalse(self.welcome.exists())

    def test_new_wait_applies_to_records_not_yet_scheduled(self):
        self._send_first_email(self.journey)
        before = self._traces(self.journey, step_id=self.intro.id)
        self.assertEqual(before.schedule_date, NOW + timedelta(days=2))
        self.intro.interval_number = 5
        self.assertEqual(before.schedule_date, NOW + timedelta(days=2), "its date is kept")
        self._send_first_email(self.journey, self.leads[1])
        after = self._traces(self.journey, step_id=self.intro.id, lead_id=self.leads[1].id)
        self.assertEqual(after.schedule_date, NOW + timedelta(days=5))

    def test_step_form_warns_of_waiting_records(self):
        self.assertFalse(self.intro.edit_warning)
        self._send_first_email(self.journey)
        self.assertIn("1 record is waiting for this step", self.intro.edit_warning)
        self._send_first_email(self.journey, self.leads[1:])
        self.intro.invalidate_recordset(["scheduled_count", "edit_warning"])
        self.assertIn("3 records are waiting for this step", self.intro.edit_warning)
        self.assertIn("a new wait applies only to the records that reach", self.intro.edit_warning)
        self.assertFalse(self.welcome.edit_warning, "nobody waits for the first email any more")
        self.journey.action_stop()
        self.intro.invalidate_recordset(["scheduled_count", "edit_warning"])
        self.assertFalse(self.intro.edit_warning, "a stopped journey has nobody waiting")

    def test_step_figures_shown_once_records_reached_the_step(self):
        self.assertFalse(self.welcome.has_run)
        self._send_first_email(self.journey)
        self.welcome.invalidate_recordset(["has_run"])
        self.assertTrue(self.welcome.has_run)
        self.assertEqual(self.welcome.mail_template_subject, self.template_welcome.subject)
        self.assertEqual(
            self.welcome.description,
            "At the start → Send an email 'Welcome'",
            "the dialog sums up the step in one sentence",
        )
