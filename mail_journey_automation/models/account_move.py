from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft)
        invoices = posted.filtered(lambda move: move.move_type == "out_invoice")
        orders = invoices.line_ids.sale_line_ids.order_id
        orders._journey_filter_delivered_by_invoice()._journey_mark_delivered()
        return posted
