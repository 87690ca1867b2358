from datetime import datetime, timedelta

from odoo.tests import tagged

from .common import NOW, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyDeliverability(JourneyCommon):
    def test_send_window_in_recipient_timezone(self):
        # Shanghai is UTC+8: 09:00 UTC is 17:00 there, after a 9:00-12:00 window
        partner = self.env["res.partner"].create(
            {"name": "Lin", "email": "lin@example.com", "tz": "Asia/Shanghai"}
        )
        self.leads[0].partner_id = partner
        journey = self._create_journey(
            [self._email_step()], window_enabled=True, window_hour_from=9, window_hour_to=12
        )
        journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            journey._enroll(self.leads[0])
            self._process()
        trace = self._traces(journey)
        self.assertEqual(trace.state, "scheduled")
        self.assertIn("send window", trace.state_message)
        # next opening: Tuesday 9:00 in Shanghai = Tuesday 01:00 UTC
        self.assertEqual(trace.schedule_date, datetime(2026, 3, 3, 1, 0))
        self.assertFalse(self._new_mails)
        with self.mock_datetime_and_now(datetime(2026, 3, 3, 1, 0)), self.mock_mail_gateway():
            self._process()
        self.assertEqual(trace.state, "done")

    def test_send_window_skips_weekend(self):
        journey = self._create_journey([self._email_step()], window_enabled=True)
        self.leads[0].user_id.tz = "UTC"
        saturday = datetime(2026, 3, 7, 10, 0)
        self.assertEqual(journey._get_window_opening(saturday, "UTC"), datetime(2026, 3, 9, 9, 0))
        self.assertEqual(
            journey._get_window_opening(NOW + timedelta(hours=1), "UTC"), NOW + timedelta(hours=1)
        )

    def test_frequency_cap_postpones_never_drops(self):
        self.env["ir.config_parameter"].sudo().set_param("mail_journey.cap_day", 1)
        first = self._create_journey([self._email_step()])
        second = self._create_journey([self._email_step(self.template_intro)])
        (first | second).action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            first._enroll(self.leads[0])
            second._enroll(self.leads[0])
            self._process()
        self.assertEqual(len(self._new_mails), 1)
        capped = (self._traces(first) | self._traces(second)).filtered(
            lambda trace: trace.state == "scheduled"
        )
        self.assertEqual(len(capped), 1)
        self.assertIn("Frequency cap", capped.state_message)
        self.assertEqual(capped.schedule_date, NOW + timedelta(days=1))
        with self.mock_datetime_and_now(NOW + timedelta(days=1)), self.mock_mail_gateway():
            self._process()
        self.assertEqual(capped.state, "done")

    def test_journey_cap_stricter_than_global(self):
        self.env["ir.config_parameter"].sudo().set_param("mail_journey.cap_week", 5)
        journey = self._create_journey([self._email_step()], cap_week=2)
        self.assertEqual(journey._get_caps(), (0, 2))
        journey.cap_week = 9
        self.assertEqual(journey._get_caps(), (0, 5))

    def test_duplicate_address_reached_once(self):
        self.leads[1].email_from = self.leads[0].email_from
        journey = self._create_journey([self._email_step()])
        journey.action_start()
        with self.mock_mail_gateway():
            journey._enroll(self.leads[:2])
            self._process()
        traces = self._traces(journey)
        self.assertEqual(sorted(traces.mapped("state")), ["done", "skipped"])
        self.assertIn(
            "already got this email", traces.filtered(lambda t: t.state == "skipped").state_message
        )
        self.assertEqual(len(self._new_mails), 1)

    def test_consent_required(self):
        self.leads[1].journey_consent = True
        journey = self._create_journey([self._email_step()], consent_required=True)
        journey.action_start()
        self.assertEqual(journey._enroll(self.leads[:2]).lead_id, self.leads[1])

    def test_preflight_counts_suppressed(self):
        self.leads[0].email_from = False
        self.env["mail.blacklist"].sudo()._add(self.leads[1].email_from)
        journey = self._create_journey(
            [self._email_step()], domain=f"[('id', 'in', {self.leads.ids})]"
        )
        action = journey.action_preflight()
        self.assertIn("3 records in the audience, 1 would be mailed.", action["name"])
        reasons = self.env[action["res_model"]].search(action["domain"]).mapped("reason")
        self.assertEqual(reasons.count("The email address is blacklisted."), 1)
        self.assertEqual(reasons.count("The record has no valid email address."), 1)

    def test_hourly_limit_holds_the_rest(self):
        journey = self._create_journey([self._email_step()], max_per_hour=2)
        journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            journey._enroll(self.leads)
            self._process()
        traces = self._traces(journey)
        self.assertEqual(sorted(traces.mapped("state")), ["done", "done", "scheduled"])
        held = traces.filtered(lambda trace: trace.state == "scheduled")
        self.assertIn("Hourly sending limit", held.state_message)
        self.assertEqual(held.schedule_date, NOW + timedelta(hours=1))
        with self.mock_datetime_and_now(NOW + timedelta(hours=1)), self.mock_mail_gateway():
            self._process()
        self.assertEqual(held.state, "done")

    def test_global_hourly_limit(self):
        self.env["ir.config_parameter"].sudo().set_param("mail_journey.max_per_hour", 1)
        journey = self._create_journey([self._email_step()])
        self.assertEqual(journey._get_hourly_allowance(NOW)[0], 1)

    def test_mail_server_pool_rotation(self):
        servers = self.env["ir.mail_server"].create(
            [{"name": f"IP {index}", "smtp_host": f"smtp{index}.example.com"} for index in range(2)]
        )
        journey = self._create_journey([self._email_step()], mail_server_ids=servers.ids)
        journey.action_start()
        with self.mock_mail_gateway():
            journey._enroll(self.leads)
            self._process()
        used = self._traces(journey).mail_mail_id.mail_server_id
        self.assertEqual(used, servers, "both servers of the pool are used")

    def test_working_calendar_skips_public_holiday(self):
        calendar = self.env.company.resource_calendar_id
        calendar.tz = "UTC"
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Public holiday",
                "calendar_id": calendar.id,
                "date_from": datetime(2026, 3, 2, 0, 0),
                "date_to": datetime(2026, 3, 2, 23, 59),
            }
        )
        journey = self._create_journey([self._email_step()], window_calendar=True)
        opening = journey._get_window_opening(NOW, "UTC")
        self.assertEqual(opening.date(), datetime(2026, 3, 3).date(), "the holiday is skipped")
        self.assertEqual(opening, journey._get_window_opening(opening, "UTC"), "a stable opening")

    def test_window_closing_friday_evening(self):
        journey = self._create_journey([self._email_step()], window_enabled=True)
        friday = datetime(2026, 3, 6, 17, 30)
        self.assertEqual(journey._get_window_opening(friday, "UTC"), friday, "still open")
        self.assertEqual(
            journey._get_window_opening(datetime(2026, 3, 6, 18, 0), "UTC"),
            datetime(2026, 3, 9, 9, 0),
            "closed at 18:00 on Friday: Monday morning",
        )

    def test_window_across_daylight_saving_change(self):
        """Brussels moves from UTC+1 to UTC+2 on Sunday 29 March 2026."""
        journey = self._create_journey([self._email_step()], window_enabled=True, window_sun=True)
        # a 1-day delay from Saturday 09:00 CET lands on Sunday 10:00 CEST (08:00 UTC)
        self.assertEqual(
            journey._get_window_opening(datetime(2026, 3, 29, 8, 0), "Europe/Brussels"),
            datetime(2026, 3, 29, 8, 0),
        )
        # Sunday 06:00 UTC is 08:00 CEST: the window opens at 09:00 CEST = 07:00 UTC
        self.assertEqual(
            journey._get_window_opening(datetime(2026, 3, 29, 6, 0), "Europe/Brussels"),
            datetime(2026, 3, 29, 7, 0),
        )
        journey.window_sun = False
        # the day before, 09:00 CET was 08:00 UTC; on Monday 09:00 CEST is 07:00 UTC
        self.assertEqual(
            journey._get_window_opening(datetime(2026, 3, 28, 17, 30), "Europe/Brussels"),
            datetime(2026, 3, 30, 7, 0),
        )

    def test_content_warnings(self):
        template = self.env["mail.template"].create(
            {
                "name": "Shouting",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "subject": "RE: FREE SAMPLES FOR YOU!!! {{ object.name",
                "body_html": "<p><br></p>",
            }
        )
        step = self._create_journey([self._email_step(template)]).step_ids
        warnings = step.content_warnings
        self.assertIn("mostly capital letters", warnings)
        self.assertIn("over-promotional", warnings)
        self.assertIn("reply or a forward", warnings)
        self.assertIn("The subject has an unclosed", warnings)
        self.assertIn("The body is empty.", warnings)
        self.assertIn("no unsubscribe link of its own", warnings)
        self.template_intro.body_html = (
            '<p>Who we are. <a href="/unsubscribe_from_list">Stop these emails</a></p>'
        )
        clean = self._create_journey([self._email_step(self.template_intro)]).step_ids
        self.assertFalse(clean.content_warnings)

    def test_unsubscribe_placeholder_becomes_signed_link(self):
        self.template_intro.body_html = '<p><a href="/unsubscribe_from_list">Stop</a></p>'
        journey = self._create_journey([self._email_step(self.template_intro)])
        journey.action_start()
        with self.mock_mail_gateway():
            journey._enroll(self.leads[0])
            self._process()
        trace = self._traces(journey)
        self.assertIn(f'href="{trace._get_unsubscribe_url()}">Stop', trace.mail_mail_id.body_html)
