from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyTemplate(JourneyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ready_made = cls._create_journey(
            [cls._email_step(name="Welcome")], name="Ready-made welcome", is_template=True
        )
        welcome = cls.ready_made.step_ids
        cls.env["mail.journey.step"].create(
            [
                cls._email_step(
                    name="Introduction",
                    template=cls.template_intro,
                    journey_id=cls.ready_made.id,
                    parent_id=welcome.id,
                    trigger="not_opened",
                    interval_number=2,
                ),
                {
                    "name": "Call",
                    "journey_id": cls.ready_made.id,
                    "parent_id": welcome.id,
                    "trigger": "clicked",
                    "action": "activity",
                    "activity_summary": "Call them",
                },
            ]
        )
        cls.ready_made.active = False

    def _tree(self, journey):
        return {(step.name, step.parent_id.name or None, step.trigger) for step in journey.step_ids}

    def test_copy_keeps_the_tree(self):
        journey = self._create_journey([self._email_step(name="Welcome")])
        child = self.env["mail.journey.step"].create(
            self._email_step(
                name="Reminder",
                journey_id=journey.id,
                parent_id=journey.step_ids.id,
                trigger="parent",
            )
        )
        copy = journey.copy()
        self.assertEqual(self._tree(copy), self._tree(journey))
        self.assertEqual(copy.step_ids.parent_id.journey_id, copy, "parents are the copies")
        self.assertNotIn(child, copy.step_ids)
        self.assertEqual(copy.step_ids.mail_template_id, journey.step_ids.mail_template_id)

    def test_create_from_template_copies_steps_and_templates(self):
        action = self.ready_made.action_create_from_template()
        journey = self.env["mail.journey"].browse(action["res_id"])
        self.assertEqual(journey.name, "Ready-made welcome (copy)")
        self.assertTrue(journey.active)
        self.assertFalse(journey.is_template)
        self.assertEqual(journey.state, "draft")
        self.assertEqual(self._tree(journey), self._tree(self.ready_made))
        copied_templates = journey.step_ids.mail_template_id
        self.assertEqual(len(copied_templates), 2)
        self.assertFalse(copied_templates & self.ready_made.step_ids.mail_template_id)
        self.assertEqual(
            sorted(copied_templates.mapped("name")),
            ["Company introduction (copy)", "Welcome (copy)"],
            "a copied email template is told apart from its ready-made one",
        )

    def test_copy_is_independent_of_its_template(self):
        action = self.ready_made.action_create_from_template()
        journey = self.env["mail.journey"].browse(action["res_id"])
        welcome = journey.step_ids.filtered(lambda step: step.name == "Welcome")
        welcome.mail_template_id.subject = "Changed in the copy"
        welcome.name = "Welcome (edited)"
        journey.step_ids.filtered(lambda step: step.name == "Call").unlink()
        self.assertEqual(
            self.template_welcome.subject, "Welcome {{ object.contact_name or 'there' }}"
        )
        self.assertEqual(
            self._tree(self.ready_made),
            {
                ("Welcome", None, "start"),
                ("Introduction", "Welcome", "not_opened"),
                ("Call", "Welcome", "clicked"),
            },
        )
        journey.action_start()
        self.assertEqual(journey.state, "running")
        self.assertEqual(self.ready_made.state, "draft")

    def test_ready_made_journey_cannot_start(self):
        with self.assertRaises(UserError):
            self.ready_made.action_start()

    def test_create_from_template_copies_variant_templates(self):
        welcome = self.ready_made.step_ids.filtered(lambda step: step.name == "Welcome")
        welcome.ab_end_date = "2030-01-01 00:00:00"
        self.env["mail.journey.step.variant"].create(
            [
                {"step_id": welcome.id, "template_id": self.template_welcome.id, "weight": 1},
                {"step_id": welcome.id, "template_id": self.template_intro.id, "weight": 1},
            ]
        )
        action = self.ready_made.action_create_from_template()
        journey = self.env["mail.journey"].browse(action["res_id"])
        variants = journey.step_ids.variant_ids
        self.assertEqual(len(variants), 2)
        self.assertFalse(
            variants.template_id & self.ready_made.step_ids.variant_ids.template_id,
            "the copy's variants use their own templates",
        )
        self.assertEqual(
            sorted(variants.template_id.mapped("name")),
            ["Company introduction (copy)", "Welcome (copy)"],
        )
