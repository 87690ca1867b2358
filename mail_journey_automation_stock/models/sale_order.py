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
    def _journey_get_quotation_signals(self):
        signals = super()._journey_get_quotation_signals()
        # a signal of Inventory: what was delivered of the order
        signals["partial_delivery"] = {
            "name": self.env._("Order partly delivered, the rest awaited for N days or more"),
            "method": "_journey_signal_domain_partial_delivery",
        }
        return signals

    @api.model
    def _journey_signal_domain_partial_delivery(self, number):
        """Partial delivery: part of the order delivered, its first delivery
        done ``number`` days ago or more, the rest still awaited."""
        return Domain("delivery_status", "=", "partial") & Domain(
            "effective_date", "<=", fields.Datetime.now() - relativedelta(days=number)
        )
