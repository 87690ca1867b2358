from datetime import timedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.mail_journey_automation.tests.common import NOW

from .common import WebsiteSaleJourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestBrowseAbandonment(WebsiteSaleJourneyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template = cls.env.ref(
            "mail_journey_automation_website_sale.mail_template_browse_abandonment"
        )
        cls.journey = cls._create_journey(
            [cls._email_step(cls.template)],
            trigger="browse_abandonment",
            abandoned_hours=24,
        )
        with cls.mock_datetime_and_now(cls, NOW - timedelta(hours=1)):
            cls.journey.action_start()
        cls.lead = cls.leads[0]

    def test_visitor_who_left_enrolls_the_lead(self):
        self._visit(self.lead, self.tube | self.box)
        self.assertFalse(self._check_at(self.journey, NOW + timedelta(hours=23)))
        self.assertEqual(self._check_at(self.journey, NOW + timedelta(hours=25)).lead_id, self.lead)
        self.assertEqual(len(self._check_at(self.journey, NOW + timedelta(hours=30))), 1)

    def test_visitor_without_product_views_not_enrolled(self):
        self._visit(self.lead, self.env["product.product"])
        self.assertFalse(self._check_at(self.journey, NOW + timedelta(hours=25)))

    def test_visitor_who_came_back_not_enrolled_yet(self):
        visitor = self._visit(self.lead, self.tube)
        visitor.last_connection_datetime = NOW + timedelta(hours=10)
        self.assertFalse(self._check_at(self.journey, NOW + timedelta(hours=25)))

    def test_visitor_who_ordered_not_enrolled(self):
        self.lead.partner_id = self.customer
        self._visit(self.lead, self.tube)
        self._cart(when=NOW + timedelta(hours=1))
        self.assertFalse(self._check_at(self.journey, NOW + timedelta(hours=25)))

    def test_viewed_products_most_recent_first(self):
        self._visit(self.lead, self.tube | self.box)
        self.assertEqual(self.lead.journey_viewed_product_ids.ids, [self.box.id, self.tube.id])
        self.assertEqual(self.lead._journey_viewed_products(), self.box | self.tube)
        self.assertFalse(self.leads[1].journey_viewed_product_ids)
        # the templates' product helper includes them
        self.assertEqual(self.lead._journey_products(), self.box | self.tube)
        self.assertEqual(self.lead._journey_product_names(), "Gift box kraft, Paper tube 50 mm")

    def test_email_lists_the_viewed_products(self):
        self._visit(self.lead, self.tube | self.box)
        self._check_at(self.journey, NOW + timedelta(hours=25))
        with self.mock_datetime_and_now(NOW + timedelta(hours=25)), self.mock_mail_gateway():
            self._process()
        self.assertMailMailWEmails(
            [self.lead.email_from],
            "outgoing",
            content="Paper tube 50 mm",
            fields_values={"subject": "Still thinking about Gift box kraft?"},
        )
        # the chatter keeps the links as written (the email tracks them)
        body = self.journey.enrollment_ids.trace_ids.mail_message_id.body
        self.assertIn(self.tube.website_url, body)

    def test_browse_abandonment_trigger_only_on_leads(self):
        with self.assertRaises(ValidationError):
            self._create_journey(model="sale.order", trigger="browse_abandonment")

    def test_ready_made_browse_abandonment_journey(self):
        ready_made = self.env.ref(
            "mail_journey_automation_website_sale.mail_journey_browse_abandonment"
        )
        journey = self.env["mail.journey"].browse(
            ready_made.action_create_from_template()["res_id"]
        )
        self.assertEqual(journey.step_ids.mapped("trigger"), ready_made.step_ids.mapped("trigger"))
        self._visit(self.lead, self.tube)
        with self.mock_datetime_and_now(NOW):
            journey.action_start()
        self.assertEqual(self._check_at(journey, NOW + timedelta(hours=25)).lead_id, self.lead)
