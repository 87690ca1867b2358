from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.statistics import mean_lift, proportion_lift

# what a customer (a period) or an entrant (an enrollment) bought, from the
# sale_order rows the caller selects: quotations, confirmed orders, their
# amount in the company's currency and the first order's date
SALES_MEASURES = SQL(
    """COUNT(*) AS quotations,
       COUNT(*) FILTER (WHERE sale_order.state = 'sale') AS order_count,
       SUM(sale_order.amount_untaxed
           / CASE COALESCE(sale_order.currency_rate, 0)
                 WHEN 0 THEN 1.0 ELSE sale_order.currency_rate END)
           FILTER (WHERE sale_order.state = 'sale') AS amount,
       MIN(sale_order.date_order) FILTER (WHERE sale_order.state = 'sale') AS first_order"""
)


class MailJourneyImpactReport(models.Model):
    """Journey impact and lift, side by side: what customers ordered, in two
    comparisons.

    Before / after (one row per customer and period):

    - "After the journey": customers who entered a journey, from their first
      enrollment until now;
    - "Before the journey": the same customers, over a period of the same
      length just before their first enrollment;
    - "Not enrolled": customers of leads or orders who never entered a
      journey, from their first lead or order until now.

    Treated / hold-out (one row per enrollment, in the journey's treated or
    hold-out group): what the customer did from the moment it entered. Its
    orders are those of its commercial entity, of the enrolled opportunity,
    or the enrolled order itself.

    Measures count the quotations and the confirmed sales orders of the
    period; averages and rates are ratios of sums in every group."""

    _name = "mail.journey.impact.report"
    _description = "Journey Impact and Lift"
    _inherit = ["mail.journey.ratio.mixin"]
    _auto = False
    _order = "comparison, cohort, partner_id, id"
    _rec_name = "partner_id"
    _ratios = {
        "purchase_rate": ("buyers", "customers", 100.0),
        "repeat_rate": ("repeat_buyers", "buyers", 100.0),
        "quotation_order_rate": ("order_count", "quotations", 100.0),
        "avg_order_amount": ("amount", "order_count", 1.0),
        "revenue_per_customer": ("amount", "customers", 1.0),
        "avg_days_to_first_order": ("days_to_first_order", "buyers", 1.0),
    }

    comparison = fields.Selection(
        [("impact", "Before / After"), ("lift", "Treated / Hold-out")], readonly=True
    )
    cohort = fields.Selection(
        [
            ("before", "Before the journey"),
            ("after", "After the journey"),
            ("not_enrolled", "Not enrolled"),
            ("treated", "Treated"),
            ("holdout", "Hold-out"),
        ],
        string="Group",
        readonly=True,
        help="Treated: the entrants who received the journey's emails; hold-out: the share of "
        "the entrants kept from them (the journey's Hold-out Share).",
    )
    journey_id = fields.Many2one(
        "mail.journey",
        readonly=True,
        help="Before / after: the journey the customer entered first; treated / hold-out: the "
        "journey of the enrollment.",
    )
    enrollment_id = fields.Many2one("mail.journey.enrollment", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    date_from = fields.Datetime(string="Period Start", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    industry_id = fields.Many2one("res.partner.industry", readonly=True)
    # measures
    customers = fields.Integer(
        readonly=True,
        aggregator="sum",
        help="Customers (before / after) or entrants (treated / hold-out).",
    )
    buyers = fields.Integer(
        readonly=True, aggregator="sum", help="Customers with at least one confirmed order."
    )
    repeat_buyers = fields.Integer(
        readonly=True, aggregator="sum", help="Customers with two or more confirmed orders."
    )
    quotations = fields.Integer(readonly=True, aggregator="sum")
    order_count = fields.Integer(string="Orders", readonly=True, aggregator="sum")
    amount = fields.Monetary(
        string="Untaxed Amount",
        readonly=True,
        aggregator="sum",
        currency_field="currency_id",
        help="Untaxed amount of the confirmed orders, in the company's currency.",
    )
    amount_squared = fields.Float(readonly=True, aggregator="sum")
    days_to_first_order = fields.Float(
        string="Days to First Order (total)",
        digits=(16, 1),
        readonly=True,
        aggregator="sum",
        help="From the start of the period to the first confirmed order, for the buyers.",
    )
    purchase_rate = fields.Float(
        string="Purchase Rate (%)",
        digits=(16, 1),
        readonly=True,
        aggregator="sum",
        help="Share of the customers with a confirmed order: the conversion.",
    )
    repeat_rate = fields.Float(
        string="Repeat-Purchase Rate (%)",
        digits=(16, 1),
        readonly=True,
        aggregator="sum",
        help="Share of the buyers who ordered at least twice.",
    )
    quotation_order_rate = fields.Float(
        string="Quotation-to-Order (%)", digits=(16, 1), readonly=True, aggregator="sum"
    )
    avg_order_amount = fields.Monetary(
        string="Average Order Amount",
        readonly=True,
        aggregator="sum",
        currency_field="currency_id",
    )
    revenue_per_customer = fields.Monetary(
        string="Revenue per Customer",
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
        # ids: even for the customers' periods, odd for the enrollments
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
                SELECT partner_id, 'after' AS cohort, journey_id,
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
            ), comparison AS (
                SELECT ROW_NUMBER() OVER (ORDER BY period.partner_id, period.cohort) * 2 AS id,
                       'impact' AS comparison,
                       period.cohort AS cohort,
                       period.journey_id AS journey_id,
                       NULL::integer AS enrollment_id,
                       period.partner_id AS partner_id,
                       period.date_from AS date_from,
                       partner.user_id AS user_id,
                       COALESCE(partner.company_id, customer.company_id) AS company_id,
                       sales.*
                  FROM period
                  JOIN res_partner partner ON partner.id = period.partner_id
             LEFT JOIN customer ON customer.partner_id = period.partner_id
            CROSS JOIN LATERAL (
                    SELECT %(sales_measures)s
                      FROM sale_order
                      JOIN res_partner buyer ON buyer.id = sale_order.partner_id
                     WHERE buyer.commercial_partner_id = period.partner_id
                       AND sale_order.date_order >= period.date_from
                       AND sale_order.date_order < period.date_to
               ) AS sales
                UNION ALL
                SELECT enrollment.id * 2 + 1,
                       'lift',
                       CASE WHEN enrollment.is_holdout THEN 'holdout' ELSE 'treated' END,
                       enrollment.journey_id,
                       enrollment.id,
                       customer.commercial_partner_id,
                       enrollment.date_start,
                       enrollment.user_id,
                       enrollment.company_id,
                       sales.*
                  FROM mail_journey_enrollment enrollment
             LEFT JOIN res_partner customer ON customer.id = enrollment.partner_id
            CROSS JOIN LATERAL (
                    SELECT %(sales_measures)s
                      FROM sale_order
                      JOIN res_partner buyer ON buyer.id = sale_order.partner_id
                     WHERE (sale_order.id = enrollment.order_id
                            OR sale_order.opportunity_id = enrollment.lead_id
                            OR buyer.commercial_partner_id = customer.commercial_partner_id)
                       AND (sale_order.id = enrollment.order_id
                            OR sale_order.create_date >= enrollment.date_start)
               ) AS sales
            )
            SELECT comparison.id AS id,
                   comparison.comparison AS comparison,
                   comparison.cohort AS cohort,
                   comparison.journey_id AS journey_id,
                   comparison.enrollment_id AS enrollment_id,
                   comparison.partner_id AS partner_id,
                   comparison.date_from AS date_from,
                   comparison.user_id AS user_id,
                   comparison.company_id AS company_id,
                   company.currency_id AS currency_id,
                   partner.country_id AS country_id,
                   partner.industry_id AS industry_id,
                   1 AS customers,
                   CASE WHEN comparison.order_count > 0 THEN 1 ELSE 0 END AS buyers,
                   CASE WHEN comparison.order_count > 1 THEN 1 ELSE 0 END AS repeat_buyers,
                   comparison.quotations AS quotations,
                   comparison.order_count AS order_count,
                   COALESCE(comparison.amount, 0) AS amount,
                   COALESCE(comparison.amount, 0) ^ 2 AS amount_squared,
                   GREATEST(COALESCE(
                       EXTRACT(EPOCH FROM comparison.first_order - comparison.date_from)
                       / 86400.0, 0), 0) AS days_to_first_order
              FROM comparison
         LEFT JOIN res_partner partner ON partner.id = comparison.partner_id
         LEFT JOIN res_company company ON company.id = comparison.company_id
            """,
            sales_measures=SALES_MEASURES,
        )

    @api.model
    def _get_lift(self, journeys):
        """{journey: {metric: (treated, hold-out, difference, low, high) or
        None}} for the conversion rate, the quotation-to-order rate (both as
        fractions) and the revenue per entrant."""
        self.env.flush_all()
        sums = {
            (journey, cohort): values
            for journey, cohort, *values in self._read_group(
                [("comparison", "=", "lift"), ("journey_id", "in", journeys.ids)],
                ["journey_id", "cohort"],
                [
                    "customers:sum",
                    "buyers:sum",
                    "quotations:sum",
                    "order_count:sum",
                    "amount:sum",
                    "amount_squared:sum",
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

    @api.model
    def _action_open(self):
        """The report, with a word on the hold-out first when no journey of
        the user's companies keeps one: the treated / hold-out comparison
        stays empty until one does."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mail_journey_automation.action_mail_journey_impact_report"
        )
        if self.env["mail.journey"].search_count([("holdout_percent", ">", 0)], limit=1):
            return action
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "title": self.env._("No hold-out group yet"),
                "message": self.env._(
                    "Only the before / after comparison can show for now. To compare the "
                    "entrants who get a journey's emails with those who don't, set a "
                    "'Hold-out Share (%)' on the journey's Sales Team tab (Measured Lift): "
                    "its next entrants will fill the treated / hold-out columns."
                ),
                "sticky": True,
                "next": action,
            },
        }
