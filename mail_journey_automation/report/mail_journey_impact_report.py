from odoo import api, fields, models
from odoo.tools import SQL


class MailJourneyImpactReport(models.Model):
    """Journey impact: one row per customer (commercial entity) and period.

    - "After the journey": customers who entered a journey, from their first
      enrollment until now;
    - "Before the journey": the same customers, over a period of the same
      length just before their first enrollment;
    - "Not enrolled": customers of leads or orders who never entered a
      journey, from their first lead or order until now.

    Measures count the confirmed sales orders of the period; averages and
    rates are ratios of sums in every group."""

    _name = "mail.journey.impact.report"
    _description = "Journey Impact"
    _inherit = ["mail.journey.ratio.mixin"]
    _auto = False
    _order = "partner_id, period"
    _rec_name = "partner_id"
    _ratios = {
        "purchase_rate": ("buyers", "customers", 100.0),
        "repeat_rate": ("repeat_buyers", "buyers", 100.0),
        "avg_order_amount": ("amount", "order_count", 1.0),
        "avg_days_to_first_order": ("days_to_first_order", "buyers", 1.0),
    }

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    period = fields.Selection(
        [
            ("before", "Before the journey"),
            ("after", "After the journey"),
            ("not_enrolled", "Not enrolled"),
        ],
        readonly=True,
    )
    journey_id = fields.Many2one(
        "mail.journey",
        string="First Journey",
        readonly=True,
        help="The journey the customer entered first.",
    )
    date_from = fields.Datetime(string="Period Start", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    industry_id = fields.Many2one("res.partner.industry", readonly=True)
    # measures
    customers = fields.Integer(readonly=True, aggregator="sum")
    buyers = fields.Integer(
        readonly=True, aggregator="sum", help="Customers with at least one confirmed order."
    )
    repeat_buyers = fields.Integer(
        readonly=True, aggregator="sum", help="Customers with two or more confirmed orders."
    )
    order_count = fields.Integer(string="Orders", readonly=True, aggregator="sum")
    amount = fields.Monetary(
        string="Untaxed Amount",
        readonly=True,
        aggregator="sum",
        currency_field="currency_id",
        help="Untaxed amount of the confirmed orders, in the company's currency.",
    )
    days_to_first_order = fields.Float(
        string="Days to First Order (total)",
        digits=(16, 1),
        readonly=True,
        aggregator="sum",
        help="From the start of the period to the first confirmed order, for the buyers.",
    )
    purchase_rate = fields.Float(
        string="Purchase Rate (%)", digits=(16, 1), readonly=True, aggregator="sum"
    )
    repeat_rate = fields.Float(
        string="Repeat-Purchase Rate (%)",
        digits=(16, 1),
        readonly=True,
        aggregator="sum",
        help="Share of the buyers who ordered at least twice.",
    )
    avg_order_amount = fields.Monetary(
        string="Average Order Amount",
        readonly=True,
        aggregator="sum",
        currency_field="currency_id",
    )
    avg_days_to_first_order = fields.Float(
        string="Average Days to First Order", digits=(16, 1), readonly=True, aggregator="sum"
    )

    def init(self):
        self._create_ratio_view()

    @api.model
    def _base_query(self):
        return SQL(
            """
            WITH customer AS (
                SELECT partner.commercial_partner_id AS partner_id,
                       MIN(record.create_date) AS first_seen,
                       (ARRAY_AGG(record.company_id ORDER BY record.create_date))[1] AS company_id
                  FROM (SELECT partner_id, create_date, company_id FROM crm_lead
                         WHERE partner_id IS NOT NULL
                        UNION ALL
                        SELECT partner_id, create_date, company_id FROM sale_order) AS record
                  JOIN res_partner partner ON partner.id = record.partner_id
              GROUP BY partner.commercial_partner_id
            ), enrolled AS (
                SELECT DISTINCT ON (partner.commercial_partner_id)
                       partner.commercial_partner_id AS partner_id,
                       enrollment.date_start AS date_ref,
                       enrollment.journey_id AS journey_id
                  FROM mail_journey_enrollment enrollment
                  JOIN res_partner partner ON partner.id = enrollment.partner_id
              ORDER BY partner.commercial_partner_id, enrollment.date_start, enrollment.id
            ), period AS (
                SELECT partner_id, 'after' AS period, journey_id,
                       date_ref AS date_from, NOW() AT TIME ZONE 'UTC' AS date_to
                  FROM enrolled
                UNION ALL
                SELECT partner_id, 'before', journey_id,
                       date_ref - (NOW() AT TIME ZONE 'UTC' - date_ref), date_ref
                  FROM enrolled
                UNION ALL
                SELECT customer.partner_id, 'not_enrolled', NULL,
                       customer.first_seen, NOW() AT TIME ZONE 'UTC'
                  FROM customer
                 WHERE NOT EXISTS (SELECT 1 FROM enrolled
                                    WHERE enrolled.partner_id = customer.partner_id)
            )
            SELECT ROW_NUMBER() OVER (ORDER BY period.partner_id, period.period) AS id,
                   period.partner_id AS partner_id,
                   period.period AS period,
                   period.journey_id AS journey_id,
                   period.date_from AS date_from,
                   partner.user_id AS user_id,
                   COALESCE(partner.company_id, customer.company_id) AS company_id,
                   company.currency_id AS currency_id,
                   partner.country_id AS country_id,
                   partner.industry_id AS industry_id,
                   1 AS customers,
                   CASE WHEN sales.order_count > 0 THEN 1 ELSE 0 END AS buyers,
                   CASE WHEN sales.order_count > 1 THEN 1 ELSE 0 END AS repeat_buyers,
                   sales.order_count AS order_count,
                   COALESCE(sales.amount, 0) AS amount,
                   COALESCE(EXTRACT(EPOCH FROM sales.first_order - period.date_from) / 86400.0, 0)
                       AS days_to_first_order
              FROM period
              JOIN res_partner partner ON partner.id = period.partner_id
         LEFT JOIN customer ON customer.partner_id = period.partner_id
         LEFT JOIN res_company company
                ON company.id = COALESCE(partner.company_id, customer.company_id)
        CROSS JOIN LATERAL (
                SELECT COUNT(*) AS order_count,
                       SUM(sale_order.amount_untaxed
                           / CASE COALESCE(sale_order.currency_rate, 0)
                                 WHEN 0 THEN 1.0 ELSE sale_order.currency_rate END) AS amount,
                       MIN(sale_order.date_order) AS first_order
                  FROM sale_order
                  JOIN res_partner buyer ON buyer.id = sale_order.partner_id
                 WHERE sale_order.state = 'sale'
                   AND buyer.commercial_partner_id = period.partner_id
                   AND sale_order.date_order >= period.date_from
                   AND sale_order.date_order < period.date_to
           ) AS sales
            """
        )
