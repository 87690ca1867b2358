from datetime import timedelta

from odoo.tests import tagged

from .common import NOW, JourneyCommon


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyAccount(JourneyCommon):
    """Account-level coordination: the contacts of one company (commercial
    entity, else business email domain) are coordinated and capped together."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.acme = cls.env["res.partner"].create({"name": "Acme Packaging", "is_company": True})
        cls.acme_bob, cls.acme_ann = cls.env["res.partner"].create(
            [
                {"name": "Bob", "email": "bob@acme-pack.example.com", "parent_id": cls.acme.id},
                {"name": "Ann", "email": "ann@acme-mail.example.com", "parent_id": cls.acme.id},
            ]
        )
        Lead = cls.env["crm.lead"]
        cls.lead_bob, cls.lead_ann = Lead.create(
            [
                {"name": f"Lead {partner.name}", "partner_id": partner.id, "type": "opportunity"}
                for partner in (cls.acme_bob, cls.acme_ann)
            ]
        )
        cls.lead_tom, cls.lead_eve = Lead.create(
            [
                {"name": "Lead Tom", "email_from": "tom@papertube.example.com"},
                {"name": "Lead Eve", "email_from": "eve@papertube.example.com"},
            ]
        )
        cls.lead_gmail, cls.lead_gmail_2 = Lead.create(
            [
                {"name": "Lead Joe", "email_from": "joe.wang@gmail.com"},
                {"name": "Lead Ida", "email_from": "ida.li@gmail.com"},
            ]
        )

    def _enrollment(self, journey, lead):
        return journey.enrollment_ids.filtered(lambda enrollment: enrollment.lead_id == lead)

    def test_company_key_from_commercial_entity_else_business_domain(self):
        keys = (
            self.lead_bob | self.lead_ann | self.lead_tom | self.lead_gmail
        )._journey_get_account_keys()
        self.assertEqual(keys[self.lead_bob.id], f"partner-{self.acme.id}")
        self.assertEqual(
            keys[self.lead_ann.id], keys[self.lead_bob.id], "same company, other email domain"
        )
        self.assertEqual(keys[self.lead_tom.id], "domain-papertube.example.com")
        self.assertFalse(keys[self.lead_gmail.id], "free-mail addresses belong to no company")
        self.env["ir.config_parameter"].set_param(
            "mail_journey.free_mail_domains", "papertube.example.com, other.example.com"
        )
        self.assertFalse(self.lead_tom._journey_get_account_keys()[self.lead_tom.id])

    def test_enrollment_stores_company_key(self):
        journey = self._create_journey([self._email_step()])
        journey.action_start()
        enrollments = journey._enroll(self.lead_bob | self.lead_gmail)
        self.assertEqual(
            {enrollment.lead_id: enrollment.account_key for enrollment in enrollments},
            {self.lead_bob: f"partner-{self.acme.id}", self.lead_gmail: False},
        )

    def test_reply_pauses_other_contacts_of_company(self):
        journey = self._create_journey(
            [
                self._email_step(),
                self._email_step(self.template_intro, parent=0, interval_number=3),
            ],
            account_reply_policy="pause",
            contact_pause_hours=24,
        )
        journey.action_start()
        leads = self.lead_bob | self.lead_ann | self.lead_tom
        traces = self._send_first_email(journey, leads)
        with self.mock_datetime_and_now(NOW + timedelta(hours=2)):
            traces.filtered(lambda trace: trace.lead_id == self.lead_bob)._register_reply()
        self.assertEqual(self._enrollment(journey, self.lead_bob).state, "running")
        ann = self._enrollment(journey, self.lead_ann)
        self.assertEqual(ann.state, "paused")
        self.assertEqual(ann.pause_until, NOW + timedelta(hours=26))
        self.assertIn("colleague", ann.pause_reason)
        self.assertEqual(self._enrollment(journey, self.lead_tom).state, "running")

    def test_reply_stops_other_contacts_by_domain(self):
        journey = self._create_journey(
            [
                self._email_step(),
                self._email_step(self.template_intro, parent=0, interval_number=3),
            ],
            account_reply_policy="stop",
        )
        journey.action_start()
        traces = self._send_first_email(
            journey, self.lead_tom | self.lead_eve | self.lead_gmail | self.lead_gmail_2
        )
        traces.filtered(lambda trace: trace.lead_id == self.lead_tom)._register_reply()
        traces.filtered(lambda trace: trace.lead_id == self.lead_gmail)._register_reply()
        self.assertEqual(self._enrollment(journey, self.lead_eve).state, "exited")
        self.assertEqual(
            self._enrollment(journey, self.lead_gmail_2).state,
            "running",
            "two gmail users are not colleagues",
        )

    def _journeys_of_two_companies(self, **values):
        """The same two-email journey in the current company and in another
        one; in the other, a lead of Ann (a contact shared by both companies)."""
        other_company = self.env["res.company"].create({"name": "Other Co"})
        steps = [
            self._email_step(),
            self._email_step(self.template_intro, parent=0, interval_number=3),
        ]
        journey = self._create_journey(steps, **values)
        other_journey = self._create_journey(steps, company_id=other_company.id, **values)
        (journey | other_journey).action_start()
        lead_ann_other = self.env["crm.lead"].create(
            {
                "name": "Lead Ann (Other Co)",
                "partner_id": self.acme_ann.id,
                "type": "opportunity",
                "company_id": other_company.id,
            }
        )
        return journey, other_journey, lead_ann_other

    def test_reply_pauses_colleagues_of_the_same_company_only(self):
        """Bob replies to a journey of company A: Ann's enrollments in A's
        journeys pause, not her enrollment in a journey of company B, which
        knows nothing of A's conversation."""
        journey, other_journey, lead_ann_other = self._journeys_of_two_companies(
            account_reply_policy="pause", contact_pause_hours=24
        )
        traces = self._send_first_email(journey, self.lead_bob | self.lead_ann)
        self._send_first_email(other_journey, lead_ann_other)
        other_enrollment = self._enrollment(other_journey, lead_ann_other)
        self.assertEqual(other_enrollment.account_key, f"partner-{self.acme.id}")
        traces.filtered(lambda trace: trace.lead_id == self.lead_bob)._register_reply()
        self.assertEqual(self._enrollment(journey, self.lead_ann).state, "paused")
        self.assertEqual(other_enrollment.state, "running")

    def test_deal_closes_colleagues_of_the_same_company_only(self):
        journey, other_journey, lead_ann_other = self._journeys_of_two_companies(
            account_deal_policy="stop"
        )
        self._send_first_email(journey, self.lead_ann)
        self._send_first_email(other_journey, lead_ann_other)
        deal = self.env["crm.lead"].create(
            {
                "name": "Acme 10,000 tubes",
                "partner_id": self.acme.id,
                "type": "opportunity",
                "company_id": other_journey.company_id.id,
            }
        )
        deal.action_set_won()
        self.assertEqual(self._enrollment(other_journey, lead_ann_other).state, "exited")
        self.assertEqual(self._enrollment(journey, self.lead_ann).state, "running")

    def test_continue_policy_leaves_colleagues(self):
        journey = self._create_journey([self._email_step(), self._email_step(parent=0)])
        journey.action_start()
        traces = self._send_first_email(journey, self.lead_bob | self.lead_ann)
        traces.filtered(lambda trace: trace.lead_id == self.lead_bob)._register_reply()
        self.assertEqual(self._enrollment(journey, self.lead_ann).state, "running")

    def test_deal_won_or_lost_applies_journey_policy(self):
        journey = self._create_journey(
            [self._email_step(), self._email_step(parent=0, interval_number=5)],
            account_deal_policy="stop",
        )
        journey.action_start()
        self._send_first_email(journey, self.lead_ann | self.lead_tom | self.lead_eve)
        deal = self.env["crm.lead"].create(
            {"name": "Acme 10,000 tubes", "partner_id": self.acme.id, "type": "opportunity"}
        )
        deal.action_set_won()
        self.assertEqual(self._enrollment(journey, self.lead_ann).state, "exited")
        self.assertIn("won or lost", self._enrollment(journey, self.lead_ann).exit_reason)
        self.assertEqual(self._enrollment(journey, self.lead_tom).state, "running")
        self.lead_eve.action_set_lost()
        self.assertEqual(self._enrollment(journey, self.lead_tom).state, "exited")

    def test_weekly_cap_per_company(self):
        journey = self._create_journey([self._email_step()], cap_account_week=1)
        journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            journey._enroll(self.lead_bob | self.lead_ann | self.lead_tom)
            self._process()
        self.assertEqual(len(self._new_mails), 2, "one per company")
        waiting = self._traces(journey, state="scheduled")
        self.assertEqual(len(waiting), 1)
        self.assertIn(waiting.lead_id, self.lead_bob | self.lead_ann)
        self.assertEqual(waiting.schedule_date, NOW + timedelta(days=7))
        self.assertIn("company", waiting.state_message)
        with self.mock_datetime_and_now(NOW + timedelta(days=7)), self.mock_mail_gateway():
            self._process()
        self.assertEqual(waiting.state, "done")

    def test_weekly_cap_per_domain_skips_free_mail(self):
        other = self.env["res.partner"].create(
            {"name": "Acme Trading", "is_company": True, "email": "sales@acme-pack.example.com"}
        )
        lead_other = self.env["crm.lead"].create({"name": "Trading", "partner_id": other.id})
        journey = self._create_journey([self._email_step()], cap_domain_week=1)
        journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            journey._enroll(self.lead_bob | lead_other | self.lead_gmail | self.lead_gmail_2)
            self._process()
        waiting = self._traces(journey, state="scheduled")
        self.assertEqual(len(waiting), 1, "two companies, one business domain")
        self.assertIn(waiting.lead_id, self.lead_bob | lead_other)
        self.assertEqual(len(self._new_mails), 3, "gmail addresses are not capped together")

    def test_global_weekly_cap_per_company(self):
        """The limit in Settings applies to journeys without their own, and
        the stricter of the two to those with one."""
        self.env["ir.config_parameter"].set_param("mail_journey.cap_account_week", 1)
        uncapped = self._create_journey([self._email_step()])
        loose = self._create_journey([self._email_step()], cap_account_week=5)
        self.assertEqual(uncapped._get_account_caps(), (1, 0))
        self.assertEqual(loose._get_account_caps(), (1, 0))
        (uncapped | loose).action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            uncapped._enroll(self.lead_bob)
            self._process()
        self.assertEqual(len(self._new_mails), 1)
        with self.mock_datetime_and_now(NOW + timedelta(days=1)), self.mock_mail_gateway():
            loose._enroll(self.lead_ann | self.lead_tom)
            self._process()
        self.assertEqual(len(self._new_mails), 1)
        self.assertEqual(self._traces(loose, state="done").lead_id, self.lead_tom, "not Acme")
        waiting = self._traces(loose, state="scheduled")
        self.assertEqual(waiting.lead_id, self.lead_ann)
        self.assertEqual(waiting.schedule_date, NOW + timedelta(days=7))

    def test_reply_on_order_journey_spares_same_order(self):
        template = self.env["mail.template"].create(
            {
                "name": "Order follow-up",
                "model_id": self.env["ir.model"]._get_id("sale.order"),
                "subject": "About {{ object.name }}",
                "body_html": "<p>Hello</p>",
                "use_default_to": True,
            }
        )
        # two journeys with their own emails: the same email from two journeys
        # would reach an address once (duplicate check)
        other_template = template.copy({"subject": "Your order {{ object.name }}"})
        journeys = self.env["mail.journey"].union(
            *(
                self._create_journey(
                    [
                        self._email_step(email),
                        self._email_step(email, parent=0, interval_number=3),
                    ],
                    model="sale.order",
                    account_reply_policy="pause",
                )
                for email in (template, other_template)
            )
        )
        journeys.action_start()
        order_bob, order_ann = self.env["sale.order"].create(
            [{"partner_id": self.acme_bob.id}, {"partner_id": self.acme_ann.id}]
        )
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            journeys[0]._enroll(order_bob)
            journeys[1]._enroll(order_bob | order_ann)
            traces = self._process()
        traces.filtered(
            lambda trace: trace.journey_id == journeys[0] and trace.order_id == order_bob
        )._register_reply()
        states = {
            (enrollment.journey_id, enrollment.order_id): enrollment.state
            for enrollment in journeys.enrollment_ids
        }
        self.assertEqual(states[journeys[1], order_bob], "running", "the same contact's order")
        self.assertEqual(states[journeys[1], order_ann], "paused", "a colleague's order")
