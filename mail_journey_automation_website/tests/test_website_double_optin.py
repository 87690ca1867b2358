import re

from lxml import etree

from odoo.tests import tagged

from .common import WebsiteFormCommon

VICTIM = "victim@example.com"
CONFIRM = {"confirm": "1"}  # the button of the confirmation page
CONSENT_URL = re.compile(r"/mail_journey/consent/\d+/[0-9a-f]+")


@tagged("post_install", "-at_install", "mail_journey")
class TestWebsiteDoubleOptin(WebsiteFormCommon):
    """Double opt-in: the consent ticked in a website form counts once the
    owner of the address confirms it through the link emailed to it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.welcome = cls._create_journey(
            [cls._email_step()],
            name="Website welcome",
            trigger="website_form",
            consent_required=True,
            consent_double_optin=True,
        )
        cls.on_create = cls._create_journey(
            [cls._email_step()], name="Every new lead", trigger="create", consent_required=True
        )
        (cls.welcome | cls.on_create).action_start()

    def _post_victim_form(self):
        """A visitor ticks the consent box with someone else's address."""
        return self._post_form(journey_consent="on", contact_name="Vic Tim", email_from=VICTIM)

    def _mails_to(self, email):
        return self._new_mails.filtered(
            lambda mail: email in (mail.email_to or "")
            or email in mail.recipient_ids.mapped("email")
        )

    def _request_consent(self):
        """Post the form and return the lead and the path of the link that
        the confirmation email carries."""
        with self.mock_mail_gateway():
            lead = self._post_victim_form()
            [mail] = self._mails_to(VICTIM)
        [path] = CONSENT_URL.findall(str(mail.body_html))
        return lead, path

    def _assert_no_consent(self, lead):
        self.assertFalse(lead.journey_consent)
        self.assertFalse(lead.journey_consent_date)
        self.assertFalse(self.welcome.enrollment_ids)

    def test_visitor_cannot_enroll_someone_elses_address(self):
        with self.mock_mail_gateway():
            lead = self._post_victim_form()
            self._process()
        self._assert_no_consent(lead)
        self.assertTrue(lead.journey_consent_requested_date)
        self.assertIn("Website form", lead.journey_consent_source)
        self.assertFalse(self.on_create.enrollment_ids, "no journey that requires consent")
        mails = self._mails_to(VICTIM)
        self.assertEqual(len(mails), 1, "only the confirmation email, no journey email")
        company = self.env.ref("website.default_website").company_id
        self.assertEqual(mails.subject, f"Please confirm that you want emails from {company.name}")
        self.assertIn(f"/mail_journey/consent/{lead.id}/", str(mails.body_html))
        self.assertFalse(mails.journey_trace_ids, "not a journey email")

    def test_confirmation_link_get_does_not_confirm(self):
        lead, path = self._request_consent()
        response = self.url_open(path)
        self.assertEqual(response.status_code, 200)
        self.assertIn("Confirm your subscription", response.text)
        self.assertIn(f'action="{path}"', response.text, "the button posts to the same link")
        self._assert_no_consent(lead)
        self.assertTrue(lead.journey_consent_requested_date)

    def test_confirmation_link_post_confirms_and_enrolls(self):
        lead, path = self._request_consent()
        response = self.url_open(path, data=CONFIRM)
        self.assertEqual(response.status_code, 200)
        self.assertIn("Your subscription is confirmed", response.text)
        self.assertTrue(lead.journey_consent)
        self.assertTrue(lead.journey_consent_date)
        self.assertTrue(lead.journey_consent_source.startswith("Confirmed by email on "))
        self.assertIn("Website form", lead.journey_consent_source, "and where it was asked")
        self.assertFalse(lead.journey_consent_requested_date, "no longer waiting")
        self.assertEqual(self.welcome.enrollment_ids.lead_id, lead)
        with self.mock_mail_gateway():
            self._process()
        self.assertMailMailWEmails(
            [VICTIM],
            "outgoing",
            content="Hello Vic Tim",
            fields_values={"subject": "Welcome Vic Tim", "model": "crm.lead", "res_id": lead.id},
        )

    def test_confirming_twice_is_harmless(self):
        lead, path = self._request_consent()
        self.url_open(path, data=CONFIRM)
        consent_date = lead.journey_consent_date
        enrollment = self.welcome.enrollment_ids
        response = self.url_open(path, data=CONFIRM)
        self.assertEqual(response.status_code, 200)
        self.assertIn("Your subscription is confirmed", response.text)
        self.assertEqual(lead.journey_consent_date, consent_date)
        self.assertEqual(self.welcome.enrollment_ids, enrollment)

    def test_confirmation_does_not_reenroll_journeys_without_consent(self):
        open_journey = self._create_journey(
            [self._email_step()], name="Every website lead", trigger="website_form"
        )
        open_journey.action_start()
        lead, path = self._request_consent()
        self.assertEqual(open_journey.enrollment_ids.lead_id, lead, "no consent needed")
        open_journey.enrollment_ids.state = "completed"
        self.url_open(path, data=CONFIRM)
        self.assertEqual(self.welcome.enrollment_ids.lead_id, lead)
        self.assertEqual(len(open_journey.enrollment_ids), 1, "its emails are not sent twice")

    def test_tampered_token_is_refused(self):
        lead, path = self._request_consent()
        tampered = path[:-4] + ("0000" if not path.endswith("0000") else "1111")
        for data in (None, CONFIRM):
            response = self.url_open(tampered, data=data)
            self.assertEqual(response.status_code, 404)
            self.assertIn("This link is not valid", response.text)
        self._assert_no_consent(lead)

    def test_token_of_another_lead_is_refused(self):
        lead, path = self._request_consent()
        other = self._post_form(journey_consent="on", email_from="someone@example.com")
        response = self.url_open(path.replace(f"/{lead.id}/", f"/{other.id}/"), data=CONFIRM)
        self.assertEqual(response.status_code, 404)
        for refused in (lead, other):
            self._assert_no_consent(refused)

    def test_link_for_a_former_address_is_refused(self):
        lead, path = self._request_consent()
        # the salesperson corrects the address: the link went to the former one
        lead.email_from = "vic.tim@example.com"
        response = self.url_open(path, data=CONFIRM)
        self.assertEqual(response.status_code, 404)
        self._assert_no_consent(lead)

    def test_blacklisted_address_gets_no_confirmation_email(self):
        self.env["mail.blacklist"]._add(VICTIM)
        with self.mock_mail_gateway():
            lead = self._post_victim_form()
        self.assertFalse(self._mails_to(VICTIM))
        self._assert_no_consent(lead)
        self.assertFalse(lead.journey_consent_requested_date)

    def test_form_without_consent_gets_no_confirmation_email(self):
        with self.mock_mail_gateway():
            lead = self._post_form(email_from=VICTIM)
        self.assertFalse(self._mails_to(VICTIM))
        self.assertFalse(lead.journey_consent_requested_date)

    def test_consent_required_without_double_optin_is_given_by_the_form(self):
        self.welcome.consent_double_optin = False
        with self.mock_mail_gateway():
            lead = self._post_victim_form()
        self.assertTrue(lead.journey_consent)
        self.assertIn("Website form", lead.journey_consent_source)
        self.assertFalse(lead.journey_consent_requested_date)
        self.assertEqual(self.welcome.enrollment_ids.lead_id, lead)
        self.assertFalse(self._mails_to(VICTIM), "no confirmation email")

    def test_double_optin_of_a_stopped_journey_is_ignored(self):
        self.welcome.action_stop()
        lead = self._post_victim_form()
        self.assertTrue(lead.journey_consent, "no running journey asks for confirmation")

    def test_double_optin_option_in_journey_form(self):
        arch = self.env["mail.journey"].get_view(
            self.env.ref("mail_journey_automation.view_mail_journey_form").id
        )["arch"]
        [option] = etree.fromstring(arch).xpath("//field[@name='consent_double_optin']")
        self.assertEqual(option.getprevious().get("name"), "consent_required")
        self.assertEqual(
            option.get("invisible"), "not consent_required or trigger != 'website_form'"
        )
        self.assertIn("confirmation", self.env["mail.journey"]._fields["consent_double_optin"].help)
