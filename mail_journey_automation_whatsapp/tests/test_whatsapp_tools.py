from odoo.tests import BaseCase, tagged

from ..tools import cloud_api


@tagged("post_install", "-at_install", "mail_journey")
class TestWhatsappTools(BaseCase):
    """The Cloud API helpers, without database or network."""

    def test_signature_is_hmac_sha256_of_the_raw_body(self):
        body = b'{"object": "whatsapp_business_account"}'
        header = cloud_api.sign("secret", body)
        self.assertTrue(header.startswith("sha256="))
        self.assertTrue(cloud_api.check_signature("secret", body, header))
        self.assertFalse(cloud_api.check_signature("other", body, header))
        self.assertFalse(cloud_api.check_signature("secret", body + b" ", header))
        self.assertFalse(cloud_api.check_signature("secret", body, ""))
        self.assertFalse(cloud_api.check_signature("", body, header))

    def test_phone_numbers_normalized_to_e164(self):
        self.assertEqual(cloud_api.normalize_phone("+86 138-1234 (5678)"), "+8613812345678")
        self.assertEqual(cloud_api.normalize_phone("0032 470 12 34 56"), "+32470123456")
        self.assertFalse(cloud_api.normalize_phone("0470 12 34 56"), "national: no country")
        self.assertFalse(cloud_api.normalize_phone("+0123456"))
        self.assertFalse(cloud_api.normalize_phone(False))
        self.assertEqual(cloud_api.normalize_wa_id("8613812345678"), "+8613812345678")

    def test_opt_out_words_are_the_whole_message(self):
        for text in ("STOP", " stop ", "Unsubscribe", "退订", "退订。"):
            self.assertTrue(cloud_api.is_opt_out(text), text)
        for text in ("please don't stop", "stop by tomorrow?", "", None):
            self.assertFalse(cloud_api.is_opt_out(text), text)

    def test_keywords_match_any_word_in_any_case(self):
        self.assertTrue(cloud_api.contains_keywords("What is the PRICE?", "price, 报价"))
        self.assertTrue(cloud_api.contains_keywords("请给我报价", "price, 报价"))
        self.assertFalse(cloud_api.contains_keywords("Hello", "price, 报价"))
        self.assertFalse(cloud_api.contains_keywords(None, "price"))
        self.assertTrue(cloud_api.contains_keywords("Hello", ""), "no words: any message")

    def test_template_variables_in_order(self):
        components = [
            {"type": "HEADER", "format": "TEXT", "text": "Hi"},
            {"type": "BODY", "text": "Dear {{1}}, {{2}} is ready; see you {{1}}."},
        ]
        self.assertEqual(cloud_api.template_variables(components), ["1", "2"])
        payload = cloud_api.template_payload("+1555", "video", "en_US", ["{{ object }}", "x"])
        self.assertEqual(
            payload["template"]["components"][0]["parameters"][0],
            {"type": "text", "text": "{{ object }}"},
        )

    def test_notification_keeps_only_its_phone_number(self):
        payload = {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "metadata": {"phone_number_id": number},
                                "statuses": [{"id": f"wamid.{number}", "status": "read"}],
                                "messages": [{"from": "1555", "id": "m", "type": "text"}],
                            },
                        }
                        for number in ("111", "222")
                    ]
                },
                "not an entry",
            ],
        }
        statuses, messages, _names = cloud_api.parse_notification(payload, "111")
        self.assertEqual([status["id"] for status in statuses], ["wamid.111"])
        self.assertEqual(len(messages), 1)
        self.assertEqual(cloud_api.parse_notification(["junk"], "111"), ([], [], {}))

    def test_failed_status_error(self):
        status = {
            "errors": [
                {
                    "code": 131026,
                    "title": "Message undeliverable",
                    "error_data": {"details": "Receiver is incapable of receiving this message"},
                }
            ]
        }
        self.assertEqual(
            cloud_api.status_error(status),
            (131026, "Message undeliverable: Receiver is incapable of receiving this message"),
        )
