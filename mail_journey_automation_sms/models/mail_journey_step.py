from odoo import api, fields, models
from odoo.exceptions import ValidationError

# the engagement branches an SMS can tell: a click on one of its links, a
# number the operator refused (no open, no reply: an SMS reports neither)
SMS_ENGAGEMENT_TRIGGERS = {"clicked", "not_clicked", "bounced"}


class MailJourneyStep(models.Model):
    _inherit = "mail.journey.step"

    action = fields.Selection(
        selection_add=[("email",), ("sms", "Send an SMS")],
        ondelete={"sms": lambda steps: steps._journey_drop_sms()},
    )
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        domain="[('model', '=', model)]",
        ondelete="restrict",
        help="Rendered for each record and sent through the database's SMS provider; its "
        "links are shortened and tracked.",
    )

    @api.constrains("action", "sms_template_id", "journey_id")
    def _check_sms_template(self):
        for step in self.filtered(lambda step: step.action == "sms"):
            model = step.journey_id.model
            if not step.sms_template_id or step.sms_template_id.model != model:
                raise ValidationError(
                    self.env._(
                        "Step '%(step)s' sends an SMS: choose an SMS template made for "
                        "%(model)s.",
                        step=step.name,
                        model=self.env["ir.model"]._get(model).name,
                    )
                )

    def _get_engagement_triggers(self):
        if self.action == "sms":
            return set(SMS_ENGAGEMENT_TRIGGERS)
        return super()._get_engagement_triggers()

    def _get_action_label(self):
        label = super()._get_action_label()
        if self.action == "sms" and self.sms_template_id:
            return f"{label} '{self.sms_template_id.name}'"
        return label

    def _journey_drop_sms(self):
        """The SMS action goes away (this addon is uninstalled): the steps
        become to-dos for the salesperson to send the SMS by hand, and their
        journeys are paused for their manager to review."""
        if not self:
            return
        self.journey_id.action_pause()
        for step in self:
            step.write(
                {
                    "action": "activity",
                    "activity_summary": self.env._(
                        "Send the SMS '%(template)s'",
                        template=step.sms_template_id.name or step.name,
                    ),
                }
            )
            step.journey_id.message_post(
                body=self.env._(
                    "Paused: the step '%(step)s' sent an SMS, an action that went away with "
                    "the SMS bridge of the journeys. It now schedules a to-do for the "
                    "salesperson: change it if needed, then resume the journey.",
                    step=step.name,
                )
            )
