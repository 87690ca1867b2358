from odoo import api, fields, models


class MailJourneyReplyIntent(models.Model):
    """What a customer's reply says (the codes of ``mail.journey.intent``),
    as records, so that a branch can wait for one or several of them."""

    _name = "mail.journey.reply.intent"
    _description = "Reply Intent"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, readonly=True)
    sequence = fields.Integer(default=10)
    description = fields.Char(translate=True)

    _code_unique = models.Constraint("UNIQUE(code)", "An intent code is unique.")

    @api.model
    def _get(self, code):
        """The intent of ``code``, or an empty recordset."""
        if not code:
            return self.browse()
        return self.search([("code", "=", code)], limit=1)
