import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import fields, models

from ..tools import cloud_api

_logger = logging.getLogger(__name__)

RATE_PARAM = "mail_journey_whatsapp.max_per_minute"
# Meta's Cloud API takes 80 messages a second per number; a journey batch
# stays far below it, and below the messages a cron run can send in time
RATE_DEFAULT = 600
# minutes before each new attempt after a 429 or 5xx answer; after the last
# one the trace shows the failure
RETRY_DELAYS = (2, 10, 30, 90)


def _group_by_model(logs):
    """{model: {record id: body}} of {record: body}."""
    grouped = defaultdict(dict)
    for record, body in logs.items():
        grouped[record._name][record.id] = body
    return grouped


class MailJourneyTrace(models.Model):
    """WhatsApp steps: a trace is ``done`` once the Cloud API accepted the
    message (``whatsapp_message_id``); WhatsApp's statuses then arrive on the
    webhook: ``sent`` (send date), ``delivered``, ``read`` (the open of the
    message: "opened" branches and the score) and ``failed`` (the trace
    turns ``error`` with Meta's code and text)."""

    _inherit = "mail.journey.trace"

    whatsapp_message_id = fields.Char(
        string="WhatsApp Message ID", readonly=True, index="btree_not_null", copy=False
    )
    whatsapp_account_id = fields.Many2one(
        "mail.journey.whatsapp.account",
        string="WhatsApp Account",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    whatsapp_phone = fields.Char(string="Sent to Number", readonly=True)

    # ------------------------------------------------------------
    # STEP ACTION
    # ------------------------------------------------------------

    def _action_whatsapp(self, step):
        """Send the step's WhatsApp message to the traces of ``self``: a
        template with its variables read from each record as data, or the
        free-form text within 24 hours of the customer's last message.

        :return: {(state, reason): traces} for the traces not sent now
        """
        now = fields.Datetime.now()
        outcome = defaultdict(lambda: self.browse())
        records = {record.id: record for record in self.enrollment_id._get_records()}
        phones = self._whatsapp_get_phones()
        refused = self._whatsapp_get_refusals(step, phones, now)
        for trace, reason in refused.items():
            outcome[reason] |= trace
        to_send = self - self.browse().union(*refused)
        account = step.whatsapp_account_id
        allowance = account._whatsapp_get_allowance(now)
        if len(to_send) > allowance:
            later = to_send[allowance:]
            to_send -= later
            later.write({"schedule_date": now + timedelta(minutes=1)})
            later._trigger_execution()
            outcome["scheduled", self.env._("WhatsApp sending rate reached: waits a minute.")] |= (
                later
            )
        # the token is an administrator's field: the engine sends with it
        token = account.sudo().access_token
        logs, retried = {}, []
        for trace in to_send:
            record = records[trace.res_id]
            phone = phones[trace]
            payload, text = trace._whatsapp_prepare(step, record, phone)
            try:
                message_id = cloud_api.send_message(account.phone_number_id, token, payload)
            except cloud_api.CloudApiError as error:
                state, reason = trace._whatsapp_on_error(error, now)
                outcome[state, reason] |= trace
                if state == "scheduled":
                    retried.append(trace)
                continue
            trace.write(
                {
                    "whatsapp_message_id": message_id,
                    "whatsapp_account_id": account.id,
                    "whatsapp_phone": phone,
                }
            )
            logs[record] = Markup("<p>%s</p><p>%s</p>") % (
                self.env._("WhatsApp message sent to %(phone)s:", phone=phone),
                text,
            )
        self.browse().union(*retried)._trigger_execution()
        for model, bodies in _group_by_model(logs).items():
            # the journey writes its messages on the records, whoever runs it
            self.env[model].sudo().browse(list(bodies))._message_log_batch(bodies)
        return outcome

    def _whatsapp_get_phones(self):
        """{trace: E.164 number or False}: the lead's, else the customer's."""
        numbers = self.lead_id._whatsapp_get_numbers()
        return {
            trace: numbers.get(trace.lead_id.id)
            or cloud_api.normalize_phone(trace.partner_id.phone)
            for trace in self
        }

    def _whatsapp_get_refusals(self, step, phones, now):
        """{trace: (state, reason)} for the traces of ``self`` WhatsApp must
        not get: no consent (or a STOP), free-form text outside the 24-hour
        window, no number, a number already reached by this step."""
        seen = set(
            self.search(
                [
                    ("step_id", "=", step.id),
                    ("state", "=", "done"),
                    ("whatsapp_phone", "in", [phone for phone in phones.values() if phone]),
                ]
            ).mapped("whatsapp_phone")
        )
        refusals = {}
        for trace in self:
            lead, phone = trace.lead_id, phones[trace]
            if lead.whatsapp_opt_out_date and not lead.whatsapp_opt_in:
                refusals[trace] = (
                    "skipped",
                    self.env._("The contact opted out of WhatsApp messages."),
                )
            elif step.whatsapp_template_id and not lead.whatsapp_opt_in:
                refusals[trace] = (
                    "skipped",
                    self.env._("The contact has not consented to WhatsApp messages."),
                )
            elif not step.whatsapp_template_id and not (
                lead and lead._whatsapp_in_service_window(now)
            ):
                refusals[trace] = (
                    "skipped",
                    self.env._("Outside WhatsApp's 24-hour window: use an approved template."),
                )
            elif not phone:
                refusals[trace] = (
                    "error",
                    self.env._(
                        "No phone number in international format (+ and the country code) "
                        "for WhatsApp."
                    ),
                )
            elif phone in seen:
                refusals[trace] = (
                    "skipped",
                    self.env._("This number already got this message through another record."),
                )
            seen.add(phone)
        return refusals

    def _whatsapp_prepare(self, step, record, phone):
        """(API payload, text for the chatter) of the message of this trace.
        The variables' values are data: they fill the template's parameters
        and the chatter's copy of the body as plain text, never rendered."""
        self.ensure_one()
        template = step.whatsapp_template_id
        if not template:
            text = step.whatsapp_text
            return cloud_api.text_payload(phone, text), text
        values = [variable._get_value(record) for variable in step.whatsapp_variable_ids.sorted()]
        body = template.body or template.name
        for position, value in enumerate(values, start=1):
            body = body.replace(f"{{{{{position}}}}}", value)
        return cloud_api.template_payload(phone, template.name, template.language, values), body

    def _whatsapp_on_error(self, error, now):
        """(state, reason) of a trace whose message the Cloud API refused:
        a 429 or 5xx answer is tried again later, at most
        ``len(RETRY_DELAYS)`` times; any other refusal fails the trace with
        Meta's reason."""
        self.ensure_one()
        attempts = self.send_attempts
        self.send_attempts = attempts + 1
        if error.transient and attempts < len(RETRY_DELAYS):
            date = now + timedelta(minutes=RETRY_DELAYS[attempts])
            self.schedule_date = date
            return "scheduled", self.env._(
                "WhatsApp is busy (%(reason)s): new attempt on %(date)s UTC.",
                reason=str(error),
                date=date,
            )
        _logger.info("Journey trace %s: WhatsApp refused the message: %s", self.id, error.code)
        return "error", self.env._(
            "WhatsApp did not accept the message after %(count)s attempt(s): %(reason)s",
            count=attempts + 1,
            reason=str(error),
        )

    # ------------------------------------------------------------
    # STATUSES (webhook)
    # ------------------------------------------------------------

    def _whatsapp_register_status(self, status, error_code=None, error_text=""):
        """WhatsApp says the message of this trace was ``sent``,
        ``delivered``, ``read`` or ``failed``; a status notified twice counts
        once."""
        self.ensure_one()
        now = fields.Datetime.now()
        done = set(self.event_ids.mapped("type"))
        if status in ("sent", "delivered", "read") and not self.sent_datetime:
            self.sent_datetime = now
            self._log_events("sent")
        if status == "delivered" and "delivered" not in done:
            self._log_events("delivered")
        elif status == "read" and not self.open_datetime:
            # the read receipt is the open: counters, score, "opened" branches
            self._register_open()
        elif status == "failed" and "failed" not in done:
            reason = f"({error_code}) {error_text}" if error_code else error_text
            self._log_events("failed", description=reason, payload={"code": error_code})
            self.write(
                {
                    "state": "error",
                    "state_message": self.env._(
                        "WhatsApp could not deliver the message: %(reason)s", reason=reason
                    ),
                }
            )
