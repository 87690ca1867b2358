import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import cloud_api
from .mail_journey_event import WHATSAPP_MESSAGE_EVENT, WHATSAPP_OPT_OUT_EVENT
from .mail_journey_trace import RATE_DEFAULT, RATE_PARAM

_logger = logging.getLogger(__name__)


class MailJourneyWhatsappAccount(models.Model):
    """A WhatsApp Business phone number of the Cloud API, for one company:
    its ids at Meta, the secrets (administrators only) and what to do with
    messages from unknown numbers."""

    _name = "mail.journey.whatsapp.account"
    _description = "WhatsApp Business Account"
    _order = "company_id, name, id"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    # Meta's ids
    phone_number_id = fields.Char(
        string="Phone Number ID",
        required=True,
        index=True,
        help="WhatsApp Manager > API Setup: the id of the sending phone number.",
    )
    business_account_id = fields.Char(
        string="WhatsApp Business Account ID",
        required=True,
        help="WhatsApp Manager > API Setup: the id of the WhatsApp Business Account (WABA), "
        "which holds the message templates.",
    )
    # secrets: administrators only
    access_token = fields.Char(
        groups="base.group_system",
        copy=False,
        help="A permanent token of a system user with the whatsapp_business_messaging and "
        "whatsapp_business_management permissions.",
    )
    app_secret = fields.Char(
        groups="base.group_system",
        copy=False,
        help="Meta App > Settings > Basic > App secret: checks the signature of every "
        "webhook notification.",
    )
    verify_token = fields.Char(
        string="Webhook Verify Token",
        groups="base.group_system",
        copy=False,
        help="A secret of your choice, typed in the app's webhook settings at Meta too.",
    )
    # inbound messages
    create_lead_on_unknown = fields.Boolean(
        string="New Lead for Unknown Numbers",
        default=True,
        help="A message from a number no lead has creates a lead; otherwise it is ignored.",
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team of New Leads",
        domain="[('company_id', 'in', [company_id, False])]",
    )
    webhook_url = fields.Char(string="Callback URL", compute="_compute_webhook_url")
    template_ids = fields.One2many("mail.journey.whatsapp.template", "account_id")
    template_count = fields.Integer(compute="_compute_template_count")
    last_sync = fields.Datetime(string="Templates Synchronised On", readonly=True)

    _unique_phone_number = models.Constraint(
        "UNIQUE(phone_number_id)", "This phone number already has an account."
    )

    def _compute_webhook_url(self):
        for account in self:
            account.webhook_url = (
                f"{account.get_base_url()}/mail_journey/whatsapp/webhook/{account.id}"
                if account.id
                else False
            )

    @api.depends("template_ids")
    def _compute_template_count(self):
        counts = dict(
            self.env["mail.journey.whatsapp.template"]._read_group(
                [("account_id", "in", self.ids)], ["account_id"], ["__count"]
            )
        )
        for account in self:
            account.template_count = counts.get(account, 0)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_sync_templates(self):
        """Read the message templates of the account from Meta: create the
        new ones, update the others (status, text, variables)."""
        self.ensure_one()
        self.check_access("write")
        # the token is an administrator's field: the sync uses it for a
        # manager allowed to change the account (checked above)
        token = self.sudo().access_token
        if not token:
            raise UserError(
                self.env._(
                    "Account '%(account)s' has no access token: an administrator enters it "
                    "first.",
                    account=self.name,
                )
            )
        try:
            remote = cloud_api.list_templates(self.business_account_id, token)
        except cloud_api.CloudApiError as error:
            raise UserError(
                self.env._("WhatsApp refused to list the templates: %(error)s", error=str(error))
            ) from error
        # templates mirror Meta's: nobody edits them, the sync writes them
        self.env["mail.journey.whatsapp.template"].sudo()._sync_from_api(self, remote)
        _logger.info("WhatsApp account %s: %s templates synchronised", self.id, len(remote))
        self.last_sync = fields.Datetime.now()
        return self.action_open_templates()

    def action_open_templates(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("WhatsApp Templates"),
            "res_model": "mail.journey.whatsapp.template",
            "view_mode": "list,form",
            "domain": [("account_id", "=", self.id)],
            "context": {"default_account_id": self.id},
        }

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _whatsapp_get_allowance(self, now):
        """How many messages the account may still send in the minute
        before ``now`` (``mail_journey_whatsapp.max_per_minute``, 600)."""
        self.ensure_one()
        limit = int(self.env["ir.config_parameter"].sudo().get_param(RATE_PARAM, RATE_DEFAULT))
        if limit <= 0:
            return float("inf")
        sent = self.env["mail.journey.trace"].search_count(
            [
                ("whatsapp_account_id", "=", self.id),
                ("date_done", ">", now - timedelta(minutes=1)),
            ]
        )
        return max(limit - sent, 0)

    def _whatsapp_process(self, payload):
        """Record what a webhook notification (already authenticated by its
        signature) says for this account: statuses of the journeys' messages
        and the customers' messages. Only this account's company is
        touched: its traces, and its leads or leads without company."""
        self.ensure_one()
        statuses, messages, names = cloud_api.parse_notification(payload, self.phone_number_id)
        self._whatsapp_process_statuses(statuses)
        self._whatsapp_process_messages(messages, names)

    def _whatsapp_process_statuses(self, statuses):
        if not statuses:
            return
        traces = self.env["mail.journey.trace"].search(
            [
                ("whatsapp_message_id", "in", [str(status["id"]) for status in statuses]),
                ("company_id", "=", self.company_id.id),
            ]
        )
        by_message = {trace.whatsapp_message_id: trace for trace in traces}
        for status in statuses:
            trace = by_message.get(str(status["id"]))
            if not trace:
                continue  # not a journey's message (or another company's): ignored
            code, text = cloud_api.status_error(status)
            trace._whatsapp_register_status(str(status.get("status")), code, text)

    def _whatsapp_process_messages(self, messages, names):
        Event = self.env["mail.journey.event"]
        known = set(
            Event.search(
                [("whatsapp_message_id", "in", [str(message.get("id")) for message in messages])]
            ).mapped("whatsapp_message_id")
        )
        for message in messages:
            message_id = str(message.get("id") or "")
            phone = cloud_api.normalize_wa_id(str(message["from"]))
            if not phone or not message_id or message_id in known:
                continue
            known.add(message_id)
            text = cloud_api.message_text(message)[:4096]
            name = names.get(str(message["from"]))
            lead = self._whatsapp_find_lead(phone) or self._whatsapp_create_lead(phone, name)
            if not lead:
                continue
            lead.whatsapp_last_inbound = fields.Datetime.now()
            lead._message_log_whatsapp_inbound(phone, name, text or f"[{message.get('type')}]")
            event_name = WHATSAPP_MESSAGE_EVENT
            if cloud_api.is_opt_out(text):
                lead._whatsapp_opt_out(self.env._("WhatsApp message '%(text)s'", text=text))
                event_name = WHATSAPP_OPT_OUT_EVENT
            Event._receive_external(
                self.company_id,
                event_name,
                lead=lead,
                description=text,
                whatsapp_message_id=message_id,
                payload={"type": message.get("type"), "from": phone},
                **self._whatsapp_read_text(text),
            )

    def _whatsapp_read_text(self, text):
        """What an inbound WhatsApp text says, read by the reply classifier,
        as values of its event (none for a message without text)."""
        if not text:
            return {}
        reading = self.env["mail.journey.intent"].classify(
            [{"subject": "", "body": text, "headers": {}}]
        )[0]
        intent = self.env["mail.journey.reply.intent"]._get(reading["intent"])
        return {
            "reply_intent_id": intent.id,
            "intent_confidence": reading["confidence"],
            "intent_sentence": self.env["mail.journey.reply"]._find_sentence(
                text, reading["intent"]
            ),
        }

    def _whatsapp_find_lead(self, phone):
        """The lead of this company (else without company) with this E.164
        number, written internationally or normalized by Odoo."""
        Event = self.env["mail.journey.event"]
        lead = Event._find_external_lead(self.company_id, phone=phone)
        if lead:
            return lead
        for company in (self.company_id.id, False):
            lead = self.env["crm.lead"].search(
                [("phone_sanitized", "=", phone), ("company_id", "=", company)], limit=1
            )
            if lead:
                return lead
        return lead

    def _whatsapp_create_lead(self, phone, name):
        """A new lead for a number no lead has, when the account says so."""
        if not self.create_lead_on_unknown:
            return self.env["crm.lead"]
        return (
            self.env["crm.lead"]
            .with_company(self.company_id)
            .create(
                {
                    "name": self.env._("WhatsApp: %(name)s", name=name or phone),
                    "contact_name": name,
                    "phone": phone,
                    "type": "lead",
                    "company_id": self.company_id.id,
                    "team_id": self.team_id.id,
                    "user_id": False,
                }
            )
        )
