from odoo import api, fields, models


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "mail.journey.record.mixin"]

    journey_stage_id = fields.Many2one(
        related="opportunity_id.journey_stage_id",
        readonly=False,
        help="The journey stage of the opportunity this order comes from.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        self.env["mail.journey"]._enroll_on_event(orders, "create")
        return orders

    def write(self, vals):
        changed = self.browse()
        if vals.get("state"):
            changed = self.filtered(lambda order: order.state != vals["state"])
        result = super().write(vals)
        self.env["mail.journey"]._enroll_on_event(
            changed, "order_state", order_state=vals.get("state")
        )
        return result

    def _journey_consent_domain(self):
        return [("opportunity_id.journey_consent", "=", True)]

    def _journey_get_emails(self):
        return {order.id: order.partner_id.email_normalized for order in self}

    def _journey_get_bounce_counts(self):
        return {order.id: order.partner_id.message_bounce for order in self}

    def _journey_set_stage(self, stage):
        self.opportunity_id._journey_set_stage(stage)

    def _journey_get_orders(self):
        return self.filtered(lambda order: order.state != "cancel")
