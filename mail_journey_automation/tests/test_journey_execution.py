from datetime import timedelta
from unittest.mock import patch

from odoo import sql_db
from odoo.tests import tagged

from .common import EXECUTORS, NOW, SENDERS, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyExecution(JourneyCommon):
    def test_email_step_posts_on_chatter_and_queues_mail(self):
        journey = self._create_journey([self._email_step()])
        journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            journey._enroll(self.leads)
            self._process()
        traces = self._traces(journey)
        self.assertEqual(traces.mapped("state"), ["done"] * 3)
        lead = self.leads[0]
        trace = traces.filtered(lambda trace: trace.res_id == lead.id)
        message = trace.mail_message_id
        self.assertIn(message, lead.message_ids, "the email is on the lead's chatter")
        self.assertEqual(message.subject, "Welcome Contact 0")
        self.assertEqual(trace.message_id, message.message_id)
        self.assertTrue(trace.message_id)
        self.assertMailMailWEmails(
            [lead.email_from],
            "outgoing",
            content="Hello Contact 0",
            fields_values={
                "subject": "Welcome Contact 0",
                "model": "crm.lead",
                "res_id": lead.id,
            },
        )
        self.assertEqual(journey.mail_sent_count, 3)

    def test_each_email_carries_its_own_tracking_urls(self):
        journey = self._create_journey([self._email_step()])
        journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            journey._enroll(self.leads)
            self._process()
        traces = self._traces(journey)
        self.assertEqual(len(traces), 3)
        for trace in traces:
            body = trace.mail_mail_id.body_html
            for purpose in ("open", "honeypot", "unsubscribe"):
                self.assertIn(trace._get_tracking_url(purpose), body)
            self.assertNotIn("mail-journey-", body, "no footer placeholder is left")
            self.assertIn(trace._get_unsubscribe_url(), trace.mail_mail_id.headers)

    def test_footer_address_has_no_empty_parts(self):
        """An incomplete company address gives no ", ," in the footer."""
        self.env.company.partner_id.write(
            {"street": "Suite 300", "street2": False, "zip": False, "city": "Brisbane"}
        )
        journey = self._create_journey([self._email_step()])
        journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            journey._enroll(self.leads[0])
            self._process()
        body = self._traces(journey).mail_mail_id.body_html
        self.assertIn("Suite 300, Brisbane", body)
        self.assertNotRegex(body, r",\s*,")

    def _leads_with_partners(self, count, tag):
        partners = self.env["res.partner"].create(
            [{"name": f"{tag} {i}", "email": f"{tag}{i}@example.com"} for i in range(count)]
        )
        return self.env["crm.lead"].create(
            [
                {
                    "name": partner.name,
                    "contact_name": partner.name,
                    "partner_id": partner.id,
                    "email_from": partner.email,
                    "user_id": self.user_sales.id,
                }
                for partner in partners
            ]
        )

    def _queries_to_mail(self, leads):
        """Enroll ``leads`` in a new one-email journey and return the number
        of queries the execution of their traces ran."""
        journey = self._create_journey([self._email_step(self.template_intro)])
        journey.action_start()
        journey._enroll(leads)
        self.env.invalidate_all()
        with self.mock_mail_gateway():
            before = sql_db.sql_counter
            self._process()
            queries = sql_db.sql_counter - before
        self.assertEqual(len(self._new_mails), len(leads))
        return queries

    def test_a_batch_runs_no_query_per_email(self):
        """The queries of a batch do not grow with its emails: the language
        of each recipient (read one partner at a time by Odoo's composer,
        about one query per email) is read for the whole batch."""
        small = self._queries_to_mail(self._leads_with_partners(5, "small"))
        large = self._queries_to_mail(self._leads_with_partners(45, "large"))
        self.assertLess(large - small, 10, "40 more emails, not one query each")

    def test_a_journey_batch_is_rendered_in_one_pass(self):
        """Odoo's mass mail composer renders by 50 and invalidates the whole
        cache after each 50; a journey batch (bounded by
        mail_journey.batch_size) is rendered in one pass."""
        leads = self._leads_with_partners(60, "batch")
        journey = self._create_journey([self._email_step(self.template_intro)])
        journey.action_start()
        journey._enroll(leads)
        Composer = self.registry["mail.compose.message"]
        prepare = Composer._prepare_mail_values
        batches = []

        def spy(composer, res_ids):
            batches.append(len(res_ids))
            return prepare(composer, res_ids)

        with patch.object(Composer, "_prepare_mail_values", spy), self.mock_mail_gateway():
            self._process()
        self.assertEqual(batches, [60])
        self.assertEqual(len(self._new_mails), 60)
        self.assertEqual(set(self._traces(journey).mapped("state")), {"done"})
        # outside journeys, Odoo's batch size is unchanged
        self.assertEqual(self.env["mail.compose.message"]._batch_size, 50)

    def test_a_large_audience_is_enrolled_in_batches(self):
        """Past ENROLL_BATCH_SIZE records, enrollments are created batch by
        batch (the cache dropped after each): every record is enrolled
        once with its first step, and the executors are woken once."""
        journey = self._create_journey([self._email_step()])
        journey.action_start()
        leads = self._leads_with_partners(5, "audience") | self.leads
        triggers = [self._count_triggers(xmlid) for xmlid in EXECUTORS]
        with patch("odoo.addons.mail_journey_automation.models.mail_journey.ENROLL_BATCH_SIZE", 2):
            enrollments = journey._enroll(leads)
        self.assertEqual(len(enrollments), 8)
        self.assertEqual(sorted(enrollments.mapped("res_id")), sorted(leads.ids))
        self.assertEqual(enrollments.mapped("partner_id"), leads.partner_id)
        self.assertEqual(set(enrollments.mapped("state")), {"running"})
        self.assertEqual(len(self._traces(journey, state="scheduled")), 8)
        self.assertEqual(
            [self._count_triggers(xmlid) for xmlid in EXECUTORS], [count + 1 for count in triggers]
        )
        with patch("odoo.addons.mail_journey_automation.models.mail_journey.ENROLL_BATCH_SIZE", 2):
            self.assertFalse(journey._enroll(leads), "the re-entry policy still applies")

    def test_email_step_wakes_the_journey_senders(self):
        journey = self._create_journey([self._email_step()])
        journey.action_start()
        journey._enroll(self.leads[0])
        before = [self._count_triggers(xmlid) for xmlid in SENDERS]
        with self.mock_mail_gateway():
            self._process()
        self.assertEqual(
            [self._count_triggers(xmlid) for xmlid in SENDERS],
            [count + 1 for count in before],
            "the senders are woken up, not left to their next run",
        )

    def test_children_scheduled_after_parent(self):
        journey = self._create_journey(
            [
                self._email_step(),
                self._email_step(
                    self.template_intro, parent=0, interval_number=2, interval_unit="days"
                ),
            ]
        )
        journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            journey._enroll(self.leads[0])
            self._process()
        child = self._traces(journey, step_id=journey.step_ids[1].id)
        self.assertEqual(child.schedule_date, NOW + timedelta(days=2))
        self.assertEqual(child.state, "scheduled")
        self.assertEqual(
            child.parent_trace_id, self._traces(journey, step_id=journey.step_ids[0].id)
        )
        with self.mock_datetime_and_now(NOW + timedelta(days=1)), self.mock_mail_gateway():
            self._process()
        self.assertEqual(child.state, "scheduled", "not due before its delay")
        with self.mock_datetime_and_now(NOW + timedelta(days=2)), self.mock_mail_gateway():
            self._process()
        self.assertEqual(child.state, "done")
        enrollment = child.enrollment_id
        self.assertEqual(enrollment.state, "completed")
        self.assertEqual(enrollment.date_end, NOW + timedelta(days=2))

    def test_condition_false_skips_step_and_branch(self):
        journey = self._create_journey(
            [
                self._email_step(
                    condition_domain=f"[('journey_stage_id', '=', {self.stage_proposal.id})]"
                ),
                self._email_step(self.template_intro, parent=0),
            ]
        )
        journey.action_start()
        self.leads[1].journey_stage_id = self.stage_proposal
        with self.mock_mail_gateway():
            journey._enroll(self.leads[:2])
            self._process()
            self._process()
        skipped = self._traces(journey, res_id=self.leads[0].id)
        self.assertEqual(skipped.state, "skipped")
        self.assertIn("condition", skipped.state_message)
        self.assertEqual(
            self._traces(journey, res_id=self.leads[1].id).mapped("state"), ["done", "done"]
        )

    def test_condition_true_runs_step(self):
        journey = self._create_journey(
            [self._email_step(condition_domain=f"[('user_id', '=', {self.user_sales.id})]")]
        )
        journey.action_start()
        with self.mock_mail_gateway():
            journey._enroll(self.leads[0])
            self._process()
        self.assertEqual(self._traces(journey).state, "done")

    def test_activity_step_for_salesperson(self):
        journey = self._create_journey([self._call_step()])
        journey.action_start()
        with self.mock_datetime_and_now(NOW):
            journey._enroll(self.leads[0])
            self._process()
        activity = self.leads[0].activity_ids
        self.assertEqual(activity.summary, "Call the prospect")
        self.assertEqual(activity.user_id, self.user_sales)
        self.assertEqual(activity.date_deadline, NOW.date() + timedelta(days=2))

    def test_server_action_step_runs_on_all_records(self):
        action = self.env["ir.actions.server"].create(
            {
                "name": "Tag priority",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "state": "code",
                "code": "records.write({'priority': '3'})",
            }
        )
        journey = self._create_journey(
            [{"name": "Prioritise", "action": "server_action", "server_action_id": action.id}]
        )
        journey.action_start()
        journey._enroll(self.leads)
        self._process()
        self.assertEqual(self.leads.mapped("priority"), ["3"] * 3)

    def test_set_stage_step(self):
        journey = self._create_journey(
            [{"name": "Explore", "action": "set_stage", "stage_id": self.stage_exploration.id}]
        )
        journey.action_start()
        journey._enroll(self.leads[0])
        self._process()
        self.assertEqual(self.leads[0].journey_stage_id, self.stage_exploration)
        self.assertIn(
            self.stage_exploration.name,
            self.leads[0].message_ids.tracking_value_ids.mapped("new_value_char"),
            "the stage change is tracked in the chatter",
        )

    def test_exit_step_ends_enrollment(self):
        journey = self._create_journey(
            [{"name": "Leave", "action": "exit"}, self._email_step(parent=0)]
        )
        journey.action_start()
        journey._enroll(self.leads[0])
        self._process()
        enrollment = journey.enrollment_ids
        self.assertEqual(enrollment.state, "exited")
        self.assertEqual(len(enrollment.trace_ids), 1, "nothing runs after an exit step")

    def test_goal_completes_enrollment_before_step(self):
        journey = self._create_journey(
            [self._email_step(interval_number=1, interval_unit="days")],
            goal_domain=f"[('journey_stage_id', '=', {self.stage_proposal.id})]",
        )
        journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            journey._enroll(self.leads[:2])
        self.leads[0].journey_stage_id = self.stage_proposal
        with self.mock_datetime_and_now(NOW + timedelta(days=1)), self.mock_mail_gateway():
            self._process()
        reached = journey.enrollment_ids.filtered(lambda e: e.lead_id == self.leads[0])
        self.assertEqual(reached.state, "completed")
        self.assertEqual(reached.exit_reason, "Goal reached.")
        self.assertEqual(reached.trace_ids.state, "cancelled")
        self.assertEqual(len(self._new_mails), 1, "only the other lead gets the email")

    def test_goal_broken_after_saving_errors_with_reason(self):
        journey = self._create_journey(
            [self._email_step()], goal_domain="[('probability', '=', 100)]"
        )
        journey.action_start()
        journey._enroll(self.leads[0])
        self.env.cr.execute(
            "UPDATE mail_journey SET goal_domain = '[(''gone_field'', ''='', 1)]' WHERE id = %s",
            [journey.id],
        )
        journey.invalidate_recordset(["goal_domain"])
        other = self._create_journey([self._email_step()])
        other.action_start()
        other._enroll(self.leads[1])
        with (
            self.mock_mail_gateway(),
            self.assertLogs("odoo.addons.mail_journey_automation", "WARNING"),
        ):
            self._process()
        trace = self._traces(journey)
        self.assertEqual(trace.state, "error")
        self.assertIn("Exit Goal", trace.state_message)
        self.assertEqual(self._traces(other).state, "done", "other journeys go on")

    def test_audience_broken_after_saving_does_not_block_lead_creation(self):
        journey = self._create_journey([self._email_step()], trigger="create")
        journey.action_start()
        self.env.cr.execute(
            "UPDATE mail_journey SET domain = '[(''gone_field'', ''='', 1)]' WHERE id = %s",
            [journey.id],
        )
        journey.invalidate_recordset(["domain"])
        with self.assertLogs("odoo.addons.mail_journey_automation", "WARNING"):
            lead = self.env["crm.lead"].create({"name": "Web form", "email_from": "w@example.com"})
        self.assertTrue(lead.exists())
        self.assertFalse(journey.enrollment_ids)

    def test_end_stage_on_completion(self):
        journey = self._create_journey([self._email_step()], end_stage_id=self.stage_care.id)
        journey.action_start()
        with self.mock_mail_gateway():
            journey._enroll(self.leads[0])
            self._process()
        self.assertEqual(journey.enrollment_ids.state, "completed")
        self.assertEqual(self.leads[0].journey_stage_id, self.stage_care)

    def test_running_twice_sends_once(self):
        journey = self._create_journey([self._email_step()])
        journey.action_start()
        with self.mock_mail_gateway():
            journey._enroll(self.leads)
            self._process()
            self._process()
        self.assertEqual(len(self._new_mails), 3)
        sent = self.leads[0].message_ids.filtered(lambda m: m.subject == "Welcome Contact 0")
        self.assertEqual(len(sent), 1)

    def test_bad_record_does_not_block_batch(self):
        fragile = self.env["mail.template"].create(
            {
                "name": "Breaks on leads without contact name",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "subject": "Hi {{ object.contact_name.upper() }}",
                "body_html": "<p>Hi</p>",
                "use_default_to": True,
            }
        )
        self.leads[0].contact_name = False
        journey = self._create_journey([self._email_step(fragile)])
        journey.action_start()
        with (
            self.mock_mail_gateway(),
            self.assertLogs("odoo.addons.mail_journey_automation", "WARNING") as logs,
        ):
            journey._enroll(self.leads)
            self._process()
        traces = self._traces(journey)
        failed = traces.filtered(lambda trace: trace.res_id == self.leads[0].id)
        self.assertEqual(failed.state, "error")
        self.assertIn("Failed to render", failed.state_message)
        self.assertIn(f"trace {failed.id}", logs.output[0])
        sent = traces - failed
        self.assertEqual(sent.mapped("state"), ["done", "done"])
        self.assertEqual(
            set(sent.mail_message_id.mapped("subject")), {"Hi CONTACT 1", "Hi CONTACT 2"}
        )

    def test_missing_email_is_an_error(self):
        self.leads[0].email_from = False
        journey = self._create_journey([self._email_step()])
        journey.action_start()
        with self.mock_mail_gateway():
            journey._enroll(self.leads[:2])
            self._process()
        trace = self._traces(journey, res_id=self.leads[0].id)
        self.assertEqual(trace.state, "error")
        self.assertEqual(trace.state_message, "The record has no valid email address.")
        self.assertEqual(len(self._new_mails), 1)

    def test_blacklisted_address_is_skipped(self):
        self.env["mail.blacklist"].sudo()._add(self.leads[0].email_from)
        journey = self._create_journey([self._email_step()])
        journey.action_start()
        with self.mock_mail_gateway():
            journey._enroll(self.leads[:2])
            self._process()
        trace = self._traces(journey, res_id=self.leads[0].id)
        self.assertEqual(trace.state, "skipped")
        self.assertIn("blacklisted", trace.state_message)
        self.assertEqual(len(self._new_mails), 1)

    def test_deleted_record_cancels_trace(self):
        journey = self._create_journey([self._email_step(interval_number=1, interval_unit="hours")])
        journey.action_start()
        with self.mock_datetime_and_now(NOW):
            journey._enroll(self.leads[0])
        enrollment = journey.enrollment_ids
        self.leads[0].unlink()
        with self.mock_datetime_and_now(NOW + timedelta(hours=1)), self.mock_mail_gateway():
            self._process()
        self.assertEqual(enrollment.trace_ids.state, "cancelled")
        self.assertEqual(enrollment.state, "cancelled")
        self.assertFalse(self._new_mails)
