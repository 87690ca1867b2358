import json
from contextlib import contextmanager
from unittest.mock import patch

import requests

from odoo import Command

from odoo.addons.mail_journey_automation.tests.common import NOW, JourneyCommon

from ..tools import cloud_api

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
PHONE_NUMBER_ID = "1098765432"


def graph_response(status, body):
    """A real requests.Response as Meta's Graph API would answer."""
    response = requests.Response()
    response.status_code = status
    response.reason = "OK" if status < 400 else "Error"
    response._content = json.dumps(body).encode()
    return response


class WhatsappCommon(JourneyCommon):
    """A WhatsApp account with its secrets and an approved template with
    two variables; the first lead consents and has an international phone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account = cls.env["mail.journey.whatsapp.account"].create(
            {
                "name": "Sales WhatsApp",
                "phone_number_id": PHONE_NUMBER_ID,
                "business_account_id": "20000001",
                "access_token": "test-access-token",
                "app_secret": APP_SECRET,
                "verify_token": VERIFY_TOKEN,
            }
        )
        cls.template = cls.env["mail.journey.whatsapp.template"].create(
            {
                "account_id": cls.account.id,
                "name": "product_video",
                "language": "en_US",
                "category": "marketing",
                "status": "approved",
                "body": "Hello {{1}}, here is the video of {{2}}.",
                "variable_count": 2,
            }
        )
        cls.lead = cls.leads[0]
        cls.lead.write({"phone": "+86 138 1234 5678", "whatsapp_opt_in": True})
        cls.lead_phone = "+8613812345678"

    @classmethod
    def _whatsapp_step(cls, **values):
        return {
            "name": "WhatsApp video",
            "action": "whatsapp",
            "whatsapp_account_id": cls.account.id,
            "whatsapp_template_id": cls.template.id,
            "whatsapp_variable_ids": [
                Command.create({"position": 1, "source": "field", "field_path": "contact_name"}),
                Command.create({"position": 2, "source": "text", "text": "Paper tube 50 mm"}),
            ],
            **values,
        }

    @contextmanager
    def mock_graph(self, *answers):
        """Answer the outbound POSTs to graph.facebook.com with ``answers``
        ((status, body), in order; the last one repeats); the sent payloads
        are collected in ``self.graph_calls``."""
        self.graph_calls = []
        answers = list(answers) or [(200, {"messages": [{"id": "wamid.TEST"}]})]

        def post(url, json=None, headers=None, timeout=None):
            self.assertTrue(url.startswith(cloud_api.GRAPH_URL))
            self.graph_calls.append(json)
            status, body = answers.pop(0) if len(answers) > 1 else answers[0]
            return graph_response(status, body)

        with patch.object(cloud_api.requests, "post", side_effect=post):
            yield

    def _run_journey(self, journey, leads=None, when=NOW, answers=()):
        """Enroll ``leads`` (the first lead) in ``journey`` and run what is due."""
        with self.mock_datetime_and_now(when), self.mock_graph(*answers):
            journey._enroll(leads or self.lead)
            return self._process()

    def _notification(self, statuses=(), messages=(), contacts=(), phone_number_id=PHONE_NUMBER_ID):
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "20000001",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {"phone_number_id": phone_number_id},
                                "statuses": list(statuses),
                                "messages": list(messages),
                                "contacts": list(contacts),
                            },
                        }
                    ],
                }
            ],
        }

    @staticmethod
    def _text_message(wa_id, text, message_id="wamid.IN1"):
        return {
            "from": wa_id,
            "id": message_id,
            "timestamp": "1772442000",
            "type": "text",
            "text": {"body": text},
        }
