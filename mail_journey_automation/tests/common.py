from datetime import datetime

from odoo.tests import new_test_user

from odoo.addons.mail.tests.common import MailCommon

NOW = datetime(2026, 3, 2, 9, 0, 0)  # a Monday
# the executing crons and the journey sender crons the addon ships
EXECUTORS = (
    "mail_journey_automation.ir_cron_mail_journey_execute",
    "mail_journey_automation.ir_cron_mail_journey_execute_2",
)
SENDERS = (
    "mail_journey_automation.ir_cron_mail_journey_send",
    "mail_journey_automation.ir_cron_mail_journey_send_2",
)
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
PERSON_IP = "203.0.113.7"

# a reply saying {body} (format_and_process(MAIL_REPLY_SAYING, ..., body=...))
MAIL_REPLY_SAYING = """Return-Path: <{email_from}>
From: {email_from}
To: {to}
Subject: {subject}
Message-ID: {msg_id}
Date: Mon, 02 Mar 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
{extra}

{body}
"""
MAIL_REPLY = MAIL_REPLY_SAYING.replace(
    "{body}", "Thanks for the introduction. Could you send a quotation for 5,000 tubes?"
)

MAIL_BOUNCE = """Return-Path: <>
From: MAILER-DAEMON@mx.customer.example.com (Mail Delivery System)
To: {to}
Subject: Undelivered Mail Returned to Sender
Message-ID: {msg_id}
Date: Mon, 02 Mar 2026 10:00:00 +0000
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/plain; charset=us-ascii

Your message could not be delivered: no such user.

--BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.customer.example.com

Final-Recipient: rfc822; {bounced_email}
Action: failed
Status: 5.1.1

--BOUNDARY
Content-Type: message/rfc822

Message-ID: {original_msg_id}
From: sally@example.com
To: {bounced_email}
Subject: Welcome

Hello
--BOUNDARY--
"""


class JourneyCommon(MailCommon):
    """Shared fixtures: stages, a lead template, a salesperson, leads and a
    helper to build journeys with their steps."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env["base"].with_context(mail_create_nolog=True).env
        cls.stage_first = cls.env.ref("mail_journey_automation.stage_first_contact")
        cls.stage_exploration = cls.env.ref("mail_journey_automation.stage_need_exploration")
        cls.stage_proposal = cls.env.ref("mail_journey_automation.stage_proposal")
        cls.stage_care = cls.env.ref("mail_journey_automation.stage_long_term_care")
        cls.user_sales = new_test_user(
            cls.env,
            login="journey_salesman",
            name="Sally Sales",
            email="sally@example.com",
            groups="sales_team.group_sale_salesman",
        )
        cls.user_journey_manager = new_test_user(
            cls.env,
            login="journey_manager",
            name="Max Manager",
            email="max@example.com",
            groups="sales_team.group_sale_salesman,mail_journey_automation.group_journey_manager",
        )
        lead_model = cls.env["ir.model"]._get_id("crm.lead")
        cls.template_welcome = cls.env["mail.template"].create(
            {
                "name": "Welcome",
                "model_id": lead_model,
                "subject": "Welcome {{ object.contact_name or 'there' }}",
                "body_html": "<p>Hello <t t-out=\"object.contact_name or 'there'\"/></p>",
                "email_from": "{{ (object.user_id.email_formatted or user.email_formatted) }}",
                "use_default_to": True,
            }
        )
        cls.template_intro = cls.env["mail.template"].create(
            {
                "name": "Company introduction",
                "model_id": lead_model,
                "subject": "Who we are",
                "body_html": "<p>We make paper tubes.</p>",
                "use_default_to": True,
            }
        )
        cls.leads = cls.env["crm.lead"].create(
            [
                {
                    "name": f"Lead {index}",
                    "contact_name": f"Contact {index}",
                    "email_from": f"contact{index}@customer{index}.example.com",
                    "user_id": cls.user_sales.id,
                    "type": "opportunity",
                }
                for index in range(3)
            ]
        )

    @classmethod
    def _create_journey(cls, steps=(), **values):
        """Create a journey with ``steps``: a list of dicts of step values,
        where ``parent`` is the index of the parent in the list."""
        journey = cls.env["mail.journey"].create(
            {"name": "Test journey", "model": "crm.lead", "trigger": "manual", **values}
        )
        created = cls.env["mail.journey.step"]
        for step in steps:
            values = dict(step)
            parent = values.pop("parent", None)
            vals = {
                "journey_id": journey.id,
                "name": values.get("name", "Step"),
                "trigger": "parent" if parent is not None else "start",
                "parent_id": created[parent].id if parent is not None else False,
                **values,
            }
            created += cls.env["mail.journey.step"].create(vals)
        return journey

    @classmethod
    def _email_step(cls, template=None, **values):
        return {
            "name": "Email",
            "action": "email",
            "mail_template_id": (template or cls.template_welcome).id,
            **values,
        }

    @classmethod
    def _call_step(cls, **values):
        """An activity step: the salesperson calls the prospect within 2 days."""
        return {
            "name": "Call",
            "action": "activity",
            "activity_summary": "Call the prospect",
            "activity_deadline_days": 2,
            **values,
        }

    def _count_triggers(self, xmlid):
        cron = self.env.ref(xmlid)
        return self.env["ir.cron.trigger"].sudo().search_count([("cron_id", "=", cron.id)])

    def _send_first_email(self, journey, leads=None):
        """Enroll ``leads`` (the first lead by default) and run the root
        email step at NOW; return its traces."""
        leads = leads or self.leads[0]
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            journey._enroll(leads)
            traces = self._process()
        traces.sent_datetime = NOW
        return traces

    def _process(self):
        """Execute every due trace, as the cron does, without committing."""
        return self.env["mail.journey.engine"]._process_due(limit=10000)

    def _count_engagement(self):
        """Count the pending opens and clicks on their traces and leads, as
        the engagement cron does, without committing."""
        return self.env["mail.journey.event"]._count_pending_engagement()

    def _traces(self, journey, **domain):
        return self.env["mail.journey.trace"].search(
            [("journey_id", "=", journey.id)] + [(key, "=", value) for key, value in domain.items()]
        )


class QuotationSignalCommon(JourneyCommon):
    """Helpers of the quotation signal tests (core and bridges): a running
    journey triggered by a signal, and the signal check at a given time."""

    def _signal_journey(self, signal, number):
        """A running one-email journey on orders triggered by ``signal``
        (``number``: days or views), each order entering once."""
        template = self.env["mail.template"].create(
            {
                "name": "Quotation reminder",
                "model_id": self.env["ir.model"]._get_id("sale.order"),
                "subject": "About {{ object.name }}",
                "body_html": "<p>Your quotation <t t-out='object.name'/></p>",
                "use_default_to": True,
            }
        )
        journey = self._create_journey(
            [self._email_step(template)],
            model="sale.order",
            trigger="quotation_signal",
            quotation_signal=signal,
            quotation_signal_number=number,
            reentry="once",
        )
        journey.action_start()
        return journey

    def _enrolled(self, journey, when):
        """The journey's enrollments after the hourly signal check at ``when``."""
        with self.mock_datetime_and_now(when):
            journey._enroll_quotation_signals()
        return journey.enrollment_ids
