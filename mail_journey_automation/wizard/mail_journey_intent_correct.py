from odoo import fields, models


class MailJourneyIntentCorrect(models.TransientModel):
    """A salesperson corrects what the classifier read in a reply."""

    _name = "mail.journey.intent.correct"
    _description = "Correct a Reply Intent"

    event_id = fields.Many2one("mail.journey.event", required=True, readonly=True)
    reply_text = fields.Text(related="event_id.description")
    reply_intent_id = fields.Many2one(
        "mail.journey.reply.intent", string="The Reply Says", required=True
    )

    def action_apply(self):
        self.ensure_one()
        self.event_id._correct_intent(self.reply_intent_id)
        return {"type": "ir.actions.act_window_close"}
