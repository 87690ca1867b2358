from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import cloud_api


class MailJourneyStep(models.Model):
    _inherit = "mail.journey.step"

    action = fields.Selection(
        selection_add=[("whatsapp", "Send a WhatsApp message")],
        ondelete={"whatsapp": "cascade"},
    )
    # what to send
    whatsapp_account_id = fields.Many2one(
        "mail.journey.whatsapp.account",
        string="WhatsApp Account",
        domain="[('company_id', '=', company_id)]",
        ondelete="restrict",
    )
    whatsapp_template_id = fields.Many2one(
        "mail.journey.whatsapp.template",
        string="WhatsApp Template",
        domain="[('account_id', '=', whatsapp_account_id), ('status', '=', 'approved')]",
        ondelete="restrict",
        help="An approved template: the only kind of message WhatsApp lets a business start "
        "a conversation with.",
    )
    whatsapp_variable_ids = fields.One2many(
        "mail.journey.whatsapp.variable", "step_id", string="Template Variables", copy=True
    )
    whatsapp_text = fields.Text(
        string="Free-form Text",
        translate=True,
        help="Sent as typed, without a template: WhatsApp accepts it only within 24 hours of "
        "the customer's last message; outside that window the step is skipped with the "
        "reason. Leave empty to send the template.",
    )
    # when: inbound messages with words
    whatsapp_keywords = fields.Char(
        string="Containing Words",
        help="For 'External event received': only a WhatsApp message containing one of "
        "these words (comma-separated, any case: price, quotation, 报价) schedules the "
        "step. Empty: any message.",
    )

    def _get_engagement_triggers(self):
        if self.action == "whatsapp":
            # WhatsApp's read receipt is the open of a WhatsApp message
            return {"opened", "not_opened"}
        return super()._get_engagement_triggers()

    def _accepts_event(self, event):
        return super()._accepts_event(event) and (
            not self.whatsapp_keywords
            or cloud_api.contains_keywords(event.description, self.whatsapp_keywords)
        )

    def _get_action_label(self):
        label = super()._get_action_label()
        if self.action != "whatsapp":
            return label
        target = self.whatsapp_template_id.name or (self.whatsapp_text or "")[:40]
        return f"{label} '{target}'" if target else label

    @api.onchange("whatsapp_template_id")
    def _onchange_whatsapp_template_id(self):
        """One line per placeholder of the template, in order."""
        template = self.whatsapp_template_id
        if not template:
            return
        have = set(self.whatsapp_variable_ids.mapped("position"))
        for position in range(1, template.variable_count + 1):
            if position not in have:
                self.whatsapp_variable_ids += self.whatsapp_variable_ids.new(
                    {"position": position, "source": "field", "field_path": "contact_name"}
                    if self.journey_id.model == "crm.lead"
                    else {"position": position, "source": "field", "field_path": "partner_id.name"}
                )

    @api.constrains(
        "action",
        "whatsapp_account_id",
        "whatsapp_template_id",
        "whatsapp_text",
        "whatsapp_variable_ids",
        "journey_id",
    )
    def _check_whatsapp(self):
        for step in self.filtered(lambda step: step.action == "whatsapp"):
            account, template = step.whatsapp_account_id, step.whatsapp_template_id
            if not account or account.company_id != step.journey_id.company_id:
                raise ValidationError(
                    self.env._(
                        "Step '%(step)s' sends a WhatsApp message: choose a WhatsApp account of "
                        "the journey's company.",
                        step=step.name,
                    )
                )
            if not template and not (step.whatsapp_text or "").strip():
                raise ValidationError(
                    self.env._(
                        "Step '%(step)s' sends a WhatsApp message: choose an approved template, "
                        "or type a free-form text (sent only within 24 hours of the customer's "
                        "last message).",
                        step=step.name,
                    )
                )
            if template and template.account_id != account:
                raise ValidationError(
                    self.env._(
                        "Step '%(step)s': the template '%(template)s' belongs to another "
                        "WhatsApp account.",
                        step=step.name,
                        template=template.name,
                    )
                )
            missing = set(range(1, template.variable_count + 1)) - set(
                step.whatsapp_variable_ids.mapped("position")
            )
            if template and missing:
                raise ValidationError(
                    self.env._(
                        "Step '%(step)s': give a value to the template's variables %(missing)s.",
                        step=step.name,
                        missing=", ".join(f"{{{{{position}}}}}" for position in sorted(missing)),
                    )
                )

    def _simulate_detail(self, record):
        if self.action != "whatsapp":
            return super()._simulate_detail(record)
        if self.whatsapp_template_id:
            values = [
                variable._get_value(record) for variable in self.whatsapp_variable_ids.sorted()
            ]
            return self.env._(
                "WhatsApp template '%(template)s' with %(values)s",
                template=self.whatsapp_template_id.name,
                values=", ".join(f"'{value}'" for value in values) or "-",
            )
        return self.env._("WhatsApp text (within 24 hours of the customer's last message)")
