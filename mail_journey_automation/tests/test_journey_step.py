from dateutil.relativedelta import relativedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import NOW, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyStep(JourneyCommon):
    def test_every_delay_unit(self):
        for unit, delta in [
            ("minutes", relativedelta(minutes=30)),
            ("hours", relativedelta(hours=30)),
            ("days", relativedelta(days=30)),
            ("weeks", relativedelta(weeks=30)),
            ("months", relativedelta(months=30)),
        ]:
            with self.subTest(unit=unit):
                journey = self._create_journey(
                    [self._email_step(interval_number=30, interval_unit=unit)]
                )
                journey.action_start()
                with self.mock_datetime_and_now(NOW):
                    journey._enroll(self.leads[0])
                self.assertEqual(self._traces(journey).schedule_date, NOW + delta)

    def test_months_use_calendar_months(self):
        journey = self._create_journey(
            [self._email_step(interval_number=1, interval_unit="months")]
        )
        journey.action_start()
        with self.mock_datetime_and_now(NOW.replace(month=1, day=31)):
            journey._enroll(self.leads[0])
        self.assertEqual(self._traces(journey).schedule_date, NOW.replace(month=2, day=28))

    def test_template_of_other_model_rejected(self):
        order_template = self.env["mail.template"].create(
            {"name": "Order", "model_id": self.env["ir.model"]._get_id("sale.order")}
        )
        with self.assertRaisesRegex(ValidationError, "template made for"):
            self._create_journey([self._email_step(order_template)])

    def test_parent_from_other_journey_rejected(self):
        other = self._create_journey([self._email_step()])
        journey = self._create_journey([self._email_step()])
        with self.assertRaisesRegex(ValidationError, "another journey"):
            journey.step_ids.write({"parent_id": other.step_ids.id, "trigger": "parent"})

    def test_cycle_rejected(self):
        journey = self._create_journey([self._email_step(), self._email_step(parent=0)])
        root, child = journey.step_ids
        with self.assertRaisesRegex(ValidationError, "cycle"):
            root.write({"parent_id": child.id, "trigger": "parent"})

    def test_invalid_condition_rejected_with_reason(self):
        with self.assertRaisesRegex(ValidationError, "Condition"):
            self._create_journey([self._email_step(condition_domain="[('no_such_field', '=', 1)]")])
        with self.assertRaisesRegex(ValidationError, "invalid"):
            self._create_journey([self._email_step(condition_domain="[('name', '=',")])

    def test_invalid_audience_rejected(self):
        with self.assertRaisesRegex(ValidationError, "Audience"):
            self._create_journey(domain="[('nope', '=', 1)]")

    def test_server_action_of_other_model_rejected(self):
        action = self.env["ir.actions.server"].create(
            {
                "name": "Partner code",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "state": "code",
                "code": "pass",
            }
        )
        with self.assertRaisesRegex(ValidationError, "server action"):
            self._create_journey(
                [{"name": "Act", "action": "server_action", "server_action_id": action.id}]
            )

    def test_tree_reads_at_a_glance(self):
        journey = self._create_journey(
            [
                self._email_step(name="Welcome"),
                self._email_step(
                    self.template_intro,
                    name="Intro",
                    parent=0,
                    interval_number=2,
                    interval_unit="days",
                ),
                {"name": "Call", "action": "activity", "parent": 1, "activity_summary": "Call"},
            ]
        )
        welcome, intro, call = journey.step_ids
        self.assertEqual([step.depth for step in journey.step_ids], [0, 1, 2])
        self.assertEqual(
            journey.step_ids.mapped("tree_name"),
            ["Welcome", "\u21b3 Intro", "\u2003\u2003\u21b3 Call"],
        )
        self.assertEqual(
            intro.description, "2 days after 'Welcome' → Send an email 'Company introduction'"
        )
        self.assertEqual(welcome.description, "At the start → Send an email 'Welcome'")
        self.assertIn("'Intro'", call.description)

    def test_description_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["mail_journey_automation"], ["zh_CN"])
        journey = self._create_journey(
            [self._email_step(name="Welcome"), self._email_step(parent=0, interval_number=3)]
        )
        follow_up = journey.step_ids[1].with_context(lang="zh_CN")
        self.assertEqual(follow_up._get_when_label(), "'Welcome' 执行 3 天后")

    def test_broken_template_expression_refused_at_save(self):
        """A journey email whose placeholder cannot be evaluated is refused
        when the manager saves it, not when the cron sends it."""
        journey = self._create_journey([self._email_step()])
        template = journey.step_ids.mail_template_id
        # Odoo logs the rendering error it refuses: expected here
        with mute_logger("odoo.addons.mail.models.mail_template"):
            with self.assertRaises(ValidationError), self.cr.savepoint():
                template.subject = "Hello {{ object.contact_name.upper( }}"
            with self.assertRaises(ValidationError), self.cr.savepoint():
                template.body_html = '<p t-out="object.no_such_field">x</p>'
        self.assertEqual(template.subject, "Welcome {{ object.contact_name or 'there' }}")
