from datetime import datetime

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from .common import JourneyCommon

# what a sales administrator could type in a filter when filters were
# evaluated as Python: add themselves to Settings (``and 0`` keeps the
# domain valid, so that the save succeeds and the escalation stays)
ESCALATION = (
    '[("id", "!=", user.env["res.groups"].browse(%(group)s)'
    '.write({"user_ids": [(4, uid)]}) and 0)]'
)
# the bounds the filter editor writes for "today" on a datetime field
TODAY_START = (
    "datetime.datetime.combine(context_today(), datetime.time(0, 0, 0))"
    '.to_utc().strftime("%Y-%m-%d %H:%M:%S")'
)
TOMORROW_START = (
    "datetime.datetime.combine(context_today() + relativedelta(days = 1), "
    'datetime.time(0, 0, 0)).to_utc().strftime("%Y-%m-%d %H:%M:%S")'
)
# 1:00 on 3 March in Auckland, where the sales administrator works
MARCH_2_NOON_UTC = datetime(2026, 3, 2, 12, 0, 0)


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyDomainSecurity(JourneyCommon):
    """A sales administrator configures journeys; the filters they save are
    data, never code that runs with the rights of the engine."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_sales_admin = new_test_user(
            cls.env,
            login="journey_sales_admin",
            name="Ada Admin",
            email="ada@example.com",
            groups="sales_team.group_sale_manager",
            tz="Pacific/Auckland",
        )
        cls.group_system = cls.env.ref("base.group_system")
        cls.payload = ESCALATION % {"group": cls.group_system.id}
        cls.journey = cls._create_journey([cls._email_step()])
        cls.journey.action_start()

    def assertNotSystemAdmin(self, user):
        self.env.invalidate_all()
        self.assertNotIn(self.group_system, user.all_group_ids)
        self.assertFalse(user.has_group("base.group_system"))

    def test_audience_payload_refused(self):
        Journey = self.env["mail.journey"].with_user(self.user_sales_admin)
        with self.assertRaisesRegex(ValidationError, "not a literal domain"):
            journey = Journey.create(
                {"name": "Escalate", "model": "crm.lead", "domain": self.payload}
            )
            journey._get_domain("domain")
        self.assertNotSystemAdmin(self.user_sales_admin)

    def test_goal_payload_refused(self):
        journey = self.journey.with_user(self.user_sales_admin)
        with self.assertRaisesRegex(ValidationError, "not a literal domain"):
            journey.goal_domain = self.payload
            journey._get_domain("goal_domain")
        self.assertNotSystemAdmin(self.user_sales_admin)

    def test_step_condition_payload_refused(self):
        step = self.journey.step_ids.with_user(self.user_sales_admin)
        with self.assertRaisesRegex(ValidationError, "not a literal domain"):
            step.condition_domain = self.payload
            step._get_condition()
        self.assertNotSystemAdmin(self.user_sales_admin)

    def test_segment_payload_refused(self):
        Segment = self.env["mail.journey.segment"].with_user(self.user_sales_admin)
        with self.assertRaisesRegex(ValidationError, "not a literal domain"):
            segment = Segment.create({"name": "Escalate", "model": "crm.lead", "domain": "[]"})
            segment.domain = self.payload
            segment._get_matching_ids(self.leads.with_user(self.user_sales_admin))
        self.assertNotSystemAdmin(self.user_sales_admin)

    def test_refusal_names_what_is_not_allowed(self):
        Journey = self.env["mail.journey"].with_user(self.user_sales_admin)
        with self.assertRaisesRegex(
            ValidationError,
            r"The filter 'Audience' is not a literal domain: the attribute 'user\.id' is not "
            r"allowed\. Use the filter editor\.",
        ):
            Journey.create(
                {"name": "User", "model": "crm.lead", "domain": "[('user_id', '=', user.id)]"}
            )

    def test_stored_payload_not_run_by_the_engine(self):
        """A filter stored before this check existed is refused when the
        engine reads it, and runs no code: the step is not done."""
        self.env.cr.execute(
            SQL(
                "UPDATE mail_journey SET goal_domain = %s WHERE id = %s",
                self.payload,
                self.journey.id,
            )
        )
        self.env.invalidate_all()
        with self.assertRaisesRegex(ValidationError, "not a literal domain"):
            self.journey.with_user(self.user_sales_admin)._get_domain("goal_domain")
        self.journey._enroll(self.leads[0])
        with (
            self.mock_mail_gateway(),
            self.assertLogs(
                "odoo.addons.mail_journey_automation.models.mail_journey_delivery", "WARNING"
            ),
        ):
            traces = self._process()
        self.assertEqual(traces.mapped("state"), ["error"])
        self.assertNotSystemAdmin(self.user_sales_admin)

    # ------------------------------------------------------------
    # what the filter editor writes is accepted and filters
    # ------------------------------------------------------------

    def _audience(self, domain_text, user=None):
        """Save ``domain_text`` as the audience of a journey, as the sales
        administrator, and return the leads it selects among the test's."""
        user = user or self.user_sales_admin
        journey = (
            self.env["mail.journey"]
            .with_user(user)
            .create({"name": "Filter", "model": "crm.lead", "domain": domain_text})
        )
        return self.env["crm.lead"].with_user(user).search(journey._get_domain("domain"))

    def _leads_before_and_after_midnight(self):
        """Leads created at 10:59 and 11:00 UTC on 2 March: 23:59 on 2 March
        and midnight on 3 March for the sales administrator in Auckland."""
        with self.mock_datetime_and_now(datetime(2026, 3, 2, 10, 59, 0)):
            yesterday = self.env["crm.lead"].create({"name": "Created yesterday"})
        with self.mock_datetime_and_now(datetime(2026, 3, 2, 11, 0, 0)):
            today = self.env["crm.lead"].create({"name": "Created today"})
        return yesterday, today

    def test_relative_date_string_filters(self):
        yesterday, today = self._leads_before_and_after_midnight()
        with self.mock_datetime_and_now(MARCH_2_NOON_UTC):
            selected = self._audience("[('create_date', '>=', 'today')]")
            self.assertIn(today, selected)
            self.assertNotIn(yesterday, selected)
            self.assertIn(yesterday, self._audience("[('create_date', '>=', 'today -1d')]"))
            self.assertFalse(
                (today | yesterday) & self._audience("[('create_date', '<', 'today -30d')]")
            )

    def test_datetime_editor_bounds_filter(self):
        """The editor's "today" on a datetime starts at midnight where the
        user is, not at midnight UTC."""
        yesterday, today = self._leads_before_and_after_midnight()
        with self.mock_datetime_and_now(MARCH_2_NOON_UTC):
            selected = self._audience(
                f"['&', ('create_date', '>=', {TODAY_START}), "
                f"('create_date', '<', {TOMORROW_START})]"
            )
            before = self._audience(f"[('create_date', '<', {TODAY_START})]")
        self.assertIn(today, selected)
        self.assertNotIn(yesterday, selected)
        self.assertIn(yesterday, before)
        self.assertNotIn(today, before)

    def test_date_editor_bounds_filter(self):
        with self.mock_datetime_and_now(MARCH_2_NOON_UTC):
            today = fields.Date.context_today(self.env.user.with_user(self.user_sales_admin))
            lead = self.env["crm.lead"].create({"name": "Due today", "date_deadline": today})
            later = self.env["crm.lead"].create(
                {"name": "Due later", "date_deadline": fields.Date.add(today, days=3)}
            )
            selected = self._audience(
                "['&', ('date_deadline', '>=', context_today().strftime(\"%Y-%m-%d\")), "
                "('date_deadline', '<', (context_today() + relativedelta(days = 1))"
                ".strftime('%Y-%m-%d'))]"
            )
        self.assertEqual(str(today), "2026-03-03")
        self.assertIn(lead, selected)
        self.assertNotIn(later, selected)

    def test_uid_is_the_current_user(self):
        mine = self.env["crm.lead"].create({"name": "Mine", "user_id": self.user_sales_admin.id})
        selected = self._audience("[('user_id', '=', uid)]")
        self.assertIn(mine, selected)
        self.assertFalse(selected & self.leads)
