from odoo import api, fields, models
from odoo.exceptions import ValidationError


class MailJourney(models.Model):
    _inherit = "mail.journey"

    trigger = fields.Selection(
        selection_add=[("create",), ("website_form", "Website form submitted")],
        ondelete={"website_form": "set default"},
    )

    @api.constrains("trigger", "model")
    def _check_website_form_trigger(self):
        if any(j.trigger == "website_form" and j.model != "crm.lead" for j in self):
            raise ValidationError(
                self.env._(
                    "The trigger 'Website form submitted' is only available on leads: website "
                    "forms create leads."
                )
            )
