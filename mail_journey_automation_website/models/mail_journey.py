from odoo import api, fields, models
from odoo.fields import Domain


class MailJourney(models.Model):
    _inherit = "mail.journey"

    consent_double_optin = fields.Boolean(
        string="Confirm Consent by Email (Double Opt-In)",
        help="Website forms: anyone may type any address in a form. When a visitor ticks the "
        "consent box, the lead does not get consent yet: the address the form gave receives a "
        "confirmation email with a link, and only when its owner confirms does the lead get "
        "consent and enter the journey. Until then the lead receives no email of journeys "
        "that require consent.",
    )

    @api.model
    def _get_triggers(self):
        triggers = super()._get_triggers()
        # right after "Record created": a form creates the lead
        triggers["website_form"] = {
            "name": self.env._("Website form submitted"),
            "sequence": 15,
            "kind": "event",
            "models": ["crm.lead"],
        }
        return triggers

    def _website_form_journeys_domain(self):
        return Domain.AND(
            [
                Domain("state", "=", "running"),
                Domain("model", "=", "crm.lead"),
                Domain("trigger", "=", "website_form"),
                Domain("consent_required", "=", True),
            ]
        )

    @api.model
    def _website_form_requires_double_optin(self, company):
        """Whether a running website form journey of ``company`` asks the
        consent given in a form to be confirmed by email."""
        domain = self._website_form_journeys_domain() & Domain.AND(
            [
                Domain("consent_double_optin", "=", True),
                Domain("company_id", "in", [False, company.id]),
            ]
        )
        # sudo: the visitor posting the form cannot read journeys
        return bool(self.sudo().search_count(domain, limit=1))

    @api.model
    def _enroll_on_consent_confirmed(self, leads):
        """Enroll ``leads``, whose consent was just confirmed by email, in the
        running website form journeys that require consent. Those that do
        not took the leads in when the form was posted: enrolling them again
        would send their emails twice once the first enrollment is over."""
        # sudo: as for any trigger, entering a journey is the journey's decision
        journeys = self.sudo().search(self._website_form_journeys_domain())
        return journeys._enroll(leads)
