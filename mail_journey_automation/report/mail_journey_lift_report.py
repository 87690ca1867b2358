from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.statistics import mean_lift, proportion_lift


class MailJourneyLiftReport(models.Model):
    """Measured lift: one row per enrollment, in the journey's treated or
    hold-out group, with what the customer did from the moment it entered:
    confirmed orders (conversion), quotations turned into orders, revenue.

    The customer's orders are the orders of its commercial entity, of the
    enrolled opportunity, or the enrolled order itself."""

    _name = "mail.journey.lift.report"
    _description = "Journey Lift (Treated vs Hold-out)"
    _inherit = ["mail.journey.ratio.mixin"]
    _auto = False
    _order = "date_start desc, id desc"
    _rec_name = "enrollment_id"
    _ratios = {
        "conversion_rate": ("converted", "entrants", 100.0),
        "quotation_order_rate": ("orders", "quotations", 100.0),
        "revenue_per_entrant": ("revenue", "entrants", 1.0),
    }

    enrollment_id = fields.Many2one("mail.journey.enrollment", readonly=True)
    journey_id = fields.Many2one("mail.journey", readonly=True)
    lift_group = fields.Selection([("treated", "Treated"), ("holdout", "Hold-out")], readonly=True)
    date_start = fields.Datetime(string="Entered On", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    # measures
    entrants = fields.Integer(readonly=True, aggregator="sum")
    converted = fields.Integer(
        readonly=True, aggregator="sum", help="Entrants with a confirmed order after entering."
    )
    quotations = fields.Integer(readonly=True, aggregator="sum")
    orders = fields.Integer(string="Confirmed Quotations", readonly=True, aggregator="sum")
    revenue = fields.Monetary(
        readonly=True,
        aggregator="sum",
        currency_field="currency_id",
        help="Untaxed amount of the orders confirmed after entering, in the company's currency.",
    )
    revenue_squared = fields.Float(readonly=True, aggregator="sum")
    conversion_rate = fields.Float(
        string="Conversion (%)", digits=(16, 1), readonly=True, aggregator="sum"
    )
    quotation_order_rate = fields.Float(
        string="Quotation-to-Order (%)", digits=(16, 1), readonly=True, aggregator="sum"
    )
    revenue_per_entrant = fields.Monetary(
        readonly=True, aggregator="sum", currency_field="currency_id"
    )

    def init(self):
        self._create_ratio_view()

    @api.model
    def _base_query(self):
        return SQL(
            """
            SELECT enrollment.id AS id,
                   enrollment.id AS enrollment_id,
                   enrollment.journey_id AS journey_id,
                   CASE WHEN enrollment.is_holdout THEN 'holdout' ELSE 'treated' END AS lift_group,
                   enrollment.date_start AS date_start,
                   customer.commercial_partner_id AS partner_id,
                   enrollment.user_id AS user_id,
                   enrollment.company_id AS company_id,
                   company.currency_id AS currency_id,
                   1 AS entrants,
                   CASE WHEN sales.orders > 0 THEN 1 ELSE 0 END AS converted,
                   sales.quotations AS quotations,
                   sales.orders AS orders,
                   COALESCE(sales.revenue, 0) AS revenue,
                   COALESCE(sales.revenue, 0) ^ 2 AS revenue_squared
              FROM mail_journey_enrollment enrollment
         LEFT JOIN res_partner customer ON customer.id = enrollment.partner_id
         LEFT JOIN res_company company ON company.id = enrollment.company_id
        CROSS JOIN LATERAL (
                SELECT COUNT(*) AS quotations,
                       COUNT(*) FILTER (WHERE sale_order.state = 'sale') AS orders,
                       SUM(sale_order.amount_untaxed
                           / CASE COALESCE(sale_order.currency_rate, 0)
                                 WHEN 0 THEN 1.0 ELSE sale_order.currency_rate END)
                           FILTER (WHERE sale_order.state = 'sale') AS revenue
                  FROM sale_order
                  JOIN res_partner buyer ON buyer.id = sale_order.partner_id
                 WHERE (sale_order.id = enrollment.order_id
                        OR sale_order.opportunity_id = enrollment.lead_id
                        OR buyer.commercial_partner_id = customer.commercial_partner_id)
                   AND (sale_order.id = enrollment.order_id
                        OR sale_order.create_date >= enrollment.date_start)
           ) AS sales
            """
        )

    @api.model
    def _get_lift(self, journeys):
        """{journey: {metric: (treated, hold-out, difference, low, high) or
        None}} for the conversion rate, the quotation-to-order rate (both as
        fractions) and the revenue per entrant."""
        self.env.flush_all()
        sums = {
            (journey, group): values
            for journey, group, *values in self._read_group(
                [("journey_id", "in", journeys.ids)],
                ["journey_id", "lift_group"],
                [
                    "entrants:sum",
                    "converted:sum",
                    "quotations:sum",
                    "orders:sum",
                    "revenue:sum",
                    "revenue_squared:sum",
                ],
            )
        }
        empty = [0] * 6
        lift = {}
        for journey in journeys:
            treated = sums.get((journey, "treated"), empty)
            holdout = sums.get((journey, "holdout"), empty)
            lift[journey] = {
                "entrants": (treated[0], holdout[0]),
                "conversion": proportion_lift(treated[1], treated[0], holdout[1], holdout[0]),
                "quotation_order": proportion_lift(treated[3], treated[2], holdout[3], holdout[2]),
                "revenue_per_entrant": mean_lift(
                    treated[4], treated[5], treated[0], holdout[4], holdout[5], holdout[0]
                ),
            }
        return lift
