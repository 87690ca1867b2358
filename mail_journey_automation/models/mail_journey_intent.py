from odoo import api, models

from ..tools import intent as intent_tools

# the intents of a reply, for a fields.Selection of the models that store them
INTENT_SELECTION = [
    ("interested", "Interested"),
    ("requirements", "Gives requirements"),
    ("price", "Asks for a price"),
    ("question", "Question"),
    ("not_now", "Not now"),
    ("has_supplier", "Has a supplier"),
    ("wrong_person", "Wrong person"),
    ("unsubscribe", "Unsubscribe"),
    ("out_of_office", "Out of office"),
    ("auto_reply", "Automatic reply"),
    ("other", "Other"),
]


class MailJourneyIntent(models.AbstractModel):
    """Reply intelligence: what a prospect's answer says (interested, asks
    for a price, not now until a date, wrong person and who is the right
    one, unsubscribe, out of office until a date, ...).

    A thin entry point over ``tools/intent.py``, which works without network
    nor model download (headers, quote and signature stripping, English and
    Chinese pattern tables); see its docstring for the rules."""

    _name = "mail.journey.intent"
    _description = "Reply Intent Classifier"

    @api.model
    def classify(self, messages):
        """Classify replies.

        :param messages: list of dicts ``{"subject": str, "body": str (plain
            text), "headers": {name: value}}``
        :return: a list of the same length of dicts ``{"intent": code of
            INTENT_SELECTION, "confidence": float 0..1, "return_date":
            datetime.date or False, "referral_email": str or False}``
        """
        results = []
        for message in messages:
            found = intent_tools.classify(
                message.get("subject") or "",
                message.get("body") or "",
                message.get("headers") or {},
            )
            results.append(
                {
                    "intent": found["intent"],
                    "confidence": found["confidence"],
                    "return_date": found["return_date"] or False,
                    "referral_email": found["referral_email"] or False,
                }
            )
        return results
