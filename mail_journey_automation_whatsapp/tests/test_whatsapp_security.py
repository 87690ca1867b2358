from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import WhatsappCommon


@tagged("post_install", "-at_install", "mail_journey", "mail_journey_security")
class TestWhatsappSecurity(WhatsappCommon):
    """The account's secrets are for administrators only."""

    def test_secrets_not_readable_without_administrator_rights(self):
        for user in (self.user_sales, self.user_journey_manager):
            account = self.account.with_user(user)
            self.assertEqual(account.name, "Sales WhatsApp", "the account itself is readable")
            for field in ("access_token", "app_secret", "verify_token"):
                with self.subTest(user=user.login, field=field), self.assertRaises(AccessError):
                    account.read([field])
        with self.assertRaises(AccessError):
            self.account.with_user(self.user_journey_manager).write({"app_secret": "mine"})

    def test_administrator_reads_the_secrets(self):
        admin = new_test_user(
            self.env,
            login="journey_admin_wa",
            groups="base.group_system,mail_journey_automation.group_journey_manager",
        )
        self.assertEqual(self.account.with_user(admin).app_secret, "test-app-secret")

    def test_salesperson_cannot_change_accounts_or_templates(self):
        with self.assertRaises(AccessError):
            self.account.with_user(self.user_sales).write({"phone_number_id": "1"})
        with self.assertRaises(AccessError):
            self.template.with_user(self.user_journey_manager).write({"status": "approved"})
