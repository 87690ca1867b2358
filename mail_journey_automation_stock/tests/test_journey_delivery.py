from datetime import datetime

from odoo import Command
from odoo.tests import tagged

from odoo.addons.mail_journey_automation.tests.common import JourneyCommon

NOW = datetime(2026, 3, 2, 9, 0, 0)


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyDelivery(JourneyCommon):
    """With Inventory, an order is delivered when its pickings are done."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stage_delivery = cls.env.ref("mail_journey_automation.stage_order_delivery")
        cls.stage_confirmation = cls.env.ref("mail_journey_automation.stage_order_confirmation")
        cls.customer = cls.env["res.partner"].create(
            {"name": "Tube Buyer", "email": "tubes@buyer.example.com"}
        )
        cls.goods = cls.env["product.product"].create(
            {"name": "Paper can", "type": "consu", "list_price": 3, "invoice_policy": "order"}
        )
        cls.service = cls.env["product.product"].create(
            {"name": "Print design", "type": "service", "list_price": 90, "invoice_policy": "order"}
        )
        cls.lead = cls.leads[0]

    def _order(self, product):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "opportunity_id": self.lead.id,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 5})],
            }
        )
        order.action_confirm()
        return order

    def _validate(self, picking):
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        picking.button_validate()

    def test_pickings_done_move_to_delivery(self):
        order = self._order(self.goods)
        self.assertEqual(self.lead.journey_stage_id, self.stage_confirmation)
        order._create_invoices().action_post()
        self.assertEqual(
            self.lead.journey_stage_id, self.stage_confirmation, "invoiced is not delivered"
        )
        self.assertFalse(order.journey_delivered_date)
        with self.mock_datetime_and_now(NOW):
            self._validate(order.picking_ids)
        self.assertEqual(self.lead.journey_stage_id, self.stage_delivery)
        self.assertEqual(order.journey_delivered_date, NOW)

    def test_services_are_still_delivered_by_their_invoice(self):
        order = self._order(self.service)
        self.assertFalse(order.picking_ids)
        order._create_invoices().action_post()
        self.assertEqual(self.lead.journey_stage_id, self.stage_delivery)
