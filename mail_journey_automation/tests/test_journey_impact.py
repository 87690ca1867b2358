from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged

from .common import JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyImpact(JourneyCommon):
    """Impact report on hand-made customers, against the database's clock
    (the periods end now):

    - Alpha and Beta entered a journey 30 days ago (R);
    - Alpha ordered 999 at R-40 (outside the 30 days before), 100 at R-20,
      200 at R+5 and 400 at R+10; Beta ordered 300 at R+2;
    - Gamma, never enrolled, came 20 days ago (F) and ordered 50 at F+4 and
      150 at F+8.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.now = fields.Datetime.now()
        cls.ref_date = cls.now - timedelta(days=30)
        cls.alpha, cls.beta, cls.gamma = cls.env["res.partner"].create(
            [
                {"name": name, "email": f"{name.lower()}@example.com"}
                for name in "Alpha Beta Gamma".split()
            ]
        )
        leads = cls.env["crm.lead"].create(
            [
                {"name": f"Lead {partner.name}", "partner_id": partner.id, "type": "opportunity"}
                for partner in (cls.alpha, cls.beta, cls.gamma)
            ]
        )
        cls.journey = journey = cls._create_journey([cls._email_step()])
        journey.action_start()
        journey._enroll(leads[:2]).date_start = cls.ref_date
        first_seen = cls.now - timedelta(days=20)
        cls.env.cr.execute(
            "UPDATE crm_lead SET create_date = %s WHERE id = %s", (first_seen, leads[2].id)
        )
        product = cls.env["product.product"].create({"name": "Paper box", "list_price": 1})
        orders = []
        for partner, day, amount in (
            (cls.alpha, cls.ref_date - timedelta(days=40), 999),
            (cls.alpha, cls.ref_date - timedelta(days=20), 100),
            (cls.alpha, cls.ref_date + timedelta(days=5), 200),
            (cls.alpha, cls.ref_date + timedelta(days=10), 400),
            (cls.beta, cls.ref_date + timedelta(days=2), 300),
            (cls.gamma, first_seen + timedelta(days=4), 50),
            (cls.gamma, first_seen + timedelta(days=8), 150),
        ):
            orders.append((partner, day, amount))
        created = cls.env["sale.order"].create(
            [
                {
                    "partner_id": partner.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "product_uom_qty": 1,
                                "price_unit": amount,
                                "tax_ids": [],
                            }
                        )
                    ],
                }
                for partner, __, amount in orders
            ]
        )
        created.action_confirm()
        for order, (__, day, __) in zip(created, orders, strict=True):
            order.date_order = day
        # a draft quotation counts nowhere
        cls.env["sale.order"].create({"partner_id": cls.alpha.id})
        cls.env.flush_all()

    def _read(self, groupby, aggregates):
        return self.env["mail.journey.impact.report"]._read_group(
            [
                ("comparison", "=", "impact"),
                ("partner_id", "in", (self.alpha | self.beta | self.gamma).ids),
            ],
            groupby,
            aggregates,
            order=groupby[0],
        )

    def test_impact_by_period(self):
        result = self._read(
            ["cohort"],
            [
                "customers:sum",
                "buyers:sum",
                "order_count:sum",
                "amount:sum",
                "purchase_rate:sum",
                "avg_order_amount:sum",
                "repeat_rate:sum",
                "avg_days_to_first_order:sum",
            ],
        )
        self.assertEqual(
            [(cohort, *(round(value, 2) for value in values)) for cohort, *values in result],
            [
                # Alpha and Beta, both bought: (200 + 400 + 300) / 3 orders; Alpha
                # ordered twice; first orders 5 and 2 days after entering
                ("after", 2, 2, 3, 900.0, 100.0, 300.0, 50.0, 3.5),
                # the 30 days before: only Alpha's order of 100, 10 days in
                ("before", 2, 1, 1, 100.0, 50.0, 100.0, 0.0, 10.0),
                # Gamma: two orders, the first 4 days after it came
                ("not_enrolled", 1, 1, 2, 200.0, 100.0, 100.0, 100.0, 4.0),
            ],
        )

    def test_impact_grouped_by_customer(self):
        result = self._read(["partner_id"], ["order_count:sum", "avg_order_amount:sum"])
        self.assertEqual(
            [(partner, count, round(average, 2)) for partner, count, average in result],
            [
                # 100 before, 200 and 400 after (the order of 999 is outside)
                (self.alpha, 3, 233.33),
                (self.beta, 1, 300.0),
                (self.gamma, 2, 100.0),
            ],
        )

    def test_impact_and_lift_side_by_side(self):
        """One report, two comparisons: before / after (and never enrolled)
        per customer, treated / hold-out per enrollment; the pivot's
        columns, as the web client reads them."""
        self.env["mail.journey"].search([("holdout_percent", ">", 0)]).holdout_percent = 0
        Report = self.env["mail.journey.impact.report"].with_user(self.user_journey_manager)
        domain = [("partner_id", "in", (self.alpha | self.beta | self.gamma).ids)]

        def columns():
            __, groups = Report.formatted_read_grouping_sets(
                domain, [[], ["comparison", "cohort"]], ["customers:sum", "purchase_rate:sum"]
            )
            return {
                (group["comparison"], group["cohort"]): (
                    group["customers:sum"],
                    group["purchase_rate:sum"],
                )
                for group in groups
            }

        self.assertEqual(
            columns(),
            {
                ("impact", "after"): (2, 100.0),
                ("impact", "before"): (2, 50.0),
                ("impact", "not_enrolled"): (1, 100.0),
                # no hold-out share: every entrant is treated
                ("lift", "treated"): (2, 100.0),
            },
        )
        # the menu says so first, and how to get a hold-out group
        opened = Report._action_open()
        self.assertEqual(opened["tag"], "display_notification")
        self.assertIn("Hold-out Share (%)", opened["params"]["message"])
        self.assertEqual(
            opened["params"]["next"]["xml_id"],
            "mail_journey_automation.action_mail_journey_impact_report",
        )

        self.journey.holdout_percent = 50
        self.journey.enrollment_ids.filtered(
            lambda enrollment: enrollment.partner_id == self.beta
        ).is_holdout = True
        self.env.flush_all()
        self.assertEqual(
            {key: value for key, value in columns().items() if key[0] == "lift"},
            {("lift", "treated"): (1, 100.0), ("lift", "holdout"): (1, 100.0)},
        )
        opened = Report._action_open()
        self.assertEqual(
            opened["xml_id"], "mail_journey_automation.action_mail_journey_impact_report"
        )
        self.assertEqual(opened["res_model"], "mail.journey.impact.report")
