from datetime import timedelta

from odoo.tests import tagged

from .common import BROWSER, NOW, PERSON_IP, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyBranch(JourneyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.journey = cls._create_journey(
            [
                cls._email_step(name="Welcome"),
                cls._email_step(
                    cls.template_intro,
                    name="Thanks for reading",
                    parent=0,
                    trigger="opened",
                    interval_number=1,
                    interval_unit="days",
                ),
                cls._email_step(
                    cls.template_intro,
                    name="Reminder",
                    parent=0,
                    trigger="not_opened",
                    interval_number=3,
                    interval_unit="days",
                ),
                {
                    "name": "Call the clicker",
                    "action": "activity",
                    "parent": 0,
                    "trigger": "clicked",
                    "click_url": "https://www.example.com/pricing",
                },
                {
                    "name": "Proposal",
                    "action": "set_stage",
                    "parent": 0,
                    "trigger": "replied",
                    "stage_id": cls.env.ref("mail_journey_automation.stage_proposal").id,
                },
                {
                    "name": "Nudge",
                    "action": "activity",
                    "parent": 0,
                    "trigger": "not_replied",
                    "interval_number": 7,
                    "interval_unit": "days",
                },
                {"name": "Bounced", "action": "exit", "parent": 0, "trigger": "bounced"},
                {
                    "name": "No click",
                    "action": "activity",
                    "parent": 0,
                    "trigger": "not_clicked",
                    "interval_number": 5,
                    "interval_unit": "days",
                },
            ]
        )
        cls.journey.action_start()
        cls.steps = {step.name: step for step in cls.journey.step_ids}

    def _branch(self, name):
        return self._traces(self.journey, step_id=self.steps[name].id)

    def _tracker(self, url):
        return self.env["link.tracker"].search_or_create([{"url": url, "title": url}])

    def test_not_branches_wait_for_their_deadline(self):
        self._send_first_email(self.journey)
        self.assertEqual(self._branch("Reminder").schedule_date, NOW + timedelta(days=3))
        self.assertEqual(self._branch("Nudge").schedule_date, NOW + timedelta(days=7))
        self.assertFalse(self._branch("Thanks for reading"), "no open yet")

    def test_open_fires_branch_and_cancels_not_opened(self):
        trace = self._send_first_email(self.journey)
        with self.mock_datetime_and_now(NOW + timedelta(hours=5)):
            self.assertTrue(trace._register_open(BROWSER, PERSON_IP))
        opened = self._branch("Thanks for reading")
        self.assertEqual(opened.schedule_date, NOW + timedelta(hours=5, days=1))
        self.assertEqual(opened.parent_trace_id, trace)
        self.assertEqual(self._branch("Reminder").state, "cancelled")
        with self.mock_datetime_and_now(NOW + timedelta(hours=6)):
            trace._register_open(BROWSER, PERSON_IP)
        self.assertEqual(len(self._branch("Thanks for reading")), 1, "a second open fires nothing")

    def test_not_opened_runs_at_deadline_and_late_open_fires_nothing(self):
        trace = self._send_first_email(self.journey)
        with self.mock_datetime_and_now(NOW + timedelta(days=3)), self.mock_mail_gateway():
            self._process()
        self.assertEqual(self._branch("Reminder").state, "done")
        with self.mock_datetime_and_now(NOW + timedelta(days=4)):
            trace._register_open(BROWSER, PERSON_IP)
        self.assertFalse(
            self._branch("Thanks for reading"), "the branch was decided at the deadline"
        )

    def test_open_exactly_at_deadline_before_cron(self):
        trace = self._send_first_email(self.journey)
        deadline = NOW + timedelta(days=3)
        with self.mock_datetime_and_now(deadline), self.mock_mail_gateway():
            trace._register_open(BROWSER, PERSON_IP)
            self._process()
        self.assertEqual(self._branch("Reminder").state, "cancelled")
        self.assertEqual(self._branch("Thanks for reading").state, "scheduled")

    def test_open_exactly_at_deadline_after_cron(self):
        trace = self._send_first_email(self.journey)
        deadline = NOW + timedelta(days=3)
        with self.mock_datetime_and_now(deadline), self.mock_mail_gateway():
            self._process()
            trace._register_open(BROWSER, PERSON_IP)
        self.assertEqual(self._branch("Reminder").state, "done")
        self.assertFalse(self._branch("Thanks for reading"), "exactly one branch runs")

    def test_open_registered_but_not_cancelled_still_stops_not_branch(self):
        """The cron re-checks the event itself: an open stored at the
        deadline wins even if its branch cancellation never happened."""
        trace = self._send_first_email(self.journey)
        trace.write({"open_datetime": NOW + timedelta(days=3), "open_count": 1})
        with self.mock_datetime_and_now(NOW + timedelta(days=3)), self.mock_mail_gateway():
            self._process()
        self.assertEqual(self._branch("Reminder").state, "cancelled")

    def test_machine_open_fires_nothing(self):
        trace = self._send_first_email(self.journey)
        with self.mock_datetime_and_now(NOW + timedelta(hours=1)):
            self.assertFalse(trace._register_open(BROWSER, "17.58.1.1"))
        self.assertFalse(self._branch("Thanks for reading"))
        self.assertEqual(self._branch("Reminder").state, "scheduled")
        self.assertIn("Apple", trace.event_ids.machine_reason)

    def test_click_branch_on_one_url(self):
        trace = self._send_first_email(self.journey)
        with self.mock_datetime_and_now(NOW + timedelta(hours=1)):
            trace._register_click(
                self._tracker("https://www.example.com/about"), BROWSER, PERSON_IP
            )
        self.assertFalse(self._branch("Call the clicker"), "another URL")
        self.assertEqual(
            self._branch("Thanks for reading").state, "scheduled", "a click is an open"
        )
        with self.mock_datetime_and_now(NOW + timedelta(hours=2)):
            trace._register_click(
                self._tracker("https://www.example.com/pricing"), BROWSER, PERSON_IP
            )
        self.assertEqual(self._branch("Call the clicker").state, "scheduled")

    def test_not_clicked_runs_when_only_opened(self):
        trace = self._send_first_email(self.journey)
        with self.mock_datetime_and_now(NOW + timedelta(days=1)):
            trace._register_open(BROWSER, PERSON_IP)
        with self.mock_datetime_and_now(NOW + timedelta(days=5)), self.mock_mail_gateway():
            self._process()
        self.assertEqual(self._branch("No click").state, "done")
        self.assertEqual(self.leads[0].activity_ids.summary, "No click")

    def test_activity_tells_which_email_and_engagement(self):
        trace = self._send_first_email(self.journey)
        with self.mock_datetime_and_now(NOW + timedelta(hours=2)):
            trace._register_click(
                self._tracker("https://www.example.com/pricing"), BROWSER, PERSON_IP
            )
            self._process()
        activity = self.leads[0].activity_ids.filtered(lambda a: a.summary == "Call the clicker")
        self.assertIn("Welcome Contact 0", activity.note)
        self.assertIn("clicked a link", activity.note)
        self.assertIn(self.journey.name, activity.note)

    def test_step_funnel_counts(self):
        traces = self._send_first_email(self.journey, self.leads)
        with self.mock_datetime_and_now(NOW + timedelta(hours=1)):
            traces[0]._register_open(BROWSER, PERSON_IP)
            traces[1]._register_reply(description="Yes")
        welcome = self.steps["Welcome"]
        self.assertEqual(
            (
                welcome.reached_count,
                welcome.done_count,
                welcome.opened_count,
                welcome.replied_count,
            ),
            (3, 3, 2, 1),
        )
        self.assertEqual(self.steps["Reminder"].reached_count, 1, "two reminders were cancelled")

    def test_click_cancels_not_clicked(self):
        trace = self._send_first_email(self.journey)
        with self.mock_datetime_and_now(NOW + timedelta(days=1)):
            trace._register_click(
                self._tracker("https://www.example.com/about"), BROWSER, PERSON_IP
            )
        self.assertEqual(self._branch("No click").state, "cancelled")

    def test_reply_fires_branch_and_cancels_not_replied(self):
        trace = self._send_first_email(self.journey)
        with self.mock_datetime_and_now(NOW + timedelta(hours=3)), self.mock_mail_gateway():
            trace._register_reply(description="Send me a quote")
            self._process()
        self.assertEqual(self._branch("Proposal").state, "done")
        self.assertEqual(self.leads[0].journey_stage_id, self.stage_proposal)
        self.assertEqual(self._branch("Nudge").state, "cancelled")

    def test_automatic_reply_fires_nothing(self):
        trace = self._send_first_email(self.journey)
        trace._register_reply(auto_reason="Auto-Submitted: auto-replied")
        self.assertFalse(trace.reply_datetime)
        self.assertFalse(self._branch("Proposal"))
        self.assertEqual(self._branch("Nudge").state, "scheduled")
        self.assertEqual(trace.event_ids.type, "auto_reply")

    def test_bounce_branch(self):
        trace = self._send_first_email(self.journey)
        with self.mock_datetime_and_now(NOW + timedelta(minutes=5)):
            trace._register_bounce("550 no such user")
            self._process()
        self.assertEqual(self._branch("Bounced").state, "done")
        self.assertEqual(trace.enrollment_id.state, "exited")
        self.assertEqual(self.leads[0].journey_bounce_count, 1)
