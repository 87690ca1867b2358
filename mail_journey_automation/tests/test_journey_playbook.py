from odoo.tests import Form, tagged

from .common import JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyPlaybook(JourneyCommon):
    """A playbook is one unit: 'Use Playbook' copies all its stage journeys,
    each with its own email templates, in one action."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.playbook = cls.env["mail.journey.playbook"].create(
            {"name": "Paper packaging", "summary": "From first contact to the order."}
        )
        cls.first_contact = cls._create_journey(
            [
                cls._email_step(name="Thanks"),
                cls._email_step(cls.template_intro, name="Who we are", parent=0),
            ],
            name="Paper packaging · 1. First contact",
            stage_id=cls.stage_first.id,
            is_template=True,
            playbook_id=cls.playbook.id,
            sequence=1,
        )
        cls.proposal = cls._create_journey(
            [cls._email_step(cls.template_intro, name="Quotation"), cls._call_step(parent=0)],
            name="Paper packaging · 4. Proposal",
            stage_id=cls.stage_proposal.id,
            is_template=True,
            playbook_id=cls.playbook.id,
            sequence=4,
        )
        (cls.first_contact | cls.proposal).active = False

    def _use(self, name=None):
        """Run 'Use Playbook' as the journey manager, the wizard's name
        changed to ``name`` if given; return the journeys created."""
        action = self.playbook.with_user(self.user_journey_manager).action_use()
        form = Form(
            self.env[action["res_model"]]
            .with_user(self.user_journey_manager)
            .with_context(**action["context"])
        )
        self.assertEqual(form.name, "Paper packaging", "the playbook's name by default")
        if name:
            form.name = name
        result = form.save().action_apply()
        return self.env["mail.journey"].search(result["domain"], order="sequence, id")

    def test_playbook_creates_its_journeys_in_one_action(self):
        journeys = self._use()
        self.assertEqual(
            journeys.mapped("name"),
            ["Paper packaging · 1. First contact (copy)", "Paper packaging · 4. Proposal (copy)"],
        )
        self.assertEqual(journeys.stage_id, self.stage_first | self.stage_proposal)
        self.assertEqual(set(journeys.mapped("state")), {"draft"})
        self.assertFalse(any(journeys.mapped("is_template")))
        self.assertTrue(all(journeys.mapped("active")))
        self.assertFalse(journeys.playbook_id, "the copies are not part of the playbook")
        self.assertEqual(
            self.playbook.journey_ids, self.first_contact | self.proposal, "the playbook unchanged"
        )
        first = journeys[0]
        self.assertEqual(first.step_ids.mapped("name"), ["Thanks", "Who we are"])
        self.assertEqual(first.step_ids[1].parent_id, first.step_ids[0])
        templates = journeys.step_ids.mail_template_id
        self.assertEqual(len(templates), 3, "each journey has its own copies")
        self.assertFalse(templates & (self.template_welcome | self.template_intro))
        self.assertEqual(
            sorted(templates.mapped("name")),
            ["Company introduction (copy)", "Company introduction (copy)", "Welcome (copy)"],
        )

    def test_playbook_copies_take_the_name_typed(self):
        journeys = self._use("Acme boxes")
        self.assertEqual(
            journeys.mapped("name"), ["Acme boxes · 1. First contact", "Acme boxes · 4. Proposal"]
        )
        self.assertEqual(
            sorted(journeys.step_ids.mail_template_id.mapped("name")),
            [
                "Acme boxes · Company introduction",
                "Acme boxes · Company introduction",
                "Acme boxes · Welcome",
            ],
        )

    def test_gallery_card_figures(self):
        self.assertEqual(self.playbook.journey_count, 2)
        self.assertEqual(self.playbook.email_count, 3)
        self.assertEqual(
            self.first_contact.email_preview,
            "Welcome {{ object.contact_name or 'there' }}\nWho we are",
        )
        self.assertEqual(self.first_contact.step_count, 2)
