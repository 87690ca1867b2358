from odoo import fields, models, tools

CONSENT_TOKEN_SCOPE = "mail_journey-consent"


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # double opt-in of website forms
    journey_consent_requested_date = fields.Datetime(
        string="Consent Requested On",
        copy=False,
        readonly=True,
        help="A website form asked for consent on this date and a confirmation email went to "
        "the address it gave: the lead gets consent when its owner confirms through the "
        "email's link.",
    )

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _journey_request_consent(self, source):
        """Email the address of each lead a link to confirm the consent a
        website form gave (double opt-in), and record the request. Addresses
        that are invalid or blacklisted get nothing."""
        template = self.env.ref(
            "mail_journey_automation_website.mail_template_journey_consent_request"
        )
        leads = self.filtered(lambda lead: lead.email_normalized and not lead.is_blacklisted)
        if not leads:
            return leads
        leads.write(
            {
                "journey_consent_requested_date": fields.Datetime.now(),
                "journey_consent_source": source,
            }
        )
        template.send_mail_batch(leads.ids)
        return leads

    def _journey_confirm_consent(self):
        """Give consent to the leads whose owner confirmed it through the link
        of the confirmation email, and enroll them in the website form
        journeys that waited for it. Leads that have consent stay as they are."""
        pending = self.filtered(lambda lead: not lead.journey_consent)
        if not pending:
            return pending
        now = fields.Datetime.now()
        source = self.env._("Confirmed by email on %(date)s", date=f"{now:%Y-%m-%d %H:%M} UTC")
        for request_source, leads in pending.grouped("journey_consent_source").items():
            leads.write(
                {
                    "journey_consent": True,
                    "journey_consent_date": now,
                    "journey_consent_source": f"{source} ({request_source})"
                    if request_source
                    else source,
                    "journey_consent_requested_date": False,
                }
            )
        self.env["mail.journey"]._enroll_on_consent_confirmed(pending)
        return pending

    # ------------------------------------------------------------
    # TOKENS
    # ------------------------------------------------------------

    def _journey_get_consent_token(self):
        """The signature of the lead and of its address: a link made for an
        address no longer confirms once the lead's email changes."""
        self.ensure_one()
        return tools.hmac(self.env(su=True), CONSENT_TOKEN_SCOPE, (self.id, self.email_normalized))

    def _journey_check_consent_token(self, token):
        if len(self) != 1 or not token or not self.exists() or not self.email_normalized:
            return False
        # compared as bytes: a token of the URL may hold any character
        return tools.consteq(str(token).encode(), self._journey_get_consent_token().encode())

    def _journey_get_consent_url(self):
        self.ensure_one()
        token = self._journey_get_consent_token()
        return f"{self.get_base_url()}/mail_journey/consent/{self.id}/{token}"
