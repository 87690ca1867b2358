from odoo import Command
from odoo.tests import tagged

from odoo.addons.mail_journey_automation.tests.common import NOW, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyReadyMade(JourneyCommon):
    """The ready-made journeys shipped as data: complete, clean, sendable,
    in English and Chinese, and copied independently."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # this addon's own (the bridges test theirs)
        own = cls.env["ir.model.data"].search(
            [("module", "=", "mail_journey_automation_playbooks"), ("model", "=", "mail.journey")]
        )
        cls.ready_made = (
            cls.env["mail.journey"]
            .with_context(active_test=False)
            .search([("is_template", "=", True), ("id", "in", own.mapped("res_id"))])
        )
        cls.templates = cls.ready_made.step_ids.mail_template_id
        cls.lead = cls.leads[0]
        cls.lead.journey_risk_profile = "balanced"
        customer = cls.env["res.partner"].create(
            {"name": "Paper Buyer Ltd", "email": "buyer@paper.example.com"}
        )
        product = cls.env["product.product"].create(
            {"name": "Kraft tube 60 mm", "type": "service", "list_price": 0.42}
        )
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "opportunity_id": cls.lead.id,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 5000})],
            }
        )

    def _render(self, lang="en_US"):
        """Render subject and body of every ready-made email for the lead or
        the order, in ``lang``."""
        records = {"crm.lead": self.lead, "sale.order": self.order}
        rendered = {}
        for template in self.templates.with_context(lang=lang):
            record = records[template.model]
            rendered[template] = {
                name: template._render_field(name, record.ids)[record.id]
                for name in ("subject", "body_html")
            }
        return rendered

    def test_ready_made_journeys_are_complete(self):
        xmlid = "mail_journey_automation_playbooks.mail_journey_template_"
        names = ["welcome", "feedback", "winback", "paper_first_contact", "paper_holiday"]
        for name in names:
            self.assertIn(self.env.ref(xmlid + name), self.ready_made)
        self.assertFalse(any(self.ready_made.mapped("active")))
        self.assertEqual(set(self.ready_made.mapped("state")), {"draft"})
        paper = self.ready_made.filtered(lambda journey: journey.name.startswith("Paper"))
        self.assertEqual(len(paper.stage_id), 7, "the paper playbook covers the seven stages")
        self.assertTrue(all(self.ready_made.mapped("step_ids")))

    def test_ready_made_emails_pass_the_content_check(self):
        steps = self.ready_made.step_ids.filtered(lambda step: step.action == "email")
        self.assertEqual(
            {step.name: step.content_warnings for step in steps if step.content_warnings}, {}
        )

    def test_ready_made_emails_render_in_english(self):
        for template, values in self._render().items():
            self.assertNotIn("{{", values["subject"], template.name)
            self.assertNotIn("t-out", values["body_html"], template.name)
        subjects = {template.name: values["subject"] for template, values in self._render().items()}
        self.assertEqual(
            subjects["Paper packaging: quotation"],
            f"Your quotation {self.order.name}: prices, lead time and quality",
        )
        matching = self.env.ref(
            "mail_journey_automation_playbooks.mail_template_journey_wealth_matching"
        )
        self.assertIn("balanced", self._render()[matching]["body_html"])

    def test_ready_made_emails_render_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["mail_journey_automation_playbooks"], ["zh_CN"]
        )
        for template, values in self._render("zh_CN").items():
            self.assertRegex(values["subject"], "[\u4e00-\u9fff]", template.name)
            self.assertRegex(values["body_html"], "[\u4e00-\u9fff]", template.name)
            self.assertNotIn("Hello", values["body_html"], template.name)

    def test_welcome_series_copy_sends_for_real(self):
        welcome = self.env.ref("mail_journey_automation_playbooks.mail_journey_template_welcome")
        journey = self.env["mail.journey"].browse(welcome.action_create_from_template()["res_id"])
        journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            lead = self.env["crm.lead"].create(
                {"name": "Web form", "contact_name": "Lina", "email_from": "lina@example.com"}
            )
            self._process()
        self.assertEqual(journey.enrollment_ids.lead_id, lead)
        self.assertEqual(len(self._new_mails), 1)
        self.assertEqual(
            self._new_mails.subject, f"Thank you for contacting {self.env.company.name}"
        )
        self.assertEqual(self._new_mails.email_to, "lina@example.com")
        self.assertIn("Lina", self._new_mails.body_html)

    def test_playbook_copy_is_independent(self):
        source = self.env.ref(
            "mail_journey_automation_playbooks.mail_journey_template_paper_first_contact"
        )
        copy = self.env["mail.journey"].browse(source.action_create_from_template()["res_id"])
        self.assertEqual(len(copy.step_ids), len(source.step_ids))
        self.assertFalse(copy.step_ids.mail_template_id & source.step_ids.mail_template_id)
        original = source.step_ids.mail_template_id.mapped("body_html")
        copy.step_ids.mail_template_id.body_html = "<p>Our own words</p>"
        copy.step_ids.filtered(lambda step: step.action == "set_stage").unlink()
        self.assertEqual(source.step_ids.mail_template_id.mapped("body_html"), original)
        self.assertEqual(len(source.step_ids), 3)

    def test_playbooks_of_the_brief_group_their_stage_journeys(self):
        xmlid = "mail_journey_automation_playbooks.mail_journey_playbook_"
        counts = {
            name: len(self.env.ref(xmlid + name).journey_ids)
            for name in ("paper", "electronics", "wealth")
        }
        self.assertEqual(counts, {"paper": 7, "electronics": 4, "wealth": 3})
        singles = self.ready_made.filtered(lambda journey: not journey.playbook_id)
        self.assertEqual(
            sorted(singles.mapped("name")), ["Post-purchase feedback", "Welcome series", "Win-back"]
        )
        self.assertTrue(all(self.ready_made.mapped("summary")), "every card has its goal")

    def test_paper_playbook_set_up_in_one_action(self):
        paper = self.env.ref("mail_journey_automation_playbooks.mail_journey_playbook_paper")
        wizard = self.env["mail.journey.playbook.use"].create({"playbook_id": paper.id})
        journeys = self.env["mail.journey"].search(wizard.action_apply()["domain"])
        self.assertEqual(len(journeys), 7)
        self.assertEqual(len(journeys.stage_id), 7)
        self.assertFalse(journeys & paper.journey_ids)
        self.assertTrue(all(name.endswith(" (copy)") for name in journeys.mapped("name")))
        self.assertFalse(
            journeys.step_ids.mail_template_id & paper.journey_ids.step_ids.mail_template_id
        )
