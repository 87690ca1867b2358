from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .common import NOW, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey", "mail_journey_security")
class TestJourneySecurityBookkeeping(JourneyCommon):
    """Enrollments, traces, events and the stage history are the engine's:
    no user creates, changes or deletes them, whatever their journey group;
    users act through buttons, which check their right on the record."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.journey = cls._create_journey([cls._email_step()])
        cls.journey.action_start()
        cls.colleague = new_test_user(
            cls.env,
            login="journey_colleague",
            name="Colin Colleague",
            groups="sales_team.group_sale_salesman",
        )
        cls.colleague_lead = cls.env["crm.lead"].create(
            {
                "name": "Colleague's lead",
                "email_from": "buyer@colleague-customer.example.com",
                "user_id": cls.colleague.id,
            }
        )
        cls.other_company = cls.env["res.company"].create({"name": "Other Co"})
        cls.foreign_lead = cls.env["crm.lead"].create(
            {
                "name": "Foreign lead",
                "email_from": "buyer@foreign.example.com",
                "company_id": cls.other_company.id,
            }
        )

    def _attackers(self):
        return (self.user_sales, self.user_journey_manager)

    def test_nobody_creates_an_enrollment_by_hand(self):
        for user in self._attackers():
            for lead in (self.leads[0], self.colleague_lead, self.foreign_lead):
                with (
                    self.subTest(user=user.login, lead=lead.name),
                    self.assertRaises(AccessError),
                ):
                    self.env["mail.journey.enrollment"].with_user(user).create(
                        {"journey_id": self.journey.id, "res_id": lead.id, "lead_id": lead.id}
                    )
        self.assertFalse(self.journey.enrollment_ids)

    def test_nobody_creates_a_trace_due_now(self):
        enrollment = self.journey._enroll(self.leads[0])
        for user in self._attackers():
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["mail.journey.trace"].with_user(user).create(
                    {
                        "enrollment_id": enrollment.id,
                        "step_id": self.journey.step_ids.id,
                        "schedule_date": NOW,
                    }
                )
        self.assertEqual(len(enrollment.trace_ids), 1)

    def test_nobody_points_an_enrollment_at_another_record(self):
        enrollment = self.journey._enroll(self.leads[0])
        for user in self._attackers():
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                enrollment.with_user(user).write({"res_id": self.colleague_lead.id})
        self.assertEqual(enrollment.res_id, self.leads[0].id)

    def test_nobody_moves_or_deletes_a_trace(self):
        trace = self.journey._enroll(self.leads[0]).trace_ids
        scheduled = trace.schedule_date
        for user in self._attackers():
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    trace.with_user(user).write({"schedule_date": "2000-01-01 00:00:00"})
                with self.assertRaises(AccessError):
                    trace.with_user(user).write({"state": "done"})
                with self.assertRaises(AccessError):
                    trace.with_user(user).unlink()
        self.assertEqual(trace.schedule_date, scheduled)
        self.assertEqual(trace.state, "scheduled")

    def test_nobody_writes_events_or_stage_history(self):
        trace = self._send_first_email(self.journey)
        trace._log_events("open")
        for user in self._attackers():
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.env["mail.journey.event"].with_user(user).create(
                        {"type": "click", "trace_id": trace.id, "lead_id": trace.lead_id.id}
                    )
                with self.assertRaises(AccessError):
                    trace.event_ids.with_user(user).write({"type": "reply"})
                with self.assertRaises(AccessError):
                    self.env["mail.journey.stage.log"].with_user(user).create(
                        {
                            "lead_id": self.leads[0].id,
                            "stage_id": self.stage_care.id,
                            "date_start": NOW,
                        }
                    )

    def test_salesperson_buttons_act_on_own_records_only(self):
        own = self.journey._enroll(self.leads[0])
        own.with_user(self.user_sales).action_pause()
        self.assertEqual(own.state, "paused")
        own.with_user(self.user_sales).action_resume()
        self.assertEqual(own.state, "running")
        self.leads[0].with_user(self.user_sales).action_journey_stop()
        self.assertEqual(own.state, "cancelled")
        colleague = self.journey._enroll(self.colleague_lead)
        for action in ("action_pause", "action_cancel", "action_resume"):
            with self.subTest(action=action), self.assertRaises(AccessError):
                getattr(colleague.with_user(self.user_sales), action)()
        with self.assertRaises(AccessError):
            self.colleague_lead.with_user(self.user_sales).action_journey_take_over()
        self.assertEqual(colleague.state, "running")

    def test_enroll_wizard_refuses_records_the_user_cannot_read(self):
        wizard = self.env["mail.journey.enroll"].with_user(self.user_sales)
        for lead in (self.colleague_lead, self.foreign_lead):
            with self.subTest(lead=lead.name), self.assertRaises(AccessError):
                wizard.create(
                    {"res_model": "crm.lead", "res_ids": [lead.id], "journey_id": self.journey.id}
                ).action_enroll()
        self.assertFalse(self.journey.enrollment_ids)

    def test_portal_user_reads_no_journey_data(self):
        portal = new_test_user(self.env, login="journey_portal", groups="base.group_portal")
        self.journey._enroll(self.leads[0])
        trace = self.journey.enrollment_ids.trace_ids
        for records in (self.journey, self.journey.enrollment_ids, trace):
            with self.subTest(model=records._name), self.assertRaises(AccessError):
                records.with_user(portal).read(["display_name"])

    def test_salesperson_cannot_retry_a_colleague_trace(self):
        trace = self.journey._enroll(self.colleague_lead).trace_ids
        trace.write({"state": "error", "state_message": "SMTP down"})
        with self.assertRaises(AccessError):
            trace.with_user(self.user_sales).action_retry()
        self.assertEqual(trace.state, "error")


@tagged("post_install", "-at_install", "mail_journey", "mail_journey_security")
class TestJourneySecurityBookkeepingRpc(HttpCase):
    """The same attacks as a salesperson would run them: over JSON-RPC."""

    def test_salesperson_creates_no_enrollment_nor_trace_over_rpc(self):
        user = new_test_user(
            self.env,
            login="rpc_salesman",
            password="rpc_salesman_pw",
            groups="sales_team.group_sale_salesman",
        )
        template = self.env["mail.template"].create(
            {
                "name": "Hello",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "subject": "Hello",
                "body_html": "<p>Hello</p>",
            }
        )
        journey = self.env["mail.journey"].create(
            {"name": "RPC journey", "model": "crm.lead", "trigger": "manual"}
        )
        step = self.env["mail.journey.step"].create(
            {
                "journey_id": journey.id,
                "name": "Hello",
                "action": "email",
                "mail_template_id": template.id,
            }
        )
        journey.action_start()
        lead = self.env["crm.lead"].create(
            {"name": "Mine", "email_from": "me@customer.example.com", "user_id": user.id}
        )
        enrollment = journey._enroll(lead)
        self.authenticate("rpc_salesman", "rpc_salesman_pw")
        calls = (
            (
                "mail.journey.enrollment",
                "create",
                [[{"journey_id": journey.id, "res_id": lead.id, "lead_id": lead.id}]],
            ),
            (
                "mail.journey.trace",
                "create",
                [
                    [
                        {
                            "enrollment_id": enrollment.id,
                            "step_id": step.id,
                            "schedule_date": "2000-01-01 00:00:00",
                        }
                    ]
                ],
            ),
            (
                "mail.journey.trace",
                "write",
                [enrollment.trace_ids.ids, {"schedule_date": "2000-01-01 00:00:00"}],
            ),
        )
        for model, method, args in calls:
            with self.subTest(model=model, method=method), self.assertRaises(JsonRpcException):
                self.make_jsonrpc_request(
                    f"/web/dataset/call_kw/{model}/{method}",
                    {"model": model, "method": method, "args": args, "kwargs": {}},
                )
        self.assertEqual(journey.enrollment_ids, enrollment)
        self.assertEqual(len(enrollment.trace_ids), 1)
        self.assertNotEqual(str(enrollment.trace_ids.schedule_date), "2000-01-01 00:00:00")
