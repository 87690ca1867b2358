from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.fields import Domain

OPEN_QUOTATION_STATES = ("draft", "sent")


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "mail.journey.record.mixin"]

    journey_stage_id = fields.Many2one(
        related="opportunity_id.journey_stage_id",
        readonly=False,
        help="The journey stage of the opportunity this order comes from.",
    )

    # B2B: how the customer looked at the quotation in the portal
    journey_view_count = fields.Integer(
        string="Portal Views",
        readonly=True,
        copy=False,
        help="Days the customer opened the quotation in the portal (Odoo logs one view per "
        "visitor and day).",
    )
    journey_first_view_date = fields.Datetime(string="First Viewed On", readonly=True, copy=False)
    journey_last_view_date = fields.Datetime(string="Last Viewed On", readonly=True, copy=False)

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

    def _message_post_after_hook(self, message, msg_values):
        result = super()._message_post_after_hook(message, msg_values)
        # the portal logs "Quotation viewed by customer" with this subtype
        if message.subtype_id == self.env.ref("sale.mt_order_viewed", raise_if_not_found=False):
            self._journey_register_view()
        return result

    def _journey_register_view(self):
        self.ensure_one()  # message_post works on one order
        now = fields.Datetime.now()
        self.write(
            {
                "journey_view_count": self.journey_view_count + 1,
                "journey_first_view_date": self.journey_first_view_date or now,
                "journey_last_view_date": now,
            }
        )

    @api.model
    def _journey_signal_domain(self, model, signal, number):
        """The domain of the records of ``model`` (orders, or leads through
        their orders) whose quotation shows ``signal`` now (``number``: days
        or views)."""
        now = fields.Datetime.now()
        today = fields.Date.context_today(self)
        open_quotation = Domain("state", "in", OPEN_QUOTATION_STATES)
        if signal == "viewed_unsigned":
            orders = open_quotation & Domain(
                "journey_first_view_date", "<=", now - relativedelta(days=number)
            )
        elif signal == "viewed_often":
            orders = open_quotation & Domain("journey_view_count", ">=", max(number, 1))
        elif signal == "expiring":
            orders = (
                open_quotation
                & Domain("validity_date", ">=", today)
                & Domain("validity_date", "<=", today + relativedelta(days=number))
            )
        elif signal == "invoice_overdue":
            orders = Domain(
                "invoice_ids",
                "any",
                Domain("move_type", "=", "out_invoice")
                & Domain("state", "=", "posted")
                & Domain("payment_state", "in", ("not_paid", "partial"))
                & Domain("invoice_date_due", "<=", today - relativedelta(days=max(number, 1))),
            )
        else:
            return Domain.FALSE
        return orders if model == "sale.order" else Domain("order_ids", "any", orders)
