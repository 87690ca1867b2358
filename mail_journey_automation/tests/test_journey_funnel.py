from datetime import datetime, time, timedelta

from odoo import fields
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import NOW, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyFunnel(JourneyCommon):
    """Stage funnel on a hand-made history:

    - lead 1: first contact (day 0-2) -> exploration (2-5) -> proposal (5-);
    - lead 2: first contact (0-4) -> exploration (4-6) -> back to first contact (6-);
    - lead 3 (another salesperson): first contact (0-).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # only this history in the figures
        cls.env["crm.lead"].with_context(active_test=False).search([]).unlink()
        cls.user_other = new_test_user(
            cls.env, login="journey_other", groups="sales_team.group_sale_salesman"
        )
        with cls.mock_datetime_and_now(cls, NOW):
            cls.lead_1, cls.lead_2, cls.lead_3 = cls.env["crm.lead"].create(
                [
                    {"name": "Lead 1", "user_id": cls.user_sales.id},
                    {"name": "Lead 2", "user_id": cls.user_sales.id},
                    {"name": "Lead 3", "user_id": cls.user_other.id},
                ]
            )
        for days, lead, stage in (
            (2, cls.lead_1, cls.stage_exploration),
            (4, cls.lead_2, cls.stage_exploration),
            (5, cls.lead_1, cls.stage_proposal),
            (6, cls.lead_2, cls.stage_first),
        ):
            with cls.mock_datetime_and_now(cls, NOW + timedelta(days=days)):
                lead.journey_stage_id = stage
        cls.env.flush_all()

    def test_funnel_per_stage(self):
        """The Stage Funnel opens on its stays, grouped by stage in the
        stages' order: conversion to a later stage and median days, as the
        web client reads them (ratios and medians of each group, not sums)."""
        action = self.env.ref("mail_journey_automation.action_mail_journey_stage_report")
        self.assertEqual(action.view_mode, "graph,pivot,list")
        self.assertEqual(safe_eval(action.context), {"search_default_filter_stays": 1})
        __, by_stage = self.env["mail.journey.stage.report"].formatted_read_grouping_sets(
            [("row_type", "=", "stay")],
            [[], ["stage_id"]],
            ["entered:sum", "advanced:sum", "advance_rate:sum", "median_days:sum"],
        )
        self.assertEqual(
            [
                (
                    group["stage_id"][0],
                    group["entered:sum"],
                    group["advanced:sum"],
                    round(group["advance_rate:sum"], 2),
                    round(group["median_days:sum"], 2),
                )
                for group in by_stage
            ],
            [
                # 2 of 4 entries moved forward; left after 2 and 4 days
                (self.stage_first.id, 4, 2, 50.0, 3.0),
                # lead 1 moved forward after 3 days, lead 2 went back after 2
                (self.stage_exploration.id, 2, 1, 50.0, 2.5),
                # nobody left the proposal stage yet
                (self.stage_proposal.id, 1, 0, 0.0, 0.0),
            ],
        )

    def test_stage_report_rates_by_stage_and_by_salesperson(self):
        Report = self.env["mail.journey.stage.report"]
        by_stage = Report._read_group(
            [("date_end", "!=", False)],
            ["stage_id"],
            ["entered:sum", "advanced:sum", "advance_rate:sum", "avg_days:sum", "days:sum"],
        )
        self.assertEqual(
            [(stage, *(round(value, 2) for value in values)) for stage, *values in by_stage],
            [
                (self.stage_first, 2, 2, 100.0, 3.0, 6.0),
                (self.stage_exploration, 2, 1, 50.0, 2.5, 5.0),
            ],
        )
        by_user = Report._read_group(
            [("row_type", "=", "stay")], ["user_id"], ["entered:sum", "advance_rate:sum"]
        )
        # salesperson 1: 6 stays, 3 moved forward; the other one: 1 stay, still open
        self.assertEqual(
            [(user, entered, round(rate, 2)) for user, entered, rate in by_user],
            [(self.user_sales, 6, 50.0), (self.user_other, 1, 0.0)],
        )

    def test_leads_per_stage_at_the_end_of_each_week(self):
        """The snapshot counts against the database's clock: this history is
        moved to the last weeks of real time."""
        monday = datetime.combine(fields.Date.today(), time())
        monday -= timedelta(days=monday.weekday())
        self.env["mail.journey.stage.log"].search([]).unlink()
        Log = self.env["mail.journey.stage.log"]
        Log.create(
            [
                {
                    "lead_id": self.lead_1.id,
                    "stage_id": self.stage_first.id,
                    "date_start": monday - timedelta(weeks=3) + timedelta(days=1),
                    "date_end": monday - timedelta(weeks=1) + timedelta(days=1),
                    "next_stage_id": self.stage_exploration.id,
                },
                {
                    "lead_id": self.lead_1.id,
                    "stage_id": self.stage_exploration.id,
                    "date_start": monday - timedelta(weeks=1) + timedelta(days=1),
                },
                {
                    "lead_id": self.lead_2.id,
                    "stage_id": self.stage_first.id,
                    "date_start": monday - timedelta(weeks=2) + timedelta(days=3),
                },
            ]
        )
        self.env.flush_all()
        # as the "Leads per Stage, Weekly" favorite of the Stage Funnel reads them
        weekly = self.env.ref("mail_journey_automation.filter_mail_journey_stage_report_weekly")
        self.assertEqual(
            weekly.action_id.id,
            self.env.ref("mail_journey_automation.action_mail_journey_stage_report").id,
        )
        counts = self.env["mail.journey.stage.report"]._read_group(
            [*safe_eval(weekly.domain), ("date", ">=", (monday - timedelta(weeks=3)).date())],
            ["date:day", "stage_id"],
            ["lead_count:sum"],
        )
        weeks = [(monday - timedelta(weeks=weeks)).date() for weeks in (3, 2, 1, 0)]
        self.assertEqual(
            [(week, stage, count) for week, stage, count in counts],
            [
                (weeks[0], self.stage_first, 1),
                (weeks[1], self.stage_first, 2),
                (weeks[2], self.stage_first, 1),
                (weeks[2], self.stage_exploration, 1),
                (weeks[3], self.stage_first, 1),
                (weeks[3], self.stage_exploration, 1),
            ],
        )
