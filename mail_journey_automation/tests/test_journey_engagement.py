from datetime import timedelta

from odoo.tests import tagged

from .common import BROWSER, NOW, PERSON_IP, JourneyCommon

# a tracking request's queries, Odoo's request handling aside: the trace
# (with the token's check), the event's INSERT and its transaction time, the
# branches of the email's step, the trace's counters; a click also the
# latest click on another link
OPEN_QUERIES = 5
CLICK_QUERIES = 6
# opened again: the trace and the event (the transaction time is known)
OPEN_AGAIN_QUERIES = 2


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyEngagement(JourneyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.journey = cls._create_journey([cls._email_step()])
        cls.journey.action_start()
        cls.link = cls.env["link.tracker"].search_or_create(
            [{"url": "https://www.example.com/", "title": "Home"}]
        )

    def test_score_counts_people_only(self):
        trace = self._send_first_email(self.journey)
        lead = self.leads[0]
        with self.mock_datetime_and_now(NOW + timedelta(hours=1)):
            trace._register_open(BROWSER, PERSON_IP)
            trace._register_click(self.link, BROWSER, PERSON_IP)
            trace._register_open("Mozilla/5.0 (compatible; Mimecast scanner)", PERSON_IP)
            self.assertFalse(lead.journey_open_count, "counted by the engagement cron")
            self.assertEqual(self._count_engagement(), 2, "the machine's open counts for nothing")
        self.assertEqual(lead.journey_open_count, 1)
        self.assertEqual(trace.open_count, 1, "a click after an open is no new open")
        self.assertEqual(lead.journey_click_count, 1)
        self.assertAlmostEqual(lead.journey_engagement_score, 4.0, places=1)
        self.assertEqual(len(lead.journey_event_ids), 3, "machine events stay in the log")
        self.assertEqual(lead.journey_last_engagement_date, NOW + timedelta(hours=1))

    def test_opens_and_clicks_counted_on_the_lead_by_the_cron(self):
        """A tracking request only logs its event; the engagement cron counts
        the pending events on the leads in batches, each once."""
        trace = self._send_first_email(self.journey)
        lead = self.leads[0]
        Event = self.env["mail.journey.event"]
        with self.mock_datetime_and_now(NOW + timedelta(hours=1)):
            trace._register_open(BROWSER, PERSON_IP)
            trace._register_click(self.link, BROWSER, PERSON_IP)
            self.assertEqual(
                sorted(trace.event_ids.filtered("engagement_pending").mapped("type")),
                ["click", "open"],
            )
            self.assertEqual((lead.journey_open_count, lead.journey_click_count), (0, 0))
            self.assertEqual(Event._count_pending_engagement(limit=1), 1)
            self.assertEqual(Event._count_pending_engagement(limit=1), 1)
            self.assertEqual(Event._count_pending_engagement(limit=1), 0)
            self.assertEqual((lead.journey_open_count, lead.journey_click_count), (1, 1))
            self.assertAlmostEqual(lead.journey_engagement_score, 4.0, places=1)
            self.assertFalse(trace.event_ids.filtered("engagement_pending"))
            trace._register_open(BROWSER, PERSON_IP)
            self._count_engagement()
            trace._register_reply(description="Interested")
        self.assertEqual(lead.journey_open_count, 2, "each event is counted once")
        self.assertEqual(lead.journey_reply_count, 1, "a reply is counted at once")
        self.assertFalse(trace.event_ids.filtered("engagement_pending"))

    def test_engagement_cron_counts_every_pending_event(self):
        traces = self._send_first_email(self.journey, self.leads)
        for trace in traces:
            trace._register_open(BROWSER, PERSON_IP)
        cron = self.env.ref("mail_journey_automation.ir_cron_mail_journey_count_engagement")
        with self.enter_registry_test_mode():
            cron.sudo().method_direct_trigger()
        self.env.invalidate_all()  # the cron ran in a cursor of its own
        self.assertEqual(set(self.leads.mapped("journey_open_count")), {1})
        self.assertFalse(traces.event_ids.filtered("engagement_pending"))

    def test_score_decays_with_half_life(self):
        trace = self._send_first_email(self.journey)
        lead = self.leads[0]
        with self.mock_datetime_and_now(NOW):
            trace._register_reply(description="Interested")
        self.assertAlmostEqual(lead.journey_engagement_score, 10.0, places=1)
        with self.mock_datetime_and_now(NOW + timedelta(days=30)):
            lead._update_journey_engagement()
        self.assertAlmostEqual(lead.journey_engagement_score, 5.0, places=1)

    def test_score_weights_from_settings(self):
        self.env["res.config.settings"].create({"journey_score_reply": 20}).execute()
        trace = self._send_first_email(self.journey)
        with self.mock_datetime_and_now(NOW):
            trace._register_reply(description="Interested")
        self.assertAlmostEqual(self.leads[0].journey_engagement_score, 20.0, places=1)

    def test_engagement_filters(self):
        traces = self._send_first_email(self.journey, self.leads)
        by_lead = {trace.res_id: trace for trace in traces}
        with self.mock_datetime_and_now(NOW + timedelta(hours=1)):
            by_lead[self.leads[0].id]._register_open(BROWSER, PERSON_IP)
            by_lead[self.leads[1].id]._register_click(self.link, BROWSER, PERSON_IP)
            self._count_engagement()
        Lead = self.env["crm.lead"]
        opened_not_clicked = Lead.search(
            [
                ("id", "in", self.leads.ids),
                ("journey_open_count", ">", 0),
                ("journey_click_count", "=", 0),
            ]
        )
        self.assertEqual(opened_not_clicked, self.leads[0])
        hot = Lead.search([("id", "in", self.leads.ids), ("journey_last_click_date", ">=", NOW)])
        self.assertEqual(hot, self.leads[1])
        ranked = Lead.search([("id", "in", self.leads.ids)], order="journey_engagement_score desc")
        self.assertEqual(ranked[0], self.leads[1])

    def test_lead_timeline_lists_events_newest_first(self):
        trace = self._send_first_email(self.journey)
        with self.mock_datetime_and_now(NOW + timedelta(hours=1)):
            trace._register_open(BROWSER, PERSON_IP)
        with self.mock_datetime_and_now(NOW + timedelta(hours=2)):
            trace._register_click(self.link, BROWSER, PERSON_IP)
        self.assertEqual(self.leads[0].journey_event_ids.mapped("type"), ["click", "open"])
        action = self.leads[0].action_view_journey_events()
        self.assertEqual(action["domain"], [("lead_id", "=", self.leads[0].id)])

    def test_scanner_clicking_every_link_is_machine(self):
        trace = self._send_first_email(self.journey)
        other = self.env["link.tracker"].search_or_create(
            [{"url": "https://www.example.com/b", "title": "B"}]
        )
        with self.mock_datetime_and_now(NOW + timedelta(hours=1)):
            trace._register_click(self.link, BROWSER, PERSON_IP)
        with self.mock_datetime_and_now(NOW + timedelta(hours=1, seconds=2)):
            self.assertFalse(trace._register_click(other, BROWSER, PERSON_IP))
        self._count_engagement()
        self.assertEqual(trace.click_count, 1)
        self.assertEqual(
            trace.event_ids.filtered("is_machine").machine_reason,
            "several links clicked within seconds",
        )

    def test_same_link_clicked_again_is_a_person(self):
        trace = self._send_first_email(self.journey)
        with self.mock_datetime_and_now(NOW + timedelta(hours=1)):
            trace._register_click(self.link, BROWSER, PERSON_IP)
        with self.mock_datetime_and_now(NOW + timedelta(hours=1, seconds=2)):
            self.assertTrue(trace._register_click(self.link, BROWSER, PERSON_IP))
        self._count_engagement()
        self.assertEqual(trace.click_count, 2)
        self.assertFalse(trace.event_ids.filtered("is_machine"))

    def test_click_right_after_the_hidden_link_is_machine(self):
        trace = self._send_first_email(self.journey)
        with self.mock_datetime_and_now(NOW + timedelta(hours=1)):
            trace._register_click(self.env["link.tracker"], BROWSER, PERSON_IP, honeypot=True)
        with self.mock_datetime_and_now(NOW + timedelta(hours=1, seconds=2)):
            self.assertFalse(trace._register_click(self.link, BROWSER, PERSON_IP))
        self._count_engagement()
        self.assertEqual(trace.click_count, 0)
        self.assertEqual(
            trace.event_ids.sorted("id")[-1:].machine_reason,
            "several links clicked within seconds",
        )

    def test_tracking_request_costs_a_fixed_number_of_queries(self):
        trace = self._send_first_email(self.journey)
        trace.invalidate_recordset()
        self.env.invalidate_all()
        with self.mock_datetime_and_now(NOW + timedelta(hours=1)):
            token = trace._get_token("open")
            with self.assertQueryCount(OPEN_QUERIES):
                self.assertTrue(trace._check_token(token, "open"))
                trace._register_open(BROWSER, PERSON_IP)
                self.env.flush_all()
            self.env.invalidate_all()
            token = trace._get_token("click", "abc")
            with self.assertQueryCount(CLICK_QUERIES):
                self.assertTrue(trace._check_token(token, "click", "abc"))
                trace._register_click(self.link, BROWSER, PERSON_IP)
                self.env.flush_all()
            self.env.invalidate_all()
            token = trace._get_token("open")
            # opened again: an event, no update of the trace (counted by the cron)
            with self.assertQueryCount(OPEN_AGAIN_QUERIES):
                self.assertTrue(trace._check_token(token, "open"))
                trace._register_open(BROWSER, PERSON_IP)
                self.env.flush_all()
        self.assertEqual(self._count_engagement(), 3)
        self.assertEqual((trace.open_count, trace.click_count), (2, 1))

    def test_log_rows_are_stored_as_create_would(self):
        trace = self._send_first_email(self.journey)
        lead = self.leads[0]
        Event = self.env["mail.journey.event"]
        self.assertFalse(trace.event_ids.filtered(lambda event: event.type != "sent"))
        common = {
            "trace_id": trace.id,
            "journey_id": trace.journey_id.id,
            "step_id": trace.step_id.id,
            "lead_id": lead.id,
            "company_id": trace.company_id.id,
        }
        with self.mock_datetime_and_now(NOW + timedelta(hours=1)):
            ids = Event._insert_log_rows(
                [
                    {"type": "open", **common},
                    {"type": "click", "is_machine": True, "machine_reason": "scanner", **common},
                    {
                        "type": "click",
                        "url": "https://www.example.com/",
                        "link_id": self.link.id,
                        **common,
                    },
                ]
            )
        events = Event.browse(ids)
        self.assertEqual(trace.event_ids.filtered(lambda event: event.type != "sent"), events)
        self.assertEqual(lead.journey_event_ids & events, events, "the lead's cache read again")
        self.assertEqual(events.mapped("engagement_pending"), [True, False, True])
        self.assertEqual(events.mapped("is_machine"), [False, True, False])
        self.assertEqual(set(events.mapped("date")), {NOW + timedelta(hours=1)})
        self.assertEqual(events.create_uid, self.env.user)
        self.assertEqual(events[2].link_id, self.link)
        for vals in ({"type": "reply", **common}, {"type": "open", "description": "x", **common}):
            with self.subTest(vals=sorted(vals)), self.assertRaises(ValueError):
                Event._insert_log_rows([vals])
