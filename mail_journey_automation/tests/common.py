from datetime import datetime

from odoo.tests import new_test_user

from odoo.addons.mail.tests.common import MailCommon

NOW = datetime(2026, 3, 2, 9, 0, 0)  # a Monday


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

    def _count_triggers(self, xmlid):
        cron = self.env.ref(xmlid)
        return self.env["ir.cron.trigger"].sudo().search_count([("cron_id", "=", cron.id)])

    def _process(self):
        """Execute every due trace, as the cron does, without committing."""
        return self.env["mail.journey.trace"]._process_due(limit=10000)

    def _traces(self, journey, **domain):
        return self.env["mail.journey.trace"].search(
            [("journey_id", "=", journey.id)] + [(key, "=", value) for key, value in domain.items()]
        )
