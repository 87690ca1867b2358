import re
from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import fields, models, tools
from odoo.tools.mail import TEXT_URL_REGEX

from odoo.addons.mail_journey_automation.models.mail_journey_trace import TRACKING_DAYS_PARAM

# hex characters of the signature of an SMS link: SMS are short, and 48
# bits are out of reach of guessing through a web server
SMS_TOKEN_LENGTH = 12
# the end of a URL in a text (as mass_mailing_sms replaces shortened links)
URL_END = r"(?![\w@:%.+&~#=/-])"


class MailJourneyTrace(models.Model):
    _inherit = "mail.journey.trace"

    sms_number = fields.Char(
        string="Sent To Number",
        readonly=True,
        index="btree_not_null",
        help="The mobile number (E.164) the SMS went to (frequency caps, duplicates).",
    )
    sms_tracker_ids = fields.One2many("sms.tracker", "mail_journey_trace_id", readonly=True)

    # ------------------------------------------------------------
    # STEP ACTION
    # ------------------------------------------------------------

    def _action_sms(self, step):
        """Render and queue the step's SMS for the traces of ``self`` in one
        batch, through Odoo's SMS composer in mass mode (a note kept on each
        record): the database's SMS provider sends them from its queue. The
        pipeline already left out the records without a valid number, the
        blacklisted and the duplicates; links are tracked when the SMS are
        created (``_journey_prepare_sms``)."""
        composer = (
            self.env["sms.composer"]
            .with_context(mail_journey_sms_trace_ids=self.ids)
            .create(
                {
                    "composition_mode": "mass",
                    "res_model": step.journey_id.model,
                    "res_ids": repr(self.mapped("res_id")),
                    "template_id": step.sms_template_id.id,
                    "mass_keep_log": True,
                    "mass_force_send": False,
                    # the pipeline checked the batch's numbers against the blacklist
                    "use_exclusion_list": False,
                }
            )
        )
        sms_all = composer._action_send_sms()
        canceled = sms_all.filtered(lambda sms: sms.state == "canceled")
        if not canceled:
            return {}
        # a number changed between the pipeline's check and the rendering
        failures = dict(canceled._fields["failure_type"]._description_selection(self.env))
        by_uuid = {sms.uuid: sms for sms in canceled}
        outcome = defaultdict(self.browse)
        for tracker in self.sms_tracker_ids.filtered(lambda t: t.sms_uuid in by_uuid):
            failure = by_uuid[tracker.sms_uuid].failure_type
            reason = self.env._(
                "The SMS was not sent: %(reason)s", reason=failures.get(failure, failure)
            )
            outcome["cancelled", reason] |= tracker.mail_journey_trace_id
        return outcome

    def _journey_prepare_sms(self, sms_values_all):
        """Track the SMS the composer is about to create for the traces of
        ``self`` (``sms_values_all``: their values by record id, changed in
        place): each link points to the journey's click route for its trace,
        through one link_tracker lookup for the whole batch, and an SMS
        tracker ties the SMS to its trace for the delivery reports. The note
        on the record, written before, keeps the links as they were."""
        traces = {trace.res_id: trace for trace in self}
        base_url = self.journey_id[:1].get_base_url()
        short_prefix = f"{base_url}/r/"
        urls = {
            url
            for res_id, values in sms_values_all.items()
            if res_id in traces
            for url in re.findall(TEXT_URL_REGEX, values.get("body") or "")
            if not url.startswith(short_prefix)
        }
        urls = sorted(urls)
        codes = {}
        if urls:
            # links are shortened for the journey, whoever runs it; a title
            # avoids link_tracker fetching every page
            trackers = (
                self.env["link.tracker"]
                .sudo()
                .search_or_create([{"url": url, "title": url} for url in urls])
            )
            codes = dict(zip(urls, trackers.mapped("code"), strict=True))
        tracker_vals, numbers = [], defaultdict(self.browse)
        for res_id, values in sms_values_all.items():
            trace = traces.get(res_id)
            if not trace:
                continue
            body = values.get("body") or ""
            for url in set(re.findall(TEXT_URL_REGEX, body)) & codes.keys():
                tracked = trace._get_sms_click_url(codes[url], base_url)
                body = re.sub(re.escape(url) + URL_END, tracked, body)
            values["body"] = body
            tracker_vals.append({"sms_uuid": values["uuid"], "mail_journey_trace_id": trace.id})
            numbers[values["number"] or False] |= trace
        # SMS trackers are technical records of Odoo's SMS queue (admin only)
        self.env["sms.tracker"].sudo().create(tracker_vals)
        for number, number_traces in numbers.items():
            number_traces.sms_number = number

    # ------------------------------------------------------------
    # TRACKING: signed short links
    # ------------------------------------------------------------

    def _get_sms_click_token(self, code):
        return self._get_token("sms_click", code)[:SMS_TOKEN_LENGTH]

    def _get_sms_click_url(self, code, base_url=None):
        """The link of an SMS: link_tracker's short link of ``code``, followed
        by this trace and its signature."""
        self.ensure_one()
        base_url = base_url or self.journey_id.get_base_url()
        return f"{base_url}/r/{code}/j/{self.id}/{self._get_sms_click_token(code)}"

    def _check_sms_click_token(self, code, token):
        """Whether ``token`` signs a click on ``code`` of this trace's SMS,
        within the tracking period after sending."""
        if len(self) != 1 or not token or not self.exists():
            return False
        if not tools.consteq(str(token).encode(), self._get_sms_click_token(code).encode()):
            return False
        days = int(self.env["ir.config_parameter"].sudo().get_param(TRACKING_DAYS_PARAM, 365))
        sent = self.date_done or self.create_date
        return bool(sent) and fields.Datetime.now() <= sent + relativedelta(days=days)

    # ------------------------------------------------------------
    # DELIVERY REPORTS (from sms.tracker)
    # ------------------------------------------------------------

    def _journey_record_sms_sent(self):
        """The provider took the SMS of ``self``: their send date and a
        "sent" event each, once."""
        traces = self.filtered(lambda trace: not trace.sent_datetime)
        if traces:
            traces.sent_datetime = fields.Datetime.now()
            traces._log_events("sent")

    def _journey_record_sms_failure(self, failure_type, failure_reason=False, bounce=False):
        """The SMS of ``self`` could not be delivered: the traces fail with
        the provider's reason; a number the operator refused (``bounce``)
        also counts as a bounce, for the "bounced" branches."""
        if not self:
            return
        failures = {
            **dict(self.env["sms.sms"]._fields["failure_type"]._description_selection(self.env)),
            # reported later by the provider (Odoo names them on mailing traces only)
            "sms_expired": self.env._("the SMS expired before it could be delivered"),
            "sms_invalid_destination": self.env._("the number does not exist"),
            "sms_not_allowed": self.env._("the operator does not allow this SMS"),
            "sms_not_delivered": self.env._("the SMS was not delivered"),
            "sms_rejected": self.env._("the operator rejected the SMS"),
        }
        reason = failure_reason or failures.get(failure_type) or failure_type
        self.write(
            {
                "state": "error",
                "state_message": self.env._(
                    "The SMS could not be delivered: %(reason)s", reason=reason
                ),
            }
        )
        if bounce:
            self._register_bounce(description=reason)
