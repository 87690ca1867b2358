from odoo.tests import tagged

from .common import NOW, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyPersonalisation(JourneyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template_personal = cls.env["mail.template"].create(
            {
                "name": "Personal",
                "model_id": cls.env["ir.model"]._get_id("crm.lead"),
                "subject": "Hello {{ object._journey_first_name('there') }} "
                "from {{ object._journey_company_name('your team') }}",
                "body_html": "<p>Dear <t t-out=\"object._journey_first_name('there')\"/>,</p>"
                "<p>Your contact: <t t-out=\"object._journey_salesperson('our team')\"/></p>"
                "<p>About: <t t-out=\"object._journey_product_names('our tubes')\"/></p>",
                "use_default_to": True,
            }
        )
        cls.product = cls.env["product.product"].create({"name": "Paper tube 50 mm"})
        cls.lead_full = cls.leads[0]
        cls.lead_full.write({"contact_name": "Lina Chen", "partner_name": "Greenleaf Tea"})
        cls.env["sale.order"].create(
            {
                "partner_id": cls.env["res.partner"].create({"name": "Greenleaf Tea"}).id,
                "opportunity_id": cls.lead_full.id,
                "order_line": [
                    (0, 0, {"product_id": cls.product.id, "product_uom_qty": 5000}),
                    (0, 0, {"display_type": "line_note", "name": "Food grade"}),
                ],
            }
        )
        cls.lead_empty = cls.env["crm.lead"].create(
            {
                "name": "Anonymous request",
                "email_from": "info@unknown.example.com",
                "user_id": False,
            }
        )

    def _render(self, lead):
        template = self.template_personal
        return (
            template._render_field("subject", lead.ids)[lead.id],
            template._render_field("body_html", lead.ids)[lead.id],
        )

    def test_helpers_render_values(self):
        subject, body = self._render(self.lead_full)
        self.assertEqual(subject, "Hello Lina from Greenleaf Tea")
        self.assertIn("Dear Lina,", body)
        self.assertIn("Your contact: Sally Sales", body)
        self.assertIn("About: Paper tube 50 mm", body)

    def test_helpers_fall_back_when_missing(self):
        subject, body = self._render(self.lead_empty)
        self.assertEqual(subject, "Hello there from your team")
        self.assertIn("Dear there,", body)
        self.assertIn("Your contact: our team", body)
        self.assertIn("About: our tubes", body)
        self.assertEqual(self.lead_empty._journey_first_name(), "there", "translated default")

    def test_products_of_lead_and_order(self):
        self.assertEqual(self.lead_full._journey_products(), self.product)
        self.assertEqual(self.lead_full.order_ids._journey_products(), self.product)
        self.assertFalse(self.lead_empty._journey_products())

    def test_journey_email_uses_helpers(self):
        journey = self._create_journey([self._email_step(self.template_personal)])
        journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            journey._enroll(self.lead_full | self.lead_empty)
            self._process()
        self.assertMailMailWEmails(
            [self.lead_empty.email_from],
            "outgoing",
            content="Dear there,",
            fields_values={"subject": "Hello there from your team"},
        )
        self.assertMailMailWEmails(
            [self.lead_full.email_from],
            "outgoing",
            content="Dear Lina,",
            fields_values={"subject": "Hello Lina from Greenleaf Tea"},
        )

    def test_preview_shows_variant_and_reason(self):
        segment = self.env["mail.journey.segment"].create(
            {"name": "Tea merchants", "domain": "[('partner_name', 'ilike', 'tea')]"}
        )
        # the manager previews a lead of their own (salespeople see their leads only)
        self.lead_full.user_id = self.user_journey_manager
        journey = self._create_journey([self._email_step()])
        step = journey.step_ids
        variant = self.env["mail.journey.step.variant"].create(
            {
                "step_id": step.id,
                "name": "Tea",
                "template_id": self.template_personal.id,
                "segment_id": segment.id,
            }
        )
        action = step.with_user(self.user_journey_manager).action_preview()
        preview = (
            self.env[action["res_model"]]
            .with_user(self.user_journey_manager)
            .with_context(**action["context"])
            .create({"lead_id": self.lead_full.id})
        )
        self.assertEqual(preview.variant_id, variant)
        self.assertIn("Tea merchants", preview.reason)
        self.assertEqual(preview.subject, "Hello Lina from Greenleaf Tea")
        self.assertIn("Dear Lina,", preview.body)
        preview.lead_id = self.lead_empty
        self.assertFalse(preview.variant_id)
        self.assertEqual(preview.template_id, self.template_welcome)
        self.assertIn("step's template", preview.reason)
        self.assertEqual(preview.subject, "Welcome there")
