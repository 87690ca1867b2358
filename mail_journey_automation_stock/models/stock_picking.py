from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        result = super()._action_done()
        orders = self.sale_id.filtered(lambda order: order.delivery_status == "full")
        orders._journey_mark_delivered()
        return result
