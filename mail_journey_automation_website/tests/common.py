from odoo.tests import HttpCase

from odoo.addons.mail_journey_automation.tests.common import JourneyCommon


class WebsiteFormCommon(HttpCase, JourneyCommon):
    """Posts the website's lead form as an anonymous visitor does."""

    def _post_form(self, cookies=None, **fields):
        data = {
            "contact_name": "Lina Chen",
            "email_from": "lina.chen@greenleaf-tea.example.com",
            "partner_name": "Greenleaf Tea",
            "name": "Tea tubes for our spring range",
            "description": "We need 5,000 tubes.",
            **fields,
        }
        response = self.url_open("/website/form/crm.lead", data=data, cookies=cookies)
        self.assertEqual(response.status_code, 200)
        lead_id = response.json().get("id")
        self.assertTrue(lead_id, f"the form was refused: {response.text}")
        return self.env["crm.lead"].browse(lead_id)
