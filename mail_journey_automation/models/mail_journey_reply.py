import re
from datetime import datetime, time, timedelta

from markupsafe import Markup

from odoo import api, fields, models, tools

from ..tools import intent as intent_tools
from .mail_journey import ACTIVE_STATES

QUOTE_INTENTS = ("requirements", "price")
PAUSE_INTENTS = ("out_of_office", "not_now")
# the intents the salesperson gets an activity for
ACTIVITY_INTENTS = ("interested", "requirements", "price", "wrong_person")
SENTENCE_END = re.compile(r"(?<=[.!?。！？；;])\s*|\n+")
SENTENCE_LENGTH = 300


class MailJourneyReply(models.AbstractModel):
    """What the journeys do with what a customer's reply says: the reply is
    read by ``mail.journey.intent``, then each journey of the replied email
    applies its reply policy (fields ``reply_*`` of the journey)."""

    _name = "mail.journey.reply"
    _description = "Journey Reply Handling"

    @api.model
    def _read(self, message, message_dict):
        """What the incoming email ``message`` (an ``email.message.Message``
        parsed by the gateway into ``message_dict``) says: the classifier's
        result with the sentence it was read from."""
        body = tools.html2plaintext(message_dict.get("body") or "")
        reading = self.env["mail.journey.intent"].classify(
            [
                {
                    "subject": message_dict.get("subject") or "",
                    "body": body,
                    "headers": dict(message.items()),
                }
            ]
        )[0]
        reading["sentence"] = self._find_sentence(body, reading["intent"])
        return reading

    @api.model
    def _find_sentence(self, body, intent):
        """The sentence of the reply (quotes and signature left out) that
        says ``intent`` most, else its first sentence."""
        sentences = [
            sentence.strip()
            for sentence in SENTENCE_END.split(intent_tools.strip_reply(body))
            if sentence.strip()
        ]
        if not sentences:
            return False
        best = max(sentences, key=lambda sentence: intent_tools.score_intent(intent, sentence))
        return best[:SENTENCE_LENGTH]

    @api.model
    def _act(self, traces, reading):
        """Apply the reply policy of the journeys of ``traces`` (the emails
        the reply answers) to ``reading``; tell the salesperson."""
        intent = self.env["mail.journey.reply.intent"]._get(reading.get("intent"))
        if not intent:
            return
        for journey, journey_traces in traces.grouped("journey_id").items():
            records = journey_traces.enrollment_id._get_records()
            if intent.code == "unsubscribe" and journey.reply_act_unsubscribe:
                for trace in journey_traces:
                    trace._register_unsubscribe()
            elif intent.code in PAUSE_INTENTS and journey.reply_act_pause:
                self._pause(records, journey, reading, intent)
            elif intent.code in QUOTE_INTENTS and journey.reply_quotation_stage_id:
                active = journey_traces.enrollment_id.filtered(
                    lambda enrollment: enrollment.state in ACTIVE_STATES
                )
                active._get_records()._journey_set_stage(journey.reply_quotation_stage_id)
            if intent.code in ACTIVITY_INTENTS and (
                intent.code != "wrong_person" or journey.reply_act_referral
            ):
                self._schedule_activity(records, journey, reading, intent)
            if intent.code not in ("out_of_office", "auto_reply"):
                self._notify(records, reading, intent)

    @api.model
    def _pause(self, records, journey, reading, intent):
        """Pause the records' journeys until the date the reply gives, else
        for the journey's days; the resume cron resumes them."""
        now = fields.Datetime.now()
        until = reading.get("return_date") and datetime.combine(reading["return_date"], time.min)
        if not until or until <= now:
            until = now + timedelta(days=journey.reply_pause_days or 1)
        reason = self.env._(
            "The customer's reply: %(intent)s, until %(date)s.",
            intent=intent.name,
            date=tools.format_date(self.env, until.date()),
        )
        hours = (until - now).total_seconds() / 3600
        records._journey_get_contact_enrollments()._journey_pause_for(hours, reason)

    @api.model
    def _schedule_activity(self, records, journey, reading, intent):
        """A to-do for the salesperson, saying the intent and the sentence."""
        users = records._journey_get_salespersons()
        summaries = {
            "interested": self.env._("Reply: interested, get in touch"),
            "requirements": self.env._("Reply: requirements given, prepare the quotation"),
            "price": self.env._("Reply: asks for a price, send the quotation"),
            "wrong_person": self.env._("Reply: add the referred contact"),
        }
        note = self._describe(reading, intent)
        if intent.code == "wrong_person" and reading.get("referral_email"):
            note += Markup("<p>%s</p>") % self.env._(
                "The customer refers you to %(email)s: add that address as a contact of "
                "the lead if it is right.",
                email=reading["referral_email"],
            )
        # the journey gives the salesperson the to-do, whoever's email it read
        self.env["mail.activity"].sudo().create(
            [
                {
                    "res_model_id": self.env["ir.model"]._get_id(records._name),
                    "res_id": record.id,
                    "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                    "summary": summaries[intent.code],
                    "note": note,
                    "date_deadline": fields.Date.context_today(self),
                    "user_id": (users.get(record.id) or journey.create_uid).id,
                }
                for record in records
            ]
        )

    @api.model
    def _notify(self, records, reading, intent):
        """A note on the record saying how the reply was read, notifying
        the salesperson."""
        users = records._journey_get_salespersons()
        body = self._describe(reading, intent) + Markup("<p>%s</p>") % self.env._(
            "Wrong? Correct it from the reply in the lead's engagement timeline."
        )
        for record in records:
            partner = users.get(record.id, self.env["res.users"]).partner_id
            record.with_context(mail_journey_trace_ids=True).sudo().message_post(
                body=body,
                message_type="notification",
                subtype_xmlid="mail.mt_note",
                partner_ids=partner.ids,
            )

    @api.model
    def _describe(self, reading, intent):
        """'Reply read as <intent>: "<sentence>"' as HTML."""
        sentence = reading.get("sentence")
        if sentence:
            return Markup("<p>%s</p>") % self.env._(
                "Reply read as '%(intent)s' (%(confidence)s %%): \u201c%(sentence)s\u201d",
                intent=intent.name,
                confidence=round((reading.get("confidence") or 0.0) * 100),
                sentence=sentence,
            )
        return Markup("<p>%s</p>") % self.env._("Reply read as '%(intent)s'.", intent=intent.name)
