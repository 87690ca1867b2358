from odoo.tests import HttpCase, new_test_user, tagged

from .common import NOW, JourneyCommon

# queries of get_flow_data on a running journey, whatever its number of steps
FLOW_QUERIES = 10


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyFlowData(JourneyCommon):
    """mail.journey.get_flow_data: the step cards of the flow view, in one
    RPC whose number of queries does not grow with the steps."""

    def _cards(self, journey):
        return {card["name"]: card for card in journey.get_flow_data()["steps"]}

    def _branching_journey(self):
        """Welcome email; if not opened within 3 days, a reminder; 2 days
        after the welcome, a call."""
        return self._create_journey(
            [
                self._email_step(name="Welcome"),
                self._email_step(
                    self.template_intro,
                    name="Reminder",
                    parent=0,
                    trigger="not_opened",
                    interval_number=3,
                ),
                self._call_step(parent=0, interval_number=2),
            ]
        )

    def test_cards_of_draft_journey(self):
        journey = self._branching_journey()
        welcome, reminder, call = journey.step_ids
        data = journey.with_user(self.user_journey_manager).get_flow_data()
        self.assertEqual(data["state"], "draft")
        self.assertEqual([card["id"] for card in data["steps"]], journey.step_ids.ids)
        cards = {card["name"]: card for card in data["steps"]}
        self.assertEqual(
            [cards[name]["parent_id"] for name in ("Welcome", "Reminder", "Call")],
            [False, welcome.id, welcome.id],
        )
        self.assertEqual(
            {
                key: cards["Welcome"][key]
                for key in ("action", "action_label", "icon", "detail", "wait", "branch")
            },
            {
                "action": "email",
                "action_label": "Send an email",
                "icon": "fa-envelope",
                # the subject as typed, not rendered for a record
                "detail": "Welcome {{ object.contact_name or 'there' }}",
                "wait": "",
                "branch": False,
            },
        )
        self.assertEqual(cards["Reminder"]["wait"], "If not opened within 3 days")
        self.assertEqual(cards["Reminder"]["branch"], "negative")
        self.assertEqual(cards["Reminder"]["when"], reminder._get_when_label())
        self.assertEqual(
            (cards["Call"]["icon"], cards["Call"]["detail"], cards["Call"]["wait"]),
            ("fa-phone", "Call the prospect", "2 days"),
        )
        self.assertEqual(cards["Call"]["when"], call._get_when_label())
        self.assertFalse(
            any(card["figures"] for card in data["steps"]), "a draft journey shows no figures"
        )

    def test_figures_once_running(self):
        journey = self._branching_journey()
        journey.action_start()
        self._send_first_email(journey)
        self.leads[0].action_set_won()
        cards = self._cards(journey.with_user(self.user_journey_manager))
        self.assertEqual(
            cards["Welcome"]["figures"],
            {
                "reached": 1,
                "waiting": 0,
                "done": 1,
                "opened": 0,
                "clicked": 0,
                "replied": 0,
                "converted": 1,
            },
        )
        self.assertEqual(
            cards["Call"]["figures"],
            {"reached": 1, "waiting": 1, "done": 0, "converted": 1},
            "no email figures for an activity",
        )

    def test_flags_errors_and_approvals(self):
        journey = self._create_journey(
            [
                self._email_step(name="Welcome", approval_required=True),
                self._email_step(self.template_intro, name="Reminder", parent=0),
            ]
        )
        journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            journey._enroll(self.leads[:2])
            traces = self._process()  # both emails wait for the salesperson
        traces[0].state = "error"
        cards = self._cards(journey)
        self.assertEqual(
            (cards["Welcome"]["error_count"], cards["Welcome"]["approval_count"]), (1, 2)
        )
        self.assertEqual(
            (cards["Reminder"]["error_count"], cards["Reminder"]["approval_count"]), (0, 0)
        )

    def _running_journey(self, size):
        """A running journey of ``size`` steps (emails and calls, branches
        on the emails), one lead through its first email."""
        steps = [self._email_step(name="Step 0")]
        for index in range(1, size):
            # odd steps are emails, each followed by the next email and a call
            parent = index - 1 if index == 1 or index % 2 == 0 else index - 2
            step = (
                self._email_step(name=f"Step {index}", trigger="opened")
                if index % 2
                else self._call_step(name=f"Step {index}", trigger="not_opened")
            )
            steps.append({**step, "parent": parent, "interval_number": 1})
        journey = self._create_journey(steps)
        journey.action_start()
        self._send_first_email(journey)
        return journey

    def test_query_count_independent_of_steps(self):
        for size in (3, 10, 50):
            with self.subTest(size=size):
                journey = self._running_journey(size).with_user(self.user_journey_manager)
                journey.get_flow_data()  # the access rules and rights are cached
                self.env.invalidate_all()
                with self.assertQueryCount(FLOW_QUERIES):
                    data = journey.get_flow_data()
                self.assertEqual(len(data["steps"]), size)
                self.assertEqual(
                    [card["parent_id"] for card in data["steps"]],
                    [step.parent_id.id for step in journey.step_ids],
                )


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyFlowUi(HttpCase):
    """The journey manager builds a three-step journey in the flow view."""

    def test_build_journey_in_flow_view(self):
        new_test_user(
            self.env,
            login="flow_manager",
            groups="sales_team.group_sale_salesman,mail_journey_automation.group_journey_manager",
        )
        self.env["mail.template"].create(
            {
                "name": "Flow welcome",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "subject": "Welcome {{ object.contact_name or 'there' }}",
                "body_html": "<p>Thank you for your interest.</p>",
                "use_default_to": True,
            }
        )
        self.start_tour(
            "/odoo/action-mail_journey_automation.action_mail_journey",
            "mail_journey_flow_tour",
            login="flow_manager",
        )
        journey = self.env["mail.journey"].search([("name", "=", "Flow journey")])
        steps = {step.name: step for step in journey.step_ids}
        self.assertEqual(set(steps), {"Flow welcome", "Flow reminder", "Flow offer"})
        self.assertEqual(
            [steps[name].parent_id for name in ("Flow welcome", "Flow reminder", "Flow offer")],
            [self.env["mail.journey.step"], steps["Flow welcome"], steps["Flow reminder"]],
            "the offer was added after the welcome, then moved after the reminder",
        )
        self.assertEqual(steps["Flow reminder"].interval_number, 2)
