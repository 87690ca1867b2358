from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import WebsiteFormCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestWebsiteForm(WebsiteFormCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.welcome = cls._create_journey(
            [cls._email_step()], name="Website welcome", trigger="website_form"
        )
        cls.on_create = cls._create_journey(
            [cls._email_step()], name="Every new lead", trigger="create"
        )
        (cls.welcome | cls.on_create).action_start()
        cls.industry = cls.env["res.partner.industry"].create({"name": "Packaging (test)"})
        cls.interests = cls.env["mail.journey.interest"].create(
            [{"name": "Paper tubes (test)"}, {"name": "Gift boxes (test)"}]
        )

    def test_website_form_lead_enters_welcome_journey(self):
        lead = self._post_form()
        self.assertEqual(lead.email_from, "lina.chen@greenleaf-tea.example.com")
        self.assertEqual(self.welcome.enrollment_ids.lead_id, lead)
        self.assertEqual(self.on_create.enrollment_ids.lead_id, lead, "also a created record")
        self.assertEqual(self.welcome.enrollment_ids.trace_ids.state, "scheduled")

    def test_website_form_welcome_email_is_sent(self):
        lead = self._post_form()
        with self.mock_mail_gateway():
            self._process()
        self.assertMailMailWEmails(
            [lead.email_from],
            "outgoing",
            content="Hello Lina Chen",
            fields_values={"subject": "Welcome Lina Chen", "model": "crm.lead", "res_id": lead.id},
        )

    def test_backend_lead_does_not_enter_website_form_journey(self):
        lead = self.env["crm.lead"].create({"name": "Phone call", "email_from": "a@example.com"})
        self.assertFalse(self.welcome.enrollment_ids)
        self.assertEqual(self.on_create.enrollment_ids.lead_id, lead)

    def test_website_form_keeps_utm_from_cookies(self):
        source = self.env["utm.source"].create({"name": "Newsletter (test)"})
        medium = self.env["utm.medium"].create({"name": "Banner (test)"})
        campaign = self.env["utm.campaign"].create({"name": "Spring tubes (test)"})
        lead = self._post_form(
            cookies={
                "odoo_utm_source": source.name,
                "odoo_utm_medium": medium.name,
                "odoo_utm_campaign": campaign.name,
            }
        )
        self.assertEqual(lead.source_id, source)
        self.assertEqual(lead.medium_id, medium)
        self.assertEqual(lead.campaign_id, campaign)
        self.assertEqual(self.welcome.enrollment_ids.lead_id, lead)

    def test_website_form_collects_segmentation(self):
        lead = self._post_form(
            journey_company_size="51_200",
            journey_industry_id=str(self.industry.id),
            journey_interest_ids=",".join(str(i) for i in self.interests.ids),
        )
        self.assertEqual(lead.journey_company_size, "51_200")
        self.assertEqual(lead.journey_industry_id, self.industry)
        self.assertEqual(lead.journey_interest_ids, self.interests)

    def test_segmentation_fields_are_mappable_in_form_builder(self):
        model = self.env["ir.model"].sudo().search([("model", "=", "crm.lead")])
        writable = model._get_form_writable_fields()
        for name in (
            "journey_company_size",
            "journey_industry_id",
            "journey_interest_ids",
            "journey_consent",
        ):
            self.assertIn(name, writable)
        self.assertNotIn("journey_engagement_score", writable, "journey internals stay private")

    def test_website_form_consent_records_date_and_source(self):
        self.welcome.consent_required = True
        refused = self._post_form(email_from="no-consent@example.com")
        lead = self._post_form(journey_consent="on", email_from="yes@example.com")
        self.assertFalse(refused.journey_consent)
        self.assertTrue(lead.journey_consent)
        self.assertTrue(lead.journey_consent_date)
        self.assertIn("Website form", lead.journey_consent_source)
        self.assertEqual(self.welcome.enrollment_ids.lead_id, lead, "only the consenting lead")

    def test_website_form_trigger_only_on_leads(self):
        with self.assertRaises(ValidationError):
            self._create_journey(model="sale.order", trigger="website_form")

    def test_website_form_trigger_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["mail_journey_automation_website"], ["zh_CN"]
        )
        labels = dict(
            self.env["mail.journey"]
            .with_context(lang="zh_CN")
            ._fields["trigger"]
            ._description_selection(self.env(context={"lang": "zh_CN"}))
        )
        self.assertEqual(labels["website_form"], "网站表单提交")
