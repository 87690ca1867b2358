from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _journey_filter_delivered_by_invoice(self):
        """Orders with deliveries are delivered when their pickings are done,
        not when they are invoiced; services only are still delivered by
        their invoice."""
        return (
            super()
            ._journey_filter_delivered_by_invoice()
            .filtered(lambda order: not order.delivery_status)
        )
