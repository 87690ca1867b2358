from odoo.addons.mail_journey_automation.tests.common import JourneyCommon
from odoo.addons.sms.tests.common import SMSCase


class SmsJourneyCommon(JourneyCommon, SMSCase):
    """Journey fixtures with Odoo's SMS gateway mock (``mockSMSGateway``):
    leads with mobile numbers and an SMS template with a link."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sms_template = cls.env["sms.template"].create(
            {
                "name": "Journey SMS",
                "model_id": cls.env["ir.model"]._get_id("crm.lead"),
                "body": "Hello {{ object.contact_name }}, our offer: https://www.example.com/offer",
            }
        )
        for index, lead in enumerate(cls.leads):
            lead.phone = f"+3245601020{index}"

    @classmethod
    def _sms_step(cls, **values):
        return {
            "name": "SMS",
            "action": "sms",
            "sms_template_id": cls.sms_template.id,
            **values,
        }

    @classmethod
    def _make_leads(cls, count, prefix="+3246"):
        return cls.env["crm.lead"].create(
            [
                {
                    "name": f"SMS lead {index}",
                    "contact_name": f"Reader {index}",
                    "phone": f"{prefix}{index:07d}",
                    "user_id": cls.user_sales.id,
                }
                for index in range(count)
            ]
        )

    def _post_delivery_report(self, statuses):
        """The provider posts delivery reports, as IAP does."""
        return self.make_jsonrpc_request("/sms/status", {"message_statuses": statuses})

    def _journey_sms(self, journey, lead):
        """The sms.sms the journey queued for ``lead``."""
        trace = self._traces(journey, lead_id=lead.id, step_action="sms")
        return (
            self.env["sms.sms"]
            .sudo()
            .search([("uuid", "in", trace.sms_tracker_ids.mapped("sms_uuid"))])
        )
