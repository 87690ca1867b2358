from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneySegmentation(JourneyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tubes, cls.boxes = cls.env["mail.journey.interest"].create(
            [{"name": "Paper tubes (test)"}, {"name": "Gift boxes (test)"}]
        )
        cls.packaging = cls.env["res.partner.industry"].create({"name": "Packaging (test)"})

    def test_audience_by_interest_industry_and_size(self):
        journey = self._create_journey(
            [self._email_step()],
            trigger="create",
            domain=str(
                [
                    ("journey_interest_ids", "in", self.tubes.ids),
                    ("journey_industry_id", "=", self.packaging.id),
                    ("journey_company_size", "in", ["51_200", "201_1000"]),
                ]
            ),
        )
        journey.action_start()
        segment = {"journey_industry_id": self.packaging.id, "journey_company_size": "51_200"}
        leads = self.env["crm.lead"].create(
            [
                {"name": "Tubes", "journey_interest_ids": self.tubes.ids, **segment},
                {"name": "Boxes", "journey_interest_ids": self.boxes.ids, **segment},
                {
                    "name": "Small",
                    "journey_interest_ids": self.tubes.ids,
                    **segment,
                    "journey_company_size": "1_10",
                },
                {
                    "name": "No industry",
                    "journey_interest_ids": self.tubes.ids,
                    "journey_company_size": "51_200",
                },
            ]
        )
        self.assertEqual(journey.enrollment_ids.lead_id, leads[0])

    def test_interest_counts_its_leads(self):
        self.leads[:2].journey_interest_ids = self.tubes
        self.leads[2].journey_interest_ids = self.tubes | self.boxes
        self.assertEqual(self.tubes.lead_count, 3)
        self.assertEqual(self.boxes.lead_count, 1)

    def test_salesperson_reads_interests_manager_edits_them(self):
        self.assertEqual(self.tubes.with_user(self.user_sales).name, "Paper tubes (test)")
        self.leads[0].with_user(self.user_sales).journey_interest_ids = self.boxes
        with self.assertRaises(AccessError):
            self.env["mail.journey.interest"].with_user(self.user_sales).create({"name": "Bags"})
        self.tubes.with_user(self.user_journey_manager).name = "Tubes"
        self.assertEqual(self.tubes.name, "Tubes")
