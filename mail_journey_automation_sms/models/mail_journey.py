from odoo import api, models
from odoo.exceptions import ValidationError


class MailJourney(models.Model):
    _inherit = "mail.journey"

    @api.constrains("model")
    def _check_sms_model_change(self):
        for journey in self:
            templates = journey.step_ids.sms_template_id
            if templates and set(templates.mapped("model")) != {journey.model}:
                raise ValidationError(
                    self.env._(
                        "The SMS templates of journey '%(journey)s' must be made for the "
                        "model the journey applies to.",
                        journey=journey.name,
                    )
                )
