from odoo import api, fields, models

# the external events an inbound WhatsApp message is recorded as
WHATSAPP_MESSAGE_EVENT = "whatsapp_message"
WHATSAPP_OPT_OUT_EVENT = "whatsapp_opt_out"


class MailJourneyEvent(models.Model):
    _inherit = "mail.journey.event"

    type = fields.Selection(
        selection_add=[("delivered", "Delivered"), ("failed", "Failed")],
        ondelete={"delivered": "cascade", "failed": "cascade"},
    )
    whatsapp_message_id = fields.Char(
        string="WhatsApp Message ID",
        readonly=True,
        index="btree_not_null",
        help="The id WhatsApp gave the customer's message: a message notified twice is "
        "recorded once.",
    )

    def _is_whatsapp(self):
        self.ensure_one()
        return self.step_id.action == "whatsapp" or self.name in (
            WHATSAPP_MESSAGE_EVENT,
            WHATSAPP_OPT_OUT_EVENT,
        )

    def _get_summary(self):
        if not self._is_whatsapp():
            return super()._get_summary()
        message = self.step_id.name or self.env._("a journey message")
        if self.type == "external":
            text = (self.description or "").replace("\n", " ")
            text = f"{text[:77]}..." if len(text) > 80 else text
            if self.name == WHATSAPP_OPT_OUT_EVENT:
                return self.env._("Opted out of WhatsApp: %(text)s", text=text)
            return self.env._("WhatsApp message: %(text)s", text=text or "-")
        return {
            "sent": self.env._("Sent the WhatsApp message '%(message)s'", message=message),
            "delivered": self.env._("WhatsApp message '%(message)s' delivered", message=message),
            "open": self.env._("Read the WhatsApp message '%(message)s'", message=message),
            "failed": self.env._(
                "WhatsApp message '%(message)s' not delivered: %(reason)s",
                message=message,
                reason=self.description or "-",
            ),
        }.get(self.type) or super()._get_summary()

    @api.model
    def _get_machine_reason(self, trace, kind, user_agent, ip, link=None, honeypot=False):
        if trace.step_action == "whatsapp":
            # a read receipt comes signed from WhatsApp (webhook), not from a
            # mail client that a proxy or a scanner could stand in for
            return False
        return super()._get_machine_reason(trace, kind, user_agent, ip, link, honeypot)
