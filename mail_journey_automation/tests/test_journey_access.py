from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyAccess(JourneyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.journey = cls._create_journey([cls._email_step()])
        cls.journey.action_start()

    def test_user_reads_but_cannot_configure(self):
        journey = self.journey.with_user(self.user_sales)
        self.assertEqual(journey.name, "Test journey")
        with self.assertRaises(AccessError):
            journey.write({"name": "Changed"})
        with self.assertRaises(AccessError):
            self.env["mail.journey"].with_user(self.user_sales).create(
                {"name": "Mine", "model": "crm.lead"}
            )

    def test_user_enrolls_and_stops(self):
        leads = self.leads.with_user(self.user_sales)
        self.env["mail.journey.enroll"].with_user(self.user_sales).with_context(
            active_model="crm.lead", active_ids=leads.ids
        ).create({"journey_id": self.journey.id}).action_enroll()
        enrollments = self.journey.enrollment_ids.with_user(self.user_sales)
        self.assertEqual(len(enrollments), 3)
        enrollments.action_cancel()
        self.assertEqual(set(enrollments.mapped("state")), {"cancelled"})

    def test_manager_configures(self):
        journey = (
            self.env["mail.journey"]
            .with_user(self.user_journey_manager)
            .create({"name": "Managed", "model": "crm.lead"})
        )
        self.env["mail.journey.step"].with_user(self.user_journey_manager).create(
            {
                "journey_id": journey.id,
                "name": "Hello",
                "action": "email",
                "mail_template_id": self.template_welcome.id,
            }
        )
        journey.action_start()
        self.assertEqual(journey.state, "running")

    def test_employee_without_group_sees_no_journey(self):
        employee = new_test_user(self.env, login="plain_employee", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.journey.with_user(employee).read(["name"])

    def test_multi_company_isolation(self):
        other_company = self.env["res.company"].create({"name": "Other Co"})
        foreign = self._create_journey([self._email_step()], company_id=other_company.id)
        visible = self.env["mail.journey"].with_user(self.user_journey_manager).search([])
        self.assertIn(self.journey, visible)
        self.assertNotIn(foreign, visible)

    def test_journey_enrolls_only_its_company_records(self):
        other_company = self.env["res.company"].create({"name": "Other Co"})
        self.leads[0].write({"company_id": other_company.id, "user_id": False})
        self.leads[1].company_id = self.env.company
        enrollments = self.journey._enroll(self.leads[:2])
        self.assertEqual(enrollments.lead_id, self.leads[1])
