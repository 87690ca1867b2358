from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models

from ..tools import cloud_api

# WhatsApp accepts free-form messages this long after the customer's last one
SERVICE_WINDOW = timedelta(hours=24)


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # consent to WhatsApp messages, apart from the consent to emails
    whatsapp_opt_in = fields.Boolean(
        string="Consent to WhatsApp",
        tracking=True,
        copy=False,
        help="The contact agreed to receive WhatsApp messages from the company (WhatsApp "
        "requires it before any template message). A message 'STOP' or '退订' withdraws it.",
    )
    whatsapp_opt_in_date = fields.Datetime(string="WhatsApp Consent Date", copy=False)
    whatsapp_opt_in_source = fields.Char(
        string="WhatsApp Consent Source",
        copy=False,
        help="Where the consent was given or withdrawn, e.g. a web form, a call, 'STOP'.",
    )
    whatsapp_opt_out_date = fields.Datetime(
        string="WhatsApp Opt-out Date",
        readonly=True,
        copy=False,
        help="When the contact asked to receive no more WhatsApp messages: nothing is sent "
        "to them on WhatsApp until they consent again.",
    )
    whatsapp_last_inbound = fields.Datetime(
        string="Last WhatsApp Message",
        readonly=True,
        copy=False,
        help="When the contact last wrote on WhatsApp: free-form messages may be sent for 24 "
        "hours after it.",
    )

    @api.onchange("whatsapp_opt_in")
    def _onchange_whatsapp_opt_in(self):
        if self.whatsapp_opt_in and not self.whatsapp_opt_in_date:
            self.whatsapp_opt_in_date = fields.Datetime.now()

    def write(self, vals):
        if vals.get("whatsapp_opt_in"):
            # a new consent lifts an earlier STOP
            vals = {"whatsapp_opt_out_date": False, **vals}
            vals.setdefault("whatsapp_opt_in_date", fields.Datetime.now())
        return super().write(vals)

    # ------------------------------------------------------------
    # WHATSAPP
    # ------------------------------------------------------------

    def _whatsapp_get_numbers(self):
        """{lead id: E.164 number or False}: the phone written internationally
        (+ or 00 and the country code), else as Odoo normalized it with the
        lead's country (with the phonenumbers library installed)."""
        return {
            lead.id: cloud_api.normalize_phone(lead.phone)
            or cloud_api.normalize_phone(lead.phone_sanitized)
            for lead in self
        }

    def _whatsapp_in_service_window(self, now):
        """Whether the contact wrote on WhatsApp within 24 hours before ``now``."""
        self.ensure_one()
        return (
            bool(self.whatsapp_last_inbound) and self.whatsapp_last_inbound > now - SERVICE_WINDOW
        )

    def _whatsapp_opt_out(self, source):
        """The contacts of ``self`` asked to receive no more WhatsApp messages."""
        self.write(
            {
                "whatsapp_opt_in": False,
                "whatsapp_opt_out_date": fields.Datetime.now(),
                "whatsapp_opt_in_source": source,
            }
        )

    def _message_log_whatsapp_inbound(self, phone, name, text):
        """Post the customer's WhatsApp message on the lead's chatter, as a
        message from them: the salesperson (a follower) is notified."""
        self.ensure_one()
        sender = f"{name} ({phone})" if name else phone
        return self.message_post(
            body=Markup("<p><b>%s</b></p><p>%s</p>")
            % (self.env._("WhatsApp from %(sender)s", sender=sender), text),
            author_id=self.partner_id.id or False,
            email_from=None if self.partner_id else sender,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
