from datetime import timedelta

from odoo.tests import tagged

from .common import NOW, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyBulkEnrollment(JourneyCommon):
    """Enrollments and their first traces are inserted in bulk by SQL, their
    stored computed values worked out in batch: the same values as the ORM's
    compute methods, one running enrollment per record, and a number of
    queries that does not grow with the audience."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_company = cls.env["res.partner"].create(
            {"name": "Tubes Inc", "is_company": True}
        )
        contact = cls.env["res.partner"].create(
            {
                "name": "Tina Tubes",
                "email": "tina@tubes.example.com",
                "parent_id": cls.customer_company.id,
            }
        )
        cls.leads[0].partner_id = contact
        cls.leads[1].user_id = cls.user_journey_manager
        cls.leads[2].email_from = "someone@gmail.com"
        cls.leads[2].user_id = False

    def _journey(self, **values):
        journey = self._create_journey(
            [
                self._email_step(interval_number=2, interval_unit="hours"),
                self._call_step(name="Call", interval_number=1, interval_unit="hours"),
                self._email_step(self.template_intro, parent=0),
            ],
            **values,
        )
        journey.action_start()
        return journey

    def _stored_values(self, records):
        """{record id: {stored computed field: value}} of ``records``, read
        from the database."""
        records.invalidate_model()
        names = [name for name, field in records._fields.items() if field.store and field.compute]
        return {record.id: {name: record[name] for name in names} for record in records}

    def _recompute(self, records):
        """Recompute every stored computed field of ``records`` with the ORM."""
        for field in records._fields.values():
            if field.store and field.compute:
                self.env.add_to_compute(field, records)
        records.flush_recordset()

    def test_bulk_values_are_those_of_the_compute_methods(self):
        journey = self._journey(holdout_percent=50)
        self.assertEqual(self.leads.mapped("journey_running_count"), [0, 0, 0])
        with self.mock_datetime_and_now(NOW):
            enrollments = journey._enroll(self.leads)
        traces = enrollments.trace_ids
        self.assertEqual(len(enrollments), 3)
        self.assertEqual(len(traces), 6, "the two root steps of each enrollment")
        # the records' journey counters and the journey's figures are read again
        self.assertEqual(self.leads.mapped("journey_running_count"), [1, 1, 1])
        self.assertEqual(journey.enrollment_count, 3)

        bulk = self._stored_values(enrollments)
        bulk_traces = self._stored_values(traces)
        self._recompute(enrollments)
        self._recompute(traces)
        self.assertEqual(self._stored_values(enrollments), bulk)
        self.assertEqual(self._stored_values(traces), bulk_traces)

        by_lead = {enrollment.lead_id: enrollment for enrollment in enrollments}
        first = by_lead[self.leads[0]]
        self.assertEqual(first.account_key, f"partner-{self.customer_company.id}")
        self.assertEqual(first.user_id, self.user_sales)
        self.assertEqual(by_lead[self.leads[1]].user_id, self.user_journey_manager)
        self.assertFalse(by_lead[self.leads[2]].account_key, "free mail: no company")
        self.assertFalse(by_lead[self.leads[2]].user_id)
        self.assertEqual(first.next_step_id.name, "Call", "the earliest root step")
        self.assertEqual(first.next_trace_date, NOW + timedelta(hours=1))
        self.assertFalse(first.idle_deadline, "a step is scheduled")
        self.assertEqual(first.company_id, journey.company_id)
        self.assertEqual(set(enrollments.mapped("state")), {"running"})
        self.assertEqual(traces.mapped("lead_id"), self.leads)
        self.assertEqual(set(traces.mapped("state")), {"scheduled"})
        self.assertEqual(
            sorted(enrollments.mapped("is_holdout")),
            sorted(enrollment._get_holdout_bucket() < 50 for enrollment in enrollments),
        )

    def test_a_record_runs_once_whatever_the_concurrency(self):
        """A record enrolled meanwhile by another transaction (here: the
        re-entry check passed before it) is skipped by the unique index of
        running enrollments, not raised, and gets no second trace."""
        journey = self._journey()
        Enrollment = self.env["mail.journey.enrollment"].sudo()
        created, first_date = Enrollment._create_running([journey] * 2, self.leads[:2])
        self.assertEqual(len(created), 2)
        self.assertTrue(first_date)
        again, first_date = Enrollment._create_running([journey] * 3, self.leads)
        self.assertEqual(again.mapped("res_id"), [self.leads[2].id], "only the new record")
        running = Enrollment.search([("journey_id", "=", journey.id)])
        self.assertEqual(len(running), 3)
        self.assertEqual(len(running.trace_ids), 6)

    def test_enrollment_queries_do_not_grow_with_the_audience(self):
        def queries_to_enroll(size):
            leads = self.env["crm.lead"].create(
                [
                    {"name": f"Q{size}-{i}", "email_from": f"q{size}.{i}@q{i}.example.com"}
                    for i in range(size)
                ]
            )
            journey = self._journey()
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            enrollments = journey._enroll(leads)
            self.env.flush_all()
            self.assertEqual(len(enrollments), size)
            return self.env.cr.sql_log_count - before

        queries_to_enroll(1)  # the caches of the first enrollment (parameters, crons)
        # the ORM's create inserted by 100 and updated the computed fields after
        self.assertEqual(queries_to_enroll(5), queries_to_enroll(250))

    def test_the_lock_takes_due_traces_of_running_journeys_in_order(self):
        """The due-trace lock takes the due traces of running journeys and
        running enrollments, earliest first, up to its limit."""
        journey, paused_journey = self._journey(), self._journey()
        with self.mock_datetime_and_now(NOW):
            enrollments = journey._enroll(self.leads)
            paused_journey._enroll(self.leads)
        paused_journey.action_pause()
        enrollments.filtered(lambda enrollment: enrollment.lead_id == self.leads[2])._pause()
        engine = self.env["mail.journey.engine"]
        with self.mock_datetime_and_now(NOW + timedelta(minutes=90)):
            self.assertEqual(
                [trace.step_id.name for trace in engine._lock_due(10)],
                ["Call", "Call"],
                "due ones only",
            )
        with self.mock_datetime_and_now(NOW + timedelta(hours=3)):
            locked = engine._lock_due(10)
            self.assertEqual(
                [trace.step_id.name for trace in locked], ["Call", "Call", "Email", "Email"]
            )
            self.assertEqual(set(locked.enrollment_id.mapped("lead_id")), set(self.leads[:2]))
            self.assertEqual(engine._lock_due(3), locked[:3])
