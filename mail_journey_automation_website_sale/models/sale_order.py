from odoo import api, models
from odoo.fields import Domain


class SaleOrder(models.Model):
    _inherit = "sale.order"

    @api.model
    def _journey_find_abandoned_carts(self, start, end):
        """Website carts last changed in ]start, end], still not confirmed,
        of a customer with an email address (not the public user), whose
        customer has not confirmed another website order since."""
        # sudo: the website's public users are configuration a salesperson cannot read
        public_users = self.env["website"].sudo()._read_group([], ["user_id"])
        public_partners = self.env["res.users"].union(*(user for [user] in public_users)).partner_id
        carts = self.search(
            Domain.AND(
                [
                    Domain("website_id", "!=", False),
                    Domain("state", "=", "draft"),
                    Domain("order_line", "!=", False),
                    Domain("date_order", ">", start),
                    Domain("date_order", "<=", end),
                    Domain("partner_id", "not in", public_partners.ids),
                    Domain("partner_id.email", "!=", False),
                ]
            )
        )
        if not carts:
            return carts
        last_orders = dict(
            self._read_group(
                [
                    ("partner_id", "in", carts.partner_id.ids),
                    ("website_id", "!=", False),
                    ("state", "=", "sale"),
                ],
                ["partner_id"],
                ["date_order:max"],
            )
        )
        return carts.filtered(
            lambda cart: cart.partner_id not in last_orders
            or last_orders[cart.partner_id] < cart.date_order
        )
