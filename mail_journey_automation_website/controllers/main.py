from urllib.parse import urlsplit

from odoo import fields, http
from odoo.http import request

from odoo.addons.website_crm.controllers import website_form

MAX_TOKEN_LENGTH = 128


class WebsiteForm(website_form.WebsiteForm):
    def insert_record(self, request, model_sudo, values, custom, meta=None):
        is_lead_model = model_sudo.model == "crm.lead"
        confirm_by_email = False
        if is_lead_model and values.get("journey_consent"):
            page = urlsplit(request.httprequest.referrer or "").path or "/"
            source = request.env._("Website form on %(page)s", page=page)
            company = (
                request.env["res.company"].browse(values.get("company_id"))
                or request.website.company_id
            )
            if request.env["mail.journey"]._website_form_requires_double_optin(company):
                # anyone may type anyone's address in the form: the consent is
                # the address owner's, given through the link emailed to it
                values["journey_consent"] = False
                confirm_by_email = True
            else:
                values.setdefault("journey_consent_date", fields.Datetime.now())
                values.setdefault("journey_consent_source", source)
        record_id = super().insert_record(request, model_sudo, values, custom, meta=meta)
        if is_lead_model and record_id:
            # sudo: the visitor is public; the lead was created as superuser too
            lead = request.env["crm.lead"].sudo().browse(record_id)
            if confirm_by_email:
                lead._journey_request_consent(source)
            request.env["mail.journey"]._enroll_on_event(lead, "website_form")
        return record_id


class MailJourneyConsent(http.Controller):
    @http.route(
        "/mail_journey/consent/<int:lead_id>/<string:token>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
    )
    def confirm_consent(self, lead_id, token, **post):
        """The link of the double opt-in email. GET shows a confirmation
        button and changes nothing (mail scanners open links in advance);
        POST (the button) gives the lead consent. The signed token proves
        that the visitor received the email sent to the lead's address."""
        # sudo: the visitor is public; the token is checked before anything is read or written
        lead = request.env["crm.lead"].sudo().browse(lead_id)
        if len(token) > MAX_TOKEN_LENGTH or not lead._journey_check_consent_token(token):
            lead = lead.browse()
        if lead and request.httprequest.method == "POST":
            lead._journey_confirm_consent()
        values = {
            "lead": lead,
            "token": token,
            "company": lead.company_id or request.env.company,
            "done": bool(lead.journey_consent),
        }
        response = request.render("mail_journey_automation_website.consent_page", values)
        response.status_code = 200 if lead else 404
        return response
