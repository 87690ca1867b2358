import email.policy

from odoo import models

# Unfolded: a one-click unsubscribe URL longer than a line must reach the
# mail client as a plain <URL>, not as an RFC 2047 encoded word it won't read.
UNFOLDED_HEADERS = {"list-unsubscribe"}
_no_fold_policy = email.policy.SMTP.clone(max_line_length=None)


class UnsubscribeHeaderPolicy(type(email.policy.SMTP)):
    def _fold(self, name, value, *args, **kwargs):
        if name.lower() in UNFOLDED_HEADERS:
            return _no_fold_policy._fold(name, value, *args, **kwargs)
        return super()._fold(name, value, *args, **kwargs)


UNSUBSCRIBE_HEADER_POLICY = UnsubscribeHeaderPolicy(linesep=email.policy.SMTP.linesep)


class IrMail_Server(models.Model):
    _inherit = "ir.mail_server"

    def _build_email__(self, email_from, email_to, subject, body, *args, **kwargs):
        message = super()._build_email__(email_from, email_to, subject, body, *args, **kwargs)
        if message["List-Unsubscribe"]:
            message.policy = UNSUBSCRIBE_HEADER_POLICY
        return message
