from odoo.exceptions import AccessError
from odoo.service.model import get_public_method
from odoo.tests import new_test_user, tagged

from .common import EXECUTORS, JourneyCommon


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

    def test_user_wakes_the_executors_without_reaching_the_crons(self):
        """A salesperson's enrollment wakes the executing crons (a superuser
        lookup, engine bookkeeping), but the salesperson can neither read the
        crons nor call the wake-up remotely."""
        before = [self._count_triggers(xmlid) for xmlid in EXECUTORS]
        self.env["mail.journey.enroll"].with_user(self.user_sales).with_context(
            active_model="crm.lead", active_ids=self.leads[:1].ids
        ).create({"journey_id": self.journey.id}).action_enroll()
        self.assertEqual(
            [self._count_triggers(xmlid) for xmlid in EXECUTORS], [count + 1 for count in before]
        )
        cron = self.env.ref(EXECUTORS[0]).with_user(self.user_sales)
        with self.assertRaises(AccessError):
            cron.read(["name"])
        with self.assertRaises(AccessError):
            get_public_method(
                self.env["ir.cron"].with_user(self.user_sales), "_journey_trigger_workers"
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


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyAccessRoles(JourneyCommon):
    """What a salesperson of another team, a user of another company and a
    portal user may do with journeys and their data, through the ORM."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.journey = cls._create_journey([cls._email_step()])
        cls.journey.action_start()
        cls.leads.write({"journey_stage_id": cls.stage_first.id})
        cls.journey._enroll(cls.leads)
        traces = cls.env["mail.journey.engine"]._process_due(limit=100)
        traces._log_events("open")
        cls.env.flush_all()
        cls.records = {
            "mail.journey": cls.journey,
            "mail.journey.step": cls.journey.step_ids,
            "mail.journey.enrollment": cls.journey.enrollment_ids,
            "mail.journey.trace": traces,
            "mail.journey.event": cls.env["mail.journey.event"].search(
                [("journey_id", "=", cls.journey.id)]
            ),
            "mail.journey.stage.log": cls.env["mail.journey.stage.log"].search(
                [("lead_id", "in", cls.leads.ids)]
            ),
            "mail.journey.report": cls.env["mail.journey.report"].search(
                [("journey_id", "=", cls.journey.id)]
            ),
            "mail.journey.stage.report": cls.env["mail.journey.stage.report"].search(
                [("lead_id", "in", cls.leads.ids)]
            )
            | cls.env["mail.journey.stage.report"].search(
                [
                    ("row_type", "=", "week"),
                    ("user_id", "=", cls.user_sales.id),
                    ("stage_id", "=", cls.stage_first.id),
                ]
            ),
        }
        other_team = cls.env["crm.team"].create({"name": "Other team"})
        cls.user_other_team = new_test_user(
            cls.env,
            login="other_team_salesman",
            groups="sales_team.group_sale_salesman",
        )
        other_team.member_ids = cls.user_other_team
        other_company = cls.env["res.company"].create({"name": "Other Co"})
        cls.user_other_company = new_test_user(
            cls.env,
            login="other_company_manager",
            groups="sales_team.group_sale_manager,mail_journey_automation.group_journey_manager",
            company_id=other_company.id,
            company_ids=[(6, 0, other_company.ids)],
        )
        cls.user_portal = new_test_user(cls.env, login="journey_portal", groups="base.group_portal")

    def test_fixtures_cover_every_model(self):
        for model, records in self.records.items():
            self.assertTrue(records, f"no {model} to protect")

    def test_salesperson_of_another_team_cannot_change_journey_data(self):
        """Journeys are shared by the company's salespeople (they read them);
        only journey managers configure them, and the log, the events and
        the reports are written by the journeys alone."""
        user = self.user_other_team
        self.assertEqual(self.journey.with_user(user).name, "Test journey")
        for model in ("mail.journey", "mail.journey.step"):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.records[model].with_user(user).write({"name": "Changed"})
        for model, records in self.records.items():
            with self.subTest(model=model), self.assertRaises(AccessError):
                records.with_user(user).unlink()
        for model in ("mail.journey.event", "mail.journey.stage.log"):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.records[model].with_user(user).write({"company_id": False})
        with self.assertRaises(AccessError):
            self.env["mail.journey.event"].with_user(user).create(
                {"type": "open", "trace_id": self.records["mail.journey.trace"][0].id}
            )

    def test_salesperson_sees_only_the_journey_data_of_own_leads(self):
        """As in the CRM: a salesperson with "Own Documents Only" reads the
        enrollments, traces, events, stage history and analysis of their own
        leads and of unassigned ones, not of a colleague's; with "All
        Documents", or as a journey manager, all of them."""
        private = {
            model: records
            for model, records in self.records.items()
            if model not in ("mail.journey", "mail.journey.step")
        }
        all_documents = new_test_user(
            self.env, login="all_documents", groups="sales_team.group_sale_salesman_all_leads"
        )
        for model, records in private.items():
            with self.subTest(model=model):
                for user in (self.user_sales, all_documents, self.user_journey_manager):
                    self.assertEqual(
                        self.env[model].with_user(user).search([("id", "in", records.ids)]),
                        records,
                        user.login,
                    )
                self.assertFalse(
                    self.env[model]
                    .with_user(self.user_other_team)
                    .search([("id", "in", records.ids)])
                )
                with self.assertRaises(AccessError):
                    records.with_user(self.user_other_team).read(["id"])
        self.leads.user_id = False
        self.env.flush_all()
        for model, records in private.items():
            with self.subTest(model=model, unassigned=True):
                self.assertEqual(
                    self.env[model]
                    .with_user(self.user_other_team)
                    .search([("id", "in", records.ids)]),
                    records,
                )

    def test_salesperson_sees_only_own_leads_in_stage_reports(self):
        """The stage funnel and the leads per stage name or count the leads
        of each salesperson: "Own Documents Only" shows a salesperson their
        own leads there, not a colleague's; "All Documents" and journey
        managers see both."""
        colleague_lead = self.env["crm.lead"].create(
            {
                "name": "Colleague's lead",
                "email_from": "buyer@colleague.example.com",
                "user_id": self.user_other_team.id,
                "type": "opportunity",
                "journey_stage_id": self.stage_first.id,
            }
        )
        self.env.flush_all()
        all_leads = self.leads | colleague_lead
        sellers = self.user_sales | self.user_other_team
        all_documents = new_test_user(
            self.env, login="all_documents", groups="sales_team.group_sale_salesman_all_leads"
        )
        expected = {
            self.user_sales: self.leads,
            self.user_other_team: colleague_lead,
            all_documents: all_leads,
            self.user_journey_manager: all_leads,
        }
        for user, leads in expected.items():
            with self.subTest(user=user.login):
                stays = (
                    self.env["mail.journey.stage.report"]
                    .with_user(user)
                    .search([("lead_id", "in", all_leads.ids)])
                )
                self.assertEqual(stays.lead_id, leads)
                weeks = (
                    self.env["mail.journey.stage.report"]
                    .with_user(user)
                    .search(
                        [
                            ("row_type", "=", "week"),
                            ("user_id", "in", sellers.ids),
                            ("stage_id", "=", self.stage_first.id),
                        ]
                    )
                )
                self.assertEqual(weeks.user_id, leads.user_id)
                self.assertEqual(sum(weeks.mapped("lead_count")), len(leads))
        colleague_stay = self.env["mail.journey.stage.report"].search(
            [("lead_id", "=", colleague_lead.id)]
        )
        colleague_week = self.env["mail.journey.stage.report"].search(
            [("row_type", "=", "week"), ("user_id", "=", self.user_other_team.id)]
        )
        for rows in (colleague_stay, colleague_week):
            with self.subTest(rows=rows.mapped("row_type")), self.assertRaises(AccessError):
                rows.with_user(self.user_sales).read(["user_id"])

    def test_user_of_another_company_sees_nothing(self):
        user = self.user_other_company
        for model, records in self.records.items():
            with self.subTest(model=model):
                as_user = self.env[model].with_user(user)
                self.assertFalse(as_user.search([("id", "in", records.ids)]))
                with self.assertRaises(AccessError):
                    records.with_user(user).read(["id"])
        for model in ("mail.journey", "mail.journey.enrollment", "mail.journey.trace"):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.records[model].with_user(user).write({"company_id": user.company_id.id})

    def test_portal_user_has_no_access(self):
        user = self.user_portal
        for model, records in self.records.items():
            with self.subTest(model=model):
                with self.assertRaises(AccessError):
                    self.env[model].with_user(user).search([])
                with self.assertRaises(AccessError):
                    records.with_user(user).read(["id"])
