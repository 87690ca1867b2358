from urllib.parse import urlsplit

from odoo import fields

from odoo.addons.website_crm.controllers import website_form


class WebsiteForm(website_form.WebsiteForm):
    def insert_record(self, request, model_sudo, values, custom, meta=None):
        is_lead_model = model_sudo.model == "crm.lead"
        if is_lead_model and values.get("journey_consent"):
            page = urlsplit(request.httprequest.referrer or "").path or "/"
            values.setdefault("journey_consent_date", fields.Datetime.now())
            values.setdefault(
                "journey_consent_source",
                request.env._("Website form on %(page)s", page=page),
            )
        record_id = super().insert_record(request, model_sudo, values, custom, meta=meta)
        if is_lead_model and record_id:
            # sudo: the visitor is public; the lead was created as superuser too
            lead = request.env["crm.lead"].sudo().browse(record_id)
            request.env["mail.journey"]._enroll_on_event(lead, "website_form")
        return record_id
