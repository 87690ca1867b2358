from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from .common import BROWSER, NOW, PERSON_IP, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyReport(JourneyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Report = cls.env["mail.journey.report"]
        cls.journey_a = cls._create_journey([cls._email_step()], name="Journey A")
        cls.journey_b = cls._create_journey([cls._email_step(cls.template_intro)], name="Journey B")
        (cls.journey_a | cls.journey_b).action_start()
        cls.lead_other = cls.env["crm.lead"].create(
            {
                "name": "Lead 3",
                "contact_name": "Contact 3",
                "email_from": "contact3@customer3.example.com",
                "user_id": cls.user_sales.id,
                "type": "opportunity",
            }
        )
        cls.link = cls.env["link.tracker"].search_or_create(
            [{"url": "https://www.example.com/", "title": "Home"}]
        )
        cls.product = cls.env["product.product"].create({"name": "Paper tube", "list_price": 100})
        cls.buyer = cls.env["res.partner"].create(
            {
                "name": "Tube Buyer",
                "email": "buyer@customer.example.com",
                "country_id": cls.env.ref("base.be").id,
                "industry_id": cls.env["res.partner.industry"].create({"name": "Packaging"}).id,
            }
        )

    def _read_report(self, journeys, groupby, aggregates, domain=()):
        self.env.flush_all()
        return self.Report._read_group(
            [("journey_id", "in", journeys.ids), *domain], groupby, aggregates
        )

    def _create_order(self, lead=False, quantity=10, **values):
        return self.env["sale.order"].create(
            {
                "partner_id": self.buyer.id,
                "opportunity_id": lead and lead.id,
                "order_line": [
                    Command.create(
                        {"product_id": self.product.id, "product_uom_qty": quantity, "tax_ids": []}
                    )
                ],
                **values,
            }
        )

    def _confirm(self, orders, date):
        with self.mock_datetime_and_now(date):
            orders.action_confirm()

    def test_report_counts_per_journey(self):
        trace_a = self._send_first_email(self.journey_a, self.lead_other)
        traces_b = self._send_first_email(self.journey_b, self.leads)
        by_lead = {trace.lead_id: trace for trace in traces_b}
        with self.mock_datetime_and_now(NOW + timedelta(hours=1)):
            trace_a._register_open(BROWSER, PERSON_IP)
            by_lead[self.leads[0]]._register_click(self.link, BROWSER, PERSON_IP)
            by_lead[self.leads[0]]._register_unsubscribe()
            by_lead[self.leads[1]]._register_reply(description="Please call me")
            by_lead[self.leads[2]]._register_bounce(description="No such user")
        measures = ["sent", "delivered", "opened", "clicked", "replied", "bounced", "unsubscribed"]
        result = self._read_report(
            self.journey_a | self.journey_b,
            ["journey_id"],
            [f"{measure}:sum" for measure in measures] + ["enrolled:sum", "__count"],
        )
        self.assertEqual(
            {journey: tuple(sums) for journey, *sums in result},
            {
                self.journey_a: (1, 1, 1, 0, 0, 0, 0, 1, 1),
                self.journey_b: (3, 2, 2, 1, 1, 1, 1, 3, 3),
            },
            "a click and a reply are opens; a bounce is sent, not delivered",
        )

    def test_report_rate_is_ratio_of_sums(self):
        trace_a = self._send_first_email(self.journey_a, self.lead_other)
        traces_b = self._send_first_email(self.journey_b, self.leads)
        with self.mock_datetime_and_now(NOW + timedelta(hours=1)):
            trace_a._register_open(BROWSER, PERSON_IP)
            traces_b[0]._register_click(self.link, BROWSER, PERSON_IP)
        journeys = self.journey_a | self.journey_b
        by_journey = dict(self._read_report(journeys, ["journey_id"], ["open_rate:sum"]))
        self.assertAlmostEqual(by_journey[self.journey_a], 100.0)
        self.assertAlmostEqual(by_journey[self.journey_b], 100.0 / 3)
        [(open_rate, click_rate)] = self._read_report(
            journeys, [], ["open_rate:sum", "click_rate:sum"]
        )
        self.assertAlmostEqual(open_rate, 50.0, msg="2 opened of 4 delivered, not (100 + 33) / 2")
        self.assertAlmostEqual(click_rate, 25.0)
        # as the web client asks for it: list groups and pivot cells
        groups = self.Report.formatted_read_group(
            [("journey_id", "in", journeys.ids)], ["journey_id"], ["open_rate:sum"]
        )
        self.assertEqual(
            sorted(round(group["open_rate:sum"], 1) for group in groups), [33.3, 100.0]
        )
        [total], __ = self.Report.formatted_read_grouping_sets(
            [("journey_id", "in", journeys.ids)],
            [[], ["journey_id"]],
            ["open_rate:sum", "delivery_rate:sum"],
        )
        self.assertAlmostEqual(total["open_rate:sum"], 50.0)
        self.assertAlmostEqual(total["delivery_rate:sum"], 100.0)
        # a single row carries its own rate
        opened_row = self.Report.search([("trace_id", "=", trace_a.id)])
        self.assertEqual(opened_row.open_rate, 100.0)
        # the journey form shows the same figures
        self.assertAlmostEqual(self.journey_b.open_rate, 100.0 / 3, places=1)
        self.assertAlmostEqual(self.journey_b.click_rate, 100.0 / 3, places=1)
        self.assertAlmostEqual(self.journey_a.delivery_rate, 100.0)

    def test_performance_rates_by_channel_step_and_variant(self):
        """Journey Performance opens on a pivot of the rates by journey; each
        group of any dimension (channel, step, variant) shows the ratio of
        its sums: 2 opened of 4 emails is 50.0, not a sum of the rows' 0 and
        100."""
        action = self.env.ref("mail_journey_automation.action_mail_journey_report")
        self.assertEqual(action.name, "Journey Performance")
        pivot = self.Report.get_views([(False, "pivot")])["views"]["pivot"]["arch"]
        for measure in ("sent", "open_rate", "click_rate", "reply_rate", "bounce_rate"):
            self.assertIn(f'name="{measure}" type="measure"', pivot)
        self.assertIn('name="journey_id" type="row"', pivot)
        trace_a = self._send_first_email(self.journey_a, self.lead_other)
        traces_b = self._send_first_email(self.journey_b, self.leads)
        with self.mock_datetime_and_now(NOW + timedelta(hours=1)):
            trace_a._register_open(BROWSER, PERSON_IP)
            traces_b[0]._register_open(BROWSER, PERSON_IP)
        journeys = self.journey_a | self.journey_b
        self.env.flush_all()
        for groupby in ("channel", "step_id", "variant_id"):
            with self.subTest(groupby=groupby):
                total, groups = self.Report.formatted_read_grouping_sets(
                    [("journey_id", "in", journeys.ids)],
                    [[], [groupby]],
                    ["sent:sum", "open_rate:sum", "bounce_rate:sum"],
                )
                self.assertEqual(total[0]["sent:sum"], 4)
                self.assertAlmostEqual(total[0]["open_rate:sum"], 50.0)
                self.assertAlmostEqual(total[0]["bounce_rate:sum"], 0.0)
                if groupby == "channel":
                    self.assertEqual(
                        [(group["channel"], group["open_rate:sum"]) for group in groups],
                        [("email", 50.0)],
                    )
        with self.mock_datetime_and_now(NOW + timedelta(hours=2)):
            traces_b[2]._register_bounce(description="No such user")
        self.env.flush_all()
        by_journey = dict(self._read_report(journeys, ["journey_id"], ["bounce_rate:sum"]))
        self.assertAlmostEqual(by_journey[self.journey_b], 100.0 / 3, msg="1 of 3 sent bounced")
        self.assertAlmostEqual(by_journey[self.journey_a], 0.0)
        [(bounce_rate, open_rate)] = self._read_report(
            journeys, [], ["bounce_rate:sum", "open_rate:sum"]
        )
        self.assertAlmostEqual(bounce_rate, 25.0)
        self.assertAlmostEqual(open_rate, 200.0 / 3, msg="2 opened of 3 delivered")

    def test_performance_channel_of_steps_that_send_nothing_is_empty(self):
        journey = self._create_journey([{"name": "Call", "action": "activity"}])
        journey.action_start()
        with self.mock_datetime_and_now(NOW):
            journey._enroll(self.leads[0])
            self._process()
        self.env.flush_all()
        self.assertEqual(
            self.Report.search([("journey_id", "=", journey.id)]).mapped("channel"), [False]
        )

    def test_report_rate_without_denominator_is_zero(self):
        journey = self._create_journey([{"name": "Call", "action": "activity"}])
        journey.action_start()
        with self.mock_datetime_and_now(NOW):
            journey._enroll(self.leads[0])
            self._process()
        [(sent, open_rate)] = self._read_report(journey, [], ["sent:sum", "open_rate:sum"])
        self.assertEqual((sent, open_rate), (0, 0.0), "no division by zero")

    def test_report_conversion_once_per_enrollment(self):
        journey = self._create_journey(
            [self._email_step(), {"name": "Call", "action": "activity"}],
            name="Journey C",
        )
        journey.action_start()
        ordered, won, idle = self.leads
        # confirmed before the journey: not a conversion of the journey
        self._confirm(self._create_order(idle, quantity=5), NOW - timedelta(days=1))
        self._send_first_email(journey, self.leads)
        self._confirm(self._create_order(ordered), NOW + timedelta(days=1))
        won.action_set_won()
        self.assertEqual(len(journey.enrollment_ids.trace_ids), 6, "two steps per enrollment")
        [(enrolled, converted, revenue, rate, count)] = self._read_report(
            journey,
            [],
            ["enrolled:sum", "converted:sum", "revenue:sum", "conversion_rate:sum", "__count"],
        )
        self.assertEqual((enrolled, converted, count), (3, 2, 6))
        self.assertAlmostEqual(revenue, 1000.0, msg="once, not once per step")
        self.assertAlmostEqual(rate, 200.0 / 3)
        self.assertAlmostEqual(journey.conversion_rate, 200.0 / 3, places=1)
        self.assertAlmostEqual(journey.revenue, 1000.0)
        by_lead = {
            lead: (converted, revenue)
            for lead, converted, revenue in self._read_report(
                journey, ["lead_id"], ["converted:sum", "revenue:sum"]
            )
        }
        self.assertEqual(by_lead, {ordered: (1, 1000.0), won: (1, 0.0), idle: (0, 0.0)})
        by_step = self._read_report(journey, ["step_id"], ["enrolled:sum", "converted:sum"])
        self.assertEqual(
            sorted(sums for __, *sums in by_step), [[0, 0], [3, 2]], "all on the first step"
        )
        self.env.flush_all()
        self.assertEqual(
            self.Report.search_count(
                [("journey_id", "=", journey.id), ("is_converted", "=", True)]
            ),
            4,
            "the Converted filter keeps every step of the converted enrollments",
        )

    def test_report_order_journey(self):
        team = self.env["crm.team"].create({"name": "Export"})
        lead = self.leads[0]
        lead.journey_stage_id = self.stage_proposal
        journey = self._create_journey(
            [{"name": "Call", "action": "activity"}, {"name": "Check", "action": "activity"}],
            model="sale.order",
        )
        journey.action_start()
        order = self._create_order(lead, user_id=self.user_journey_manager.id, team_id=team.id)
        with self.mock_datetime_and_now(NOW):
            journey._enroll(order)
            self._process()
        self._confirm(order, NOW + timedelta(hours=1))
        self.env.flush_all()
        rows = self.Report.search([("journey_id", "=", journey.id)])
        self.assertEqual(len(rows), 2)
        self.assertEqual(rows.order_id, order)
        self.assertEqual(rows.lead_id, lead, "the order's opportunity")
        self.assertEqual(
            rows.stage_id,
            self.env.ref("mail_journey_automation.stage_order_confirmation"),
            "the opportunity's stage, moved by the confirmation (lifecycle sync)",
        )
        self.assertEqual(rows.user_id, self.user_journey_manager, "the order's salesperson")
        self.assertEqual(rows.team_id, team)
        self.assertEqual(rows.industry_id, self.buyer.industry_id)
        self.assertEqual(rows.country_id, self.env.ref("base.be"))
        self.assertEqual(sum(rows.mapped("converted")), 1)
        self.assertAlmostEqual(
            sum(rows.mapped("revenue")),
            1000.0,
            msg="the order is both the enrolled one and the opportunity's: counted once",
        )

    def test_report_readable_by_journey_user(self):
        self._send_first_email(self.journey_a, self.lead_other)
        self.env.flush_all()
        groups = self.Report.with_user(self.user_sales).formatted_read_group(
            [("journey_id", "=", self.journey_a.id)], ["user_id"], ["sent:sum", "open_rate:sum"]
        )
        self.assertEqual(groups[0]["user_id"][0], self.user_sales.id)
        self.assertEqual(groups[0]["sent:sum"], 1)

    def test_report_views_load(self):
        views = self.Report.get_views(
            [(False, "pivot"), (False, "graph"), (False, "list"), (False, "search")]
        )
        self.assertEqual(set(views["views"]), {"pivot", "graph", "list", "search"})
        self.assertIn('name="open_rate"', views["views"]["pivot"]["arch"])
        action = self.env.ref("mail_journey_automation.action_mail_journey_report")
        self.assertEqual(action.res_model, "mail.journey.report")
