from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

OPEN_QUOTATION_STATES = ("draft", "sent")


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "mail.journey.record.mixin"]

    journey_stage_id = fields.Many2one(
        related="opportunity_id.journey_stage_id",
        readonly=False,
        help="The journey stage of the opportunity this order comes from.",
    )
    # delivery, for after-sales journeys
    journey_delivered_date = fields.Datetime(
        string="Delivered On",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="When the order was delivered: its deliveries done (with Inventory) or, for "
        "orders without deliveries, its first invoice posted. After-sales journeys can "
        "start a number of days after this date.",
    )
    journey_tracking_url = fields.Char(
        string="Shipment Tracking Link",
        copy=False,
        help="The carrier's tracking page of the shipment, shown in shipping emails.",
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
        orders._journey_sync_lifecycle()
        self.env["mail.journey"]._enroll_on_event(orders, "create")
        return orders

    def write(self, vals):
        changed = self.browse()
        if vals.get("state"):
            changed = self.filtered(lambda order: order.state != vals["state"])
        result = super().write(vals)
        (self if vals.get("opportunity_id") else changed)._journey_sync_lifecycle()
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

    # ------------------------------------------------------------
    # LIFECYCLE
    # ------------------------------------------------------------

    def _journey_sync_lifecycle(self):
        """Move the opportunities of the orders to the stage of their
        status: a quotation to Proposal & quotation, a confirmed order to
        Order confirmation."""
        events = {"draft": "quotation", "sent": "quotation", "sale": "order"}
        for event, orders in self.grouped(lambda order: events.get(order.state)).items():
            if event:
                orders.opportunity_id._journey_advance_lifecycle(event)

    def _journey_filter_delivered_by_invoice(self):
        """The orders whose posted invoice means they are delivered: all of
        them here; with Inventory, only those without deliveries."""
        return self

    def _journey_mark_delivered(self):
        """Record the delivery of the orders (once) and move their
        opportunities to the Order delivery stage."""
        orders = self.filtered(
            lambda order: order.state == "sale" and not order.journey_delivered_date
        )
        if not orders:
            return
        # delivery is recorded whoever validates it (warehouse, accounting)
        orders.sudo().journey_delivered_date = fields.Datetime.now()
        orders.opportunity_id._journey_advance_lifecycle("delivery")

    # ------------------------------------------------------------
    # AFTER-SALES
    # ------------------------------------------------------------

    @api.model
    def _journey_get_last_orders(self, company, low, high, reorder=False):
        """The last confirmed order of each customer (commercial partner) of
        ``company`` whose due moment falls in ]low, high]: the order date
        itself, or with ``reorder`` the order date plus the customer's usual
        reorder interval (the median time between their confirmed orders;
        customers with a single order have none)."""
        self.flush_model(["partner_id", "state", "date_order", "company_id"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        due = (
            SQL("last.date_order + make_interval(secs => stats.interval_seconds)")
            if reorder
            else SQL("last.date_order")
        )
        self.env.cr.execute(
            SQL(
                """
            WITH orders AS (
                SELECT so.id, partner.commercial_partner_id AS customer, so.date_order,
                       so.date_order - LAG(so.date_order) OVER (
                           PARTITION BY partner.commercial_partner_id
                           ORDER BY so.date_order, so.id) AS gap,
                       ROW_NUMBER() OVER (
                           PARTITION BY partner.commercial_partner_id
                           ORDER BY so.date_order DESC, so.id DESC) AS recency
                  FROM sale_order so
                  JOIN res_partner partner ON partner.id = so.partner_id
                 WHERE so.state = 'sale' AND so.company_id = %(company)s
            ), stats AS (
                SELECT customer,
                       PERCENTILE_CONT(0.5) WITHIN GROUP (
                           ORDER BY EXTRACT(EPOCH FROM gap)) AS interval_seconds
                  FROM orders
                 WHERE gap IS NOT NULL
              GROUP BY customer
            )
            SELECT last.id
              FROM orders last
         LEFT JOIN stats ON stats.customer = last.customer
             WHERE last.recency = 1
               AND %(due)s > %(low)s AND %(due)s <= %(high)s
                """,
                company=company.id,
                due=due,
                low=low,
                high=high,
            )
        )
        return self.browse(order_id for (order_id,) in self.env.cr.fetchall())

    def _journey_get_orders(self):
        return self.filtered(lambda order: order.state != "cancel")

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
        orders = self._journey_signal_order_domain(signal, number)
        return orders if model == "sale.order" else Domain("order_ids", "any", orders)

    @api.model
    def _journey_get_quotation_signals(self):
        """The quotation signals (B2B: what happened to the customer's
        quotation), a journey trigger and a step condition: {code:
        {"name": label, "method": the sale.order method taking the number
        N of days or views and returning the domain of the orders showing
        the signal now}}. Bridges add theirs (``super()``, then their
        entries); stored journeys and steps keep the code, so a bridge that
        declares a signal takes care of them in its uninstall hook."""
        return {
            "viewed_unsigned": {
                "name": self.env._("Quotation viewed, not signed or paid after N days"),
                "method": "_journey_signal_domain_viewed_unsigned",
            },
            "viewed_often": {
                "name": self.env._("Quotation viewed N times or more"),
                "method": "_journey_signal_domain_viewed_often",
            },
            "expiring": {
                "name": self.env._("Quotation expires within N days"),
                "method": "_journey_signal_domain_expiring",
            },
            "invoice_overdue": {
                "name": self.env._("Invoice overdue for N days or more"),
                "method": "_journey_signal_domain_invoice_overdue",
            },
        }

    @api.model
    def _journey_signal_order_domain(self, signal, number):
        """The domain of the orders showing ``signal`` now (``number``: days
        or views), from the method the signal declares; no order for a
        signal no longer declared (its bridge went away)."""
        method = self._journey_get_quotation_signals().get(signal, {}).get("method")
        if not method:
            return Domain.FALSE
        return getattr(self, method)(number)

    @api.model
    def _journey_signal_domain_viewed_unsigned(self, number):
        """Open quotations first viewed ``number`` days ago or more."""
        return Domain("state", "in", OPEN_QUOTATION_STATES) & Domain(
            "journey_first_view_date", "<=", fields.Datetime.now() - relativedelta(days=number)
        )

    @api.model
    def _journey_signal_domain_viewed_often(self, number):
        """Open quotations viewed ``number`` times or more (at least once)."""
        return Domain("state", "in", OPEN_QUOTATION_STATES) & Domain(
            "journey_view_count", ">=", max(number, 1)
        )

    @api.model
    def _journey_signal_domain_expiring(self, number):
        """Open quotations expiring within ``number`` days."""
        today = fields.Date.context_today(self)
        return (
            Domain("state", "in", OPEN_QUOTATION_STATES)
            & Domain("validity_date", ">=", today)
            & Domain("validity_date", "<=", today + relativedelta(days=number))
        )

    @api.model
    def _journey_signal_domain_invoice_overdue(self, number):
        """Orders with a posted customer invoice unpaid ``number`` days (at
        least one) after its due date."""
        today = fields.Date.context_today(self)
        return Domain(
            "invoice_ids",
            "any",
            Domain("move_type", "=", "out_invoice")
            & Domain("state", "=", "posted")
            & Domain("payment_state", "in", ("not_paid", "partial"))
            & Domain("invoice_date_due", "<=", today - relativedelta(days=max(number, 1))),
        )
