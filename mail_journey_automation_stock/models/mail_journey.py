from odoo import models


class MailJourney(models.Model):
    _inherit = "mail.journey"

    def _journey_drop_partial_delivery(self):
        """This addon is uninstalled (its uninstall hook): the journeys its
        signal triggered become manual and are paused, for their manager to
        review."""
        self.action_pause()
        self.write({"trigger": "manual", "quotation_signal": False})
        for journey in self:
            journey.message_post(
                body=self.env._(
                    "Paused and made manual: its trigger, a partial delivery, went away with "
                    "the Inventory bridge of the journeys. Choose another trigger, or enroll "
                    "records by hand, then resume the journey."
                )
            )
