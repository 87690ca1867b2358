import re
from datetime import datetime, timedelta
from pathlib import Path

from odoo.modules.module import get_module_path
from odoo.tests import tagged

from .common import NOW, JourneyCommon

EMAIL_STAGES = [
    "record",
    "goal",
    "parent_event",
    "condition",
    "hold_out",
    "suppression",
    "variant",
    "approval",
    "send_time",
    "window",
    "limits",
]


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyDelivery(JourneyCommon):
    """The delivery pipeline: every journey email passes the same checks in
    one order, and limits count only the emails actually queued."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # two contacts of one customer company (same business email domain)
        cls.lead_tom, cls.lead_eve = cls.env["crm.lead"].create(
            [
                {"name": "Lead Tom", "email_from": "tom@papertube.example.com"},
                {"name": "Lead Eve", "email_from": "eve@papertube.example.com"},
            ]
        )

    def _send_to_tom_and_eve(self, journey):
        """Start ``journey``, enroll Tom and Eve and run their first step at
        NOW; return their traces."""
        journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            journey._enroll(self.lead_tom | self.lead_eve)
            self._process()
        tom = self._traces(journey).filtered(lambda trace: trace.lead_id == self.lead_tom)
        return tom, self._traces(journey) - tom

    def test_stage_order_is_the_documented_one(self):
        Delivery = self.env["mail.journey.delivery"]
        email_step = self._create_journey([self._email_step()]).step_ids
        self.assertEqual(Delivery._get_stages(email_step), EMAIL_STAGES)
        for stage in EMAIL_STAGES:
            self.assertTrue(hasattr(Delivery, f"_stage_{stage}"), stage)
        readme = Path(get_module_path("mail_journey_automation")).parent / "README.md"
        text = " ".join(readme.read_text(encoding="utf-8").split())
        documented = re.search(r"Stages, in order: (.+?)\.", text)
        self.assertTrue(documented, "the README lists the stages")
        self.assertEqual(re.findall(r"`(\w+)`", documented.group(1)), EMAIL_STAGES)

    def test_company_cap_not_taken_by_email_postponed_by_window(self):
        """Tom's email waits for the window (his time zone is closed): it
        does not use the company's weekly email, Eve's goes out."""
        self.lead_tom.partner_id = self.env["res.partner"].create(
            {"name": "Tom", "email": "tom@papertube.example.com", "tz": "Asia/Shanghai"}
        )
        self.lead_eve.partner_id = self.env["res.partner"].create(
            {"name": "Eve", "email": "eve@papertube.example.com", "tz": "UTC"}
        )
        journey = self._create_journey(
            [self._email_step()],
            cap_domain_week=1,
            window_enabled=True,
            window_hour_from=8,
            window_hour_to=12,
        )
        tom, eve = self._send_to_tom_and_eve(journey)
        self.assertEqual(eve.state, "done")
        self.assertEqual(tom.state, "scheduled")
        self.assertIn("send window", tom.state_message)

    def test_company_cap_not_taken_by_blacklisted_email(self):
        self.env["mail.blacklist"]._add(self.lead_tom.email_from)
        journey = self._create_journey([self._email_step()], cap_domain_week=1)
        tom, eve = self._send_to_tom_and_eve(journey)
        self.assertEqual(tom.state, "skipped")
        self.assertEqual(eve.state, "done", "the blacklisted email did not take the slot")
        self.assertEqual(len(self._new_mails), 1)

    def test_company_cap_counts_only_this_company_emails(self):
        other_company = self.env["res.company"].create({"name": "Other Co"})
        foreign = self._create_journey(
            [self._email_step()], name="Foreign", company_id=other_company.id
        )
        foreign.action_start()
        self.lead_eve.company_id = other_company
        with self.mock_datetime_and_now(NOW - timedelta(days=1)), self.mock_mail_gateway():
            foreign._enroll(self.lead_eve)
            self._process()
        journey = self._create_journey([self._email_step()], cap_domain_week=1)
        journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            journey._enroll(self.lead_tom)
            self._process()
        self.assertEqual(self._traces(journey).state, "done")

    def test_approved_email_waits_for_the_send_window(self):
        journey = self._create_journey(
            [self._email_step(approval_required=True, approval_hours=48)],
            window_enabled=True,
            window_hour_from=8,
            window_hour_to=12,
        )
        journey.action_start()
        self.leads.user_id.tz = "UTC"
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            journey._enroll(self.leads[0])
            self._process()
        approval = self.env["mail.journey.approval"].search([("journey_id", "=", journey.id)])
        evening = NOW.replace(hour=20)
        with self.mock_datetime_and_now(evening), self.mock_mail_gateway():
            approval.with_user(self.user_sales).action_send()
        self.assertFalse(self._new_mails.filtered(lambda mail: mail.model == "crm.lead"))
        trace = approval.trace_id
        self.assertEqual(trace.state, "scheduled")
        self.assertIn("send window", trace.state_message)
        self.assertEqual(trace.schedule_date, datetime(2026, 3, 3, 8, 0))
        self.assertEqual(approval.state, "approved")
        self.assertEqual(approval.done_user_id, self.user_sales)
        with self.mock_datetime_and_now(trace.schedule_date), self.mock_mail_gateway():
            self._process()
        self.assertEqual(trace.state, "done")
        self.assertEqual(approval.state, "sent")
        self.assertEqual(len(self._new_mails.filtered(lambda mail: mail.model == "crm.lead")), 1)

    def test_same_email_from_a_copied_journey_is_not_sent_twice(self):
        """Two copies of a journey (their templates copied too) do not send
        the same email to the same address within the duplicate window."""
        first = self._create_journey([self._email_step(self.template_intro)])
        second = self._create_journey([self._email_step(self.template_intro.copy())])
        (first | second).action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            first._enroll(self.leads[0])
            self._process()
        with self.mock_datetime_and_now(NOW + timedelta(days=3)), self.mock_mail_gateway():
            second._enroll(self.leads[0])
            self._process()
        duplicate = self._traces(second)
        self.assertEqual(duplicate.state, "skipped")
        self.assertIn("same email", duplicate.state_message)
        self.env["ir.config_parameter"].sudo().set_param("mail_journey.duplicate_days", 2)
        third = self._create_journey([self._email_step(self.template_intro.copy())])
        third.action_start()
        with self.mock_datetime_and_now(NOW + timedelta(days=3)), self.mock_mail_gateway():
            third._enroll(self.leads[0])
            self._process()
        self.assertEqual(self._traces(third).state, "done", "outside the window it goes again")

    def test_send_time_counts_hours_in_the_recipient_time_zone(self):
        """Opens at 14:00 in Paris in winter (13:00 UTC) and in summer
        (12:00 UTC) are one habit: 14:00 local."""
        lead = self.leads[0]
        self.env["mail.journey.event"].create(
            [
                {"type": "open", "lead_id": lead.id, "date": date}
                for date in (
                    datetime(2026, 1, 12, 13, 0),
                    datetime(2026, 2, 9, 13, 0),
                    datetime(2026, 6, 8, 12, 0),
                    datetime(2026, 7, 6, 12, 0),
                    datetime(2026, 7, 13, 12, 0),
                )
            ]
        )
        Journey = self.env["mail.journey"]
        self.assertEqual(
            Journey._get_best_open_hours(lead, {lead.id: "Europe/Paris"}), {lead.id: 14}
        )
        self.assertEqual(Journey._get_best_open_hours(lead), {lead.id: 12}, "UTC by default")
        winter, summer = datetime(2026, 3, 2, 9, 0), datetime(2026, 4, 6, 9, 0)
        self.assertEqual(
            Journey._get_next_hour(winter, 14, "Europe/Paris"), datetime(2026, 3, 2, 13, 0)
        )
        self.assertEqual(
            Journey._get_next_hour(summer, 14, "Europe/Paris"), datetime(2026, 4, 6, 12, 0)
        )
