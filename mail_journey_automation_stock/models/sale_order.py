from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.fields import Domain


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

    @api.model
    def _journey_signal_order_domain(self, signal, number):
        """Partial delivery: part of the order delivered, its first delivery
        done ``number`` days ago or more, the rest still awaited."""
        if signal != "partial_delivery":
            return super()._journey_signal_order_domain(signal, number)
        return Domain("delivery_status", "=", "partial") & Domain(
            "effective_date", "<=", fields.Datetime.now() - relativedelta(days=number)
        )
