from datetime import timedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.mail_journey_automation.tests.common import NOW
from odoo.addons.mail_journey_automation_website_sale.hooks import uninstall_hook

from .common import WebsiteSaleJourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestAbandonedCart(WebsiteSaleJourneyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reminder = cls.env.ref(
            "mail_journey_automation_website_sale.mail_template_abandoned_cart_reminder"
        )
        cls.journey = cls._create_journey(
            [cls._email_step(cls.reminder)],
            model="sale.order",
            trigger="abandoned_cart",
            abandoned_hours=4,
            reentry="once",
        )
        with cls.mock_datetime_and_now(cls, NOW - timedelta(hours=1)):
            cls.journey.action_start()

    def test_cart_enrolled_once_after_the_delay(self):
        cart = self._cart(when=NOW)
        self.assertFalse(self._check_at(self.journey, NOW + timedelta(hours=3)))
        self.assertEqual(self._check_at(self.journey, NOW + timedelta(hours=5)).order_id, cart)
        self.assertEqual(len(self._check_at(self.journey, NOW + timedelta(hours=9))), 1)
        self.assertTrue(cart.access_token, "the email links to the cart with its token")

    def test_confirmed_cart_not_enrolled(self):
        cart = self._cart(when=NOW)
        cart.action_confirm()
        cart.date_order = NOW
        self.assertFalse(self._check_at(self.journey, NOW + timedelta(hours=5)))

    def test_cart_without_customer_email_not_enrolled(self):
        self._cart(partner=self.website.partner_id, when=NOW)
        self._cart(partner=self.env["res.partner"].create({"name": "No email"}), when=NOW)
        self.assertFalse(self._check_at(self.journey, NOW + timedelta(hours=5)))

    def test_cart_of_customer_who_ordered_since_not_enrolled(self):
        self._cart(when=NOW)
        later = self._cart(when=NOW + timedelta(minutes=30))
        later.action_confirm()
        later.date_order = NOW + timedelta(minutes=30)
        self.assertFalse(self._check_at(self.journey, NOW + timedelta(hours=5)))

    def test_backend_quotation_not_enrolled(self):
        self._cart(when=NOW, website_id=False)
        self.assertFalse(self._check_at(self.journey, NOW + timedelta(hours=5)))

    def test_reminder_lists_the_cart_and_links_to_it(self):
        cart = self._cart(when=NOW)
        self._check_at(self.journey, NOW + timedelta(hours=5))
        with self.mock_datetime_and_now(NOW + timedelta(hours=5)), self.mock_mail_gateway():
            self._process()
        self.assertMailMailWEmails(
            [self.customer.email],
            "outgoing",
            content="Paper tube 50 mm",
            fields_values={"subject": "You left something in your cart", "res_id": cart.id},
        )
        # the chatter keeps the links as written (the email tracks them)
        body = self.journey.enrollment_ids.trace_ids.mail_message_id.body
        self.assertIn(f"/shop/cart?id={cart.id}&amp;access_token={cart.access_token}", body)

    def test_cron_enrolls_abandoned_carts(self):
        cart = self._cart(when=NOW)
        cron = self.env.ref(
            "mail_journey_automation_website_sale.ir_cron_mail_journey_enroll_abandoned"
        )
        with self.mock_datetime_and_now(NOW + timedelta(hours=5)), self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.assertEqual(self.journey.enrollment_ids.order_id, cart)

    def test_abandoned_cart_trigger_only_on_orders(self):
        with self.assertRaises(ValidationError):
            self._create_journey(model="crm.lead", trigger="abandoned_cart")

    def test_ready_made_abandoned_cart_journey(self):
        ready_made = self.env.ref(
            "mail_journey_automation_website_sale.mail_journey_abandoned_cart"
        )
        self.assertFalse(ready_made.active)
        journey = self.env["mail.journey"].browse(
            ready_made.action_create_from_template()["res_id"]
        )
        self.assertEqual(journey.trigger, "abandoned_cart")
        self.assertEqual(len(journey.step_ids), 2)
        self.assertFalse(journey.step_ids.mail_template_id & ready_made.step_ids.mail_template_id)
        journey.step_ids.mail_template_id[0].subject = "Edited in the copy"
        self.assertEqual(self.reminder.subject, "You left something in your cart")
        cart = self._cart(when=NOW)
        with self.mock_datetime_and_now(NOW):
            journey.action_start()
        self.assertEqual(self._check_at(journey, NOW + timedelta(hours=5)).order_id, cart)
        self.assertFalse(ready_made.enrollment_ids)

    def test_ready_made_emails_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["mail_journey_automation_website_sale"], ["zh_CN"]
        )
        reminder = self.reminder.with_context(lang="zh_CN")
        self.assertEqual(reminder.subject, "您的购物车里还有商品")
        self.assertIn("继续完成订单", reminder.body_html)
        self.assertIn("object.access_token", reminder.body_html, "the placeholders are kept")

    def test_abandonment_triggers_declared_in_the_trigger_registry(self):
        """The bridge's triggers show in the selection, are left to its own
        cron rather than the date cron, and the core's dispatch finds the
        carts with the method the trigger declares."""
        Journey = self.env["mail.journey"]
        labels = dict(Journey._selection_trigger())
        self.assertEqual(labels["abandoned_cart"], "Abandoned cart")
        self.assertEqual(labels["browse_abandonment"], "Browse abandonment")
        self.assertEqual(
            Journey._get_trigger_codes("abandonment"), ["abandoned_cart", "browse_abandonment"]
        )
        self.assertNotIn("abandoned_cart", Journey._get_date_triggers())
        cart = self._cart(when=NOW)
        reached = self.journey._get_reached_records(
            NOW + timedelta(hours=3), NOW + timedelta(hours=5)
        )
        self.assertEqual(reached, cart, "changed at NOW, abandoned 4 hours later")
        self.assertFalse(
            self.journey._get_reached_records(NOW, NOW + timedelta(hours=3)), "not yet abandoned"
        )

    def test_uninstall_hook_makes_abandonment_journeys_manual(self):
        other = self._create_journey([self._email_step()], trigger="create")
        uninstall_hook(self.env)
        self.assertEqual(self.journey.trigger, "manual", "the default trigger, as before")
        self.assertEqual(other.trigger, "create")
