from odoo import fields, models

from ..tools import cloud_api


class MailJourney(models.Model):
    _inherit = "mail.journey"

    whatsapp_keywords = fields.Char(
        string="Containing Words",
        help="For the trigger 'External event': only an event whose message contains one of "
        "these words (comma-separated, any case: price, quotation, 报价) enrolls the lead, "
        "e.g. a WhatsApp message (event whatsapp_message) asking for a price. Empty: any.",
    )

    def _accepts_event(self, event):
        return super()._accepts_event(event) and (
            not self.whatsapp_keywords
            or cloud_api.contains_keywords(event.description, self.whatsapp_keywords)
        )
