from datetime import datetime, timedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..tools.statistics import two_proportion_p_value
from .common import NOW, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyAbTest(JourneyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template_b = cls.template_welcome.copy({"name": "Welcome B", "subject": "Variant B"})
        cls.journey = cls._create_journey(
            [cls._email_step(ab_min_sample=30, ab_end_date=datetime(2026, 3, 9))]
        )
        cls.step = cls.journey.step_ids
        cls.variant_a, cls.variant_b = cls.env["mail.journey.step.variant"].create(
            [
                {"step_id": cls.step.id, "name": "A", "template_id": cls.template_welcome.id},
                {
                    "step_id": cls.step.id,
                    "name": "B",
                    "template_id": cls.template_b.id,
                    "is_default": True,
                },
            ]
        )

    def test_p_value_hand_computed(self):
        # 30% of 1000 vs 24% of 1000: pooled p = 0.27,
        # se = sqrt(0.27 * 0.73 * 2 / 1000) = 0.019855, z = 3.0219, p = 0.00251
        self.assertAlmostEqual(two_proportion_p_value(300, 1000, 240, 1000), 0.00251, places=5)
        # 30% of 100 vs 25% of 100: pooled p = 0.275,
        # se = sqrt(0.275 * 0.725 * 2 / 100) = 0.063147, z = 0.7918, p = 0.4285
        self.assertAlmostEqual(two_proportion_p_value(30, 100, 25, 100), 0.4285, places=4)
        self.assertEqual(two_proportion_p_value(0, 0, 3, 10), 1.0, "empty sample")
        self.assertEqual(two_proportion_p_value(0, 10, 0, 10), 1.0, "no variance")

    def test_significant_difference_chooses_winner(self):
        winner, p_value, reason = self.step._ab_evaluate(
            {self.variant_a: (1000, 300), self.variant_b: (1000, 240)}
        )
        self.assertEqual(winner, self.variant_a)
        self.assertAlmostEqual(p_value, 0.00251, places=5)
        self.assertIn("winner", reason)

    def test_not_significant_keeps_default(self):
        winner, p_value, reason = self.step._ab_evaluate(
            {self.variant_a: (100, 30), self.variant_b: (100, 25)}
        )
        self.assertFalse(winner)
        self.assertAlmostEqual(p_value, 0.4285, places=4)
        self.assertIn("No significant difference", reason)

    def test_too_small_sample_keeps_default(self):
        # 15 of 20 against 2 of 20 would be significant, but 20 < 30 per variant
        winner, p_value, reason = self.step._ab_evaluate(
            {self.variant_a: (20, 15), self.variant_b: (20, 2)}
        )
        self.assertFalse(winner)
        self.assertLess(p_value, 0.05)
        self.assertIn("too small", reason)

    def test_end_date_required(self):
        with self.assertRaises(ValidationError):
            self.step.ab_end_date = False

    def test_test_share_then_winner_for_the_rest(self):
        leads = self.env["crm.lead"].create(
            [
                {"name": f"AB {index}", "email_from": f"ab{index}@example.com", "type": "lead"}
                for index in range(120)
            ]
        )
        self.step.write({"ab_size_share": 50, "ab_min_sample": 10})
        self.journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            self.journey._enroll(leads)
            self._process()
        traces = self._traces(self.journey)
        sample = traces.filtered(lambda trace: trace.variant_reason == "ab_test")
        waiting = traces - sample
        self.assertTrue(30 < len(sample) < 90, "about half of the recipients are tested")
        self.assertEqual(set(sample.mapped("state")), {"done"})
        self.assertEqual(set(waiting.mapped("state")), {"scheduled"})
        self.assertTrue(all(waiting.mapped("ab_waiting")))
        self.assertEqual(set(waiting.mapped("schedule_date")), {datetime(2026, 3, 9)})
        # every recipient of A opens, none of B: A wins
        sample.filtered(lambda trace: trace.variant_id == self.variant_a).open_datetime = NOW
        end = datetime(2026, 3, 9)
        with self.mock_datetime_and_now(end), self.mock_mail_gateway():
            self.env["mail.journey.step"]._cron_decide_ab_tests()
            self.assertEqual(self.step.ab_state, "winner")
            self.assertTrue(self.variant_a.is_winner)
            self.assertLess(self.step.ab_p_value, 0.05)
            message = self.journey.message_ids[0]
            self.assertIn("p-value", message.body)
            self.assertIn("'A' beats 'B'", message.body)
            self.assertEqual(set(waiting.mapped("schedule_date")), {end})
            self._process()
        self.assertEqual(set(waiting.mapped("state")), {"done"})
        self.assertEqual(set(waiting.mapped("variant_id")), {self.variant_a})
        self.assertEqual(set(waiting.mapped("variant_reason")), {"winner"})
        self.assertEqual(self.variant_a.ab_sent_count + self.variant_b.ab_sent_count, len(sample))

    def test_inconclusive_end_by_count_keeps_default(self):
        self.step.write(
            {"ab_size_mode": "count", "ab_size_count": 4, "ab_end_mode": "count", "ab_end_count": 4}
        )
        leads = self.leads | self.env["crm.lead"].create(
            [{"name": f"AB {index}", "email_from": f"ab{index}@example.com"} for index in range(3)]
        )
        self.journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            self.journey._enroll(leads)
            self._process()
        traces = self._traces(self.journey)
        self.assertEqual(len(traces.filtered(lambda t: t.variant_reason == "ab_test")), 4)
        self.assertEqual(len(traces.filtered("ab_waiting")), 2)
        later = NOW + timedelta(hours=1)
        with self.mock_datetime_and_now(later), self.mock_mail_gateway():
            self._process()
        self.assertEqual(self.step.ab_state, "default")
        self.assertIn("too small", self.step.ab_result)
        self.assertEqual(set(traces.mapped("state")), {"done"})
        self.assertEqual(
            set(traces.filtered(lambda t: t.variant_reason == "default").variant_id),
            {self.variant_b},
        )
