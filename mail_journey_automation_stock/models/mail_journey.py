from odoo import fields, models

# a signal of Inventory: what was delivered of the order
PARTIAL_DELIVERY = [
    ("partial_delivery", "Order partly delivered, the rest awaited for N days or more"),
]


class MailJourney(models.Model):
    _inherit = "mail.journey"

    quotation_signal = fields.Selection(
        selection_add=PARTIAL_DELIVERY,
        ondelete={"partial_delivery": lambda journeys: journeys._journey_drop_partial_delivery()},
    )

    def _journey_drop_partial_delivery(self):
        """This addon is uninstalled: the journeys its signal triggered
        become manual and are paused, for their manager to review."""
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
