from odoo import models


class MailJourneyStep(models.Model):
    _inherit = "mail.journey.step"

    def _journey_drop_partial_delivery(self):
        """This addon is uninstalled (its uninstall hook): the steps lose
        their partial delivery condition, so their journeys are paused for their manager to review
        before the steps run for every record."""
        self.journey_id.action_pause()
        self.write({"quotation_signal": False})
        for step in self:
            step.journey_id.message_post(
                body=self.env._(
                    "Paused: the step '%(step)s' ran only for partly delivered orders, a "
                    "condition that went away with the Inventory bridge of the journeys. "
                    "It now runs for every record: change or remove it, then resume the journey.",
                    step=step.name,
                )
            )
