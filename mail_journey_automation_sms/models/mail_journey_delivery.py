from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models


class MailJourneyDelivery(models.AbstractModel):
    """SMS steps go through the pipeline too: after the common stages, the
    hold-out group, their own suppression (no valid mobile number,
    blacklisted number, no consent, duplicates), the send window and their
    own frequency caps, per mobile number and counting SMS only (an email
    never holds an SMS back, nor the other way round)."""

    _inherit = "mail.journey.delivery"

    @api.model
    def _get_stages(self, step):
        stages = super()._get_stages(step)
        if step.action == "sms":
            stages += ["hold_out", "sms_suppression", "window", "sms_limits"]
        return stages

    # ------------------------------------------------------------
    # STAGES
    # ------------------------------------------------------------

    @api.model
    def _stage_sms_suppression(self, batch):
        """No mobile number (cancelled), an invalid one (error), a blacklisted
        number, no consent when the journey requires it, or a number that
        already got this SMS (this batch or an earlier run of the step)."""
        numbers = self._get_sms_numbers(batch)
        valid = {number for number, _raw in numbers.values() if number}
        # the blacklist is admin-only; it is only checked here
        blacklisted = set(
            self.env["phone.blacklist"]
            .sudo()
            .search([("number", "in", list(valid))])
            .mapped("number")
        )
        records = batch.records
        consenting = (
            set(records.filtered_domain(records._journey_consent_domain()).ids)
            if batch.journey.consent_required
            else set(records.ids)
        )
        seen = set(
            self.env["mail.journey.trace"]
            .search(
                [
                    ("step_id", "=", batch.step.id),
                    ("state", "=", "done"),
                    ("sms_number", "in", list(valid)),
                ]
            )
            .mapped("sms_number")
        )
        reasons = {
            "missing": ("cancelled", self.env._("No mobile number.")),
            "invalid": ("error", self.env._("The mobile number is not valid.")),
            "blacklisted": ("skipped", self.env._("The mobile number is blacklisted.")),
            "consent": ("skipped", self.env._("The contact gave no consent.")),
            "duplicate": (
                "skipped",
                self.env._("This number already got this SMS through another record."),
            ),
        }
        outcome = defaultdict(lambda: batch.traces.browse())
        for trace in batch.traces:
            number, raw = numbers.get(trace.res_id, (False, False))
            if not number:
                reason = "invalid" if raw else "missing"
            elif number in blacklisted:
                reason = "blacklisted"
            elif trace.res_id not in consenting:
                reason = "consent"
            elif number in seen:
                reason = "duplicate"
            else:
                seen.add(number)
                continue
            outcome[reasons[reason]] |= trace
        return outcome

    @api.model
    def _stage_sms_limits(self, batch):
        """The journey's caps per recipient (day, week), applied to SMS on
        their own: the SMS sent to the same mobile number count, the emails
        do not. A trace counts in the ledger of the batch only when it
        passes."""
        day_cap, week_cap = batch.journey._get_caps()
        if not (day_cap or week_cap):
            return {}
        now = fields.Datetime.now()
        numbers = self._get_sms_numbers(batch)
        history = self._get_sms_history({number for number, _raw in numbers.values()}, now)
        waiting = {}
        for trace in batch.traces:
            sent = history[numbers[trace.res_id][0]]
            recent = [date for date in sent if date > now - timedelta(days=1)]
            dates = []
            if day_cap and len(recent) >= day_cap:
                dates.append(recent[-day_cap] + timedelta(days=1))
            if week_cap and len(sent) >= week_cap:
                dates.append(sent[-week_cap] + timedelta(days=7))
            if dates:
                waiting[trace] = max(dates)
            else:
                sent.append(now)
        for trace, date in waiting.items():
            trace.schedule_date = date
        reason = self.env._("Frequency cap of SMS reached for this number: waits for a free slot.")
        return {("scheduled", reason): batch.traces.browse().union(*waiting)}

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    @api.model
    def _get_sms_numbers(self, batch):
        """{record id: (sanitized mobile number or False, number as typed)}
        of the batch, as the SMS composer finds them (the record's phone,
        else its customer's), read once for the batch."""

        def compute():
            records = batch.records.browse(set(batch.traces.mapped("res_id")))
            info = records._sms_get_recipients_info()
            return {
                res_id: (values["sanitized"], values["number"]) for res_id, values in info.items()
            }

        return batch._get("sms_numbers", compute)

    @api.model
    def _get_sms_history(self, numbers, now):
        """{number: sorted dates} of the journey SMS sent to ``numbers`` in
        the week before ``now``."""
        history = defaultdict(list)
        numbers = [number for number in numbers if number]
        if not numbers:
            return history
        for trace in self.env["mail.journey.trace"].search(
            [
                ("sms_number", "in", numbers),
                ("step_action", "=", "sms"),
                ("state", "=", "done"),
                ("date_done", ">", now - timedelta(days=7)),
            ],
            order="date_done",
        ):
            history[trace.sms_number].append(trace.date_done)
        return history
