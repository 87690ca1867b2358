import math
from datetime import datetime

from odoo.tests import tagged

from ..models.mail_journey_step_variant import assignment_position
from .common import NOW, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyVariant(JourneyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        lead_model = cls.env["ir.model"]._get_id("crm.lead")
        cls.template_food, cls.template_small, cls.template_b = cls.env["mail.template"].create(
            [
                {
                    "name": name,
                    "model_id": lead_model,
                    "subject": name,
                    "body_html": f"<p>{name}</p>",
                    "use_default_to": True,
                }
                for name in ("Food-grade tubes", "Low-volume offer", "Welcome B")
            ]
        )
        cls.segment_food, cls.segment_small = cls.env["mail.journey.segment"].create(
            [
                {"name": "Food industry", "domain": "[('partner_name', 'ilike', 'food')]"},
                {"name": "Small companies", "domain": "[('expected_revenue', '<', 10000)]"},
            ]
        )
        cls.leads[0].write({"partner_name": "Fresh Food Ltd", "expected_revenue": 5000})
        cls.leads[1].write({"partner_name": "Tiny Tools", "expected_revenue": 5000})
        cls.leads[2].write({"partner_name": "Big Steel", "expected_revenue": 500000})

    def _variant(self, step, template, **values):
        return self.env["mail.journey.step.variant"].create(
            {"step_id": step.id, "name": template.name, "template_id": template.id, **values}
        )

    def _subject_of(self, journey, lead):
        trace = self._traces(journey).filtered(lambda trace: trace.res_id == lead.id)
        return trace.mail_message_id.subject

    def test_assignment_position_is_deterministic(self):
        positions = [assignment_position(enrollment, 7) for enrollment in range(1, 200)]
        self.assertEqual(positions, [assignment_position(e, 7) for e in range(1, 200)])
        self.assertTrue(all(0 <= position < 1 for position in positions))
        self.assertEqual(len(set(positions)), len(positions), "enrollments spread out")
        self.assertNotEqual(assignment_position(1, 7), assignment_position(1, 8))

    def test_weights_honoured_within_tolerance(self):
        journey = self._create_journey([self._email_step(ab_end_date=datetime(2026, 3, 9))])
        step = journey.step_ids
        variant_a = self._variant(step, self.template_welcome, weight=3)
        self._variant(step, self.template_b, weight=1)
        count, expected_share = 4000, 0.75
        picked_a = sum(
            step._pick_split_variant(assignment_position(enrollment, step.id)) == variant_a
            for enrollment in range(1, count + 1)
        )
        # a binomial count stays within 4 standard deviations of its mean
        # (fails by chance with probability 6e-5)
        tolerance = 4 * math.sqrt(count * expected_share * (1 - expected_share))
        self.assertLess(abs(picked_a - count * expected_share), tolerance)
        in_test = sum(assignment_position(e, step.id) < 0.2 for e in range(1, count + 1))
        self.assertLess(abs(in_test - count * 0.2), 4 * math.sqrt(count * 0.2 * 0.8))

    def test_segment_precedence_and_default(self):
        journey = self._create_journey([self._email_step()])
        step = journey.step_ids
        food = self._variant(step, self.template_food, segment_id=self.segment_food.id)
        self._variant(step, self.template_small, segment_id=self.segment_small.id, sequence=20)
        journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            journey._enroll(self.leads)
            self._process()
        # lead 0 is in both segments: the first variant of the list wins
        self.assertEqual(self._subject_of(journey, self.leads[0]), "Food-grade tubes")
        self.assertEqual(self._subject_of(journey, self.leads[1]), "Low-volume offer")
        # no segment and no variant without segment: the step's own template
        self.assertEqual(self._subject_of(journey, self.leads[2]), "Welcome Contact 2")
        traces = self._traces(journey).sorted("res_id")
        self.assertEqual(traces[0].variant_id, food)
        self.assertEqual(traces.mapped("variant_reason"), ["segment", "segment", "default"])

    def test_variant_kept_when_trace_runs_again(self):
        # the send window opens at 14:00: the traces are postponed after
        # their variant was chosen; changing the weights meanwhile changes nothing
        self.leads.user_id.tz = "UTC"
        journey = self._create_journey(
            [self._email_step(ab_size_share=100, ab_end_date=datetime(2026, 3, 9))],
            window_enabled=True,
            window_hour_from=14,
        )
        step = journey.step_ids
        variant_a = self._variant(step, self.template_welcome, weight=1)
        variant_b = self._variant(step, self.template_b, weight=1)
        journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            journey._enroll(self.leads)
            self._process()
        traces = self._traces(journey)
        self.assertEqual(set(traces.mapped("state")), {"scheduled"})
        chosen = {trace: trace.variant_id for trace in traces}
        self.assertTrue(all(chosen.values()))
        variant_a.weight, variant_b.weight = 1, 1000
        with self.mock_datetime_and_now(NOW.replace(hour=14)), self.mock_mail_gateway():
            self._process()
        for trace, variant in chosen.items():
            self.assertEqual(trace.state, "done")
            self.assertEqual(trace.variant_id, variant)
            self.assertEqual(
                trace.mail_message_id.subject.startswith("Welcome B"), variant == variant_b
            )

    def test_step_segment_restricts_the_step(self):
        journey = self._create_journey([self._email_step(segment_id=self.segment_food.id)])
        journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            journey._enroll(self.leads)
            self._process()
        traces = self._traces(journey).sorted("res_id")
        self.assertEqual(traces.mapped("state"), ["done", "skipped", "skipped"])

    def test_report_has_variant_and_segment(self):
        journey = self._create_journey([self._email_step()])
        step = journey.step_ids
        food = self._variant(step, self.template_food, segment_id=self.segment_food.id)
        journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            journey._enroll(self.leads)
            self._process()
        self.env.flush_all()
        groups = self.env["mail.journey.report"]._read_group(
            [("journey_id", "=", journey.id)],
            ["variant_id", "segment_id", "template_id"],
            ["sent:sum"],
        )
        self.assertEqual(
            sorted(groups, key=lambda group: group[0].id),
            [
                (
                    self.env["mail.journey.step.variant"],
                    self.env["mail.journey.segment"],
                    self.template_welcome,
                    2,
                ),
                (food, self.segment_food, self.template_food, 1),
            ],
        )
