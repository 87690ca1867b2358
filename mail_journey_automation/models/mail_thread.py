from odoo import api, models, tools

from ..tools import intent as intent_tools


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def _message_route_process(self, message, message_dict, routes):
        result = super()._message_route_process(message, message_dict, routes)
        # a reply to a journey email: found through its Message-ID, whatever
        # the address it was sent to (the record's alias or the catchall);
        # recorded once the reply is in the record's chatter, so that what
        # the journey says about it comes after it
        if routes:
            references = message_dict.get("references") or message_dict.get("in_reply_to") or ""
            message_ids = tools.mail.mail_header_msgid_re.findall(references)
            if message_ids:
                # the mail gateway runs as the public/root user of the fetch
                traces = (
                    self.env["mail.journey.trace"]
                    .sudo()
                    .search([("message_id", "in", message_ids)])
                )
                if traces:
                    reading = self.env["mail.journey.reply"]._read(message, message_dict)
                    traces._register_reply(
                        auto_reason=self._journey_auto_reply_reason(message, message_dict, reading),
                        description=tools.html2plaintext(message_dict.get("body") or "")[:2000],
                        reading=reading,
                    )
        return result

    @api.model
    def _routing_handle_bounce(self, email_message, message_dict):
        result = super()._routing_handle_bounce(email_message, message_dict)
        if message_dict.get("bounced_msg_ids"):
            # a bounce comes through the mail gateway, not a user
            self.env["mail.journey.trace"].sudo().search(
                [("message_id", "in", message_dict["bounced_msg_ids"])]
            )._register_bounce(
                description=tools.html2plaintext(message_dict.get("body") or "")[:2000]
            )
        return result

    @api.model
    def _journey_auto_reply_reason(self, message, message_dict, reading=None):
        """Why an incoming email is an automatic answer, or False for a
        person's reply; ``reading`` is what the reply classifier read."""
        # answers written by machines never count as a customer's reply
        reason = intent_tools.automatic_reason(dict(message.items()))
        if reason:
            return reason
        if intent_tools.AUTO_SUBJECT.search(message_dict.get("subject") or ""):
            return "out-of-office subject"
        intent = (reading or {}).get("intent")
        return f"classified as {intent}" if intent in ("out_of_office", "auto_reply") else False

    def _message_post_after_hook(self, message, msg_values):
        result = super()._message_post_after_hook(message, msg_values)
        if reason := self._journey_personal_contact_reason(message):
            # the salesperson may not manage journeys: pausing is the journey's rule
            self._journey_get_contact_enrollments()._journey_pause_on_contact(reason)
        return result

    def _journey_personal_contact_reason(self, message):
        """Why ``message`` is a personal contact of the salesperson with the
        customer (an email from the chatter, a call or meeting logged), or
        False."""
        if self._name not in self.env["mail.journey"]._get_journey_models():
            return False
        if self.env.context.get("mail_journey_trace_ids"):
            return False
        internal_author = any(not user.share for user in message.author_id.user_ids)
        if not internal_author:
            return False
        if message.message_type == "comment" and message.subtype_id == self.env.ref(
            "mail.mt_comment"
        ):
            return self.env._("%(user)s emailed the customer.", user=message.author_id.name)
        if message.mail_activity_type_id.category in ("phonecall", "meeting"):
            return self.env._(
                "%(user)s logged a %(activity)s.",
                user=message.author_id.name,
                activity=message.mail_activity_type_id.name,
            )
        return False
