from odoo import api, fields, models

from ..tools import cloud_api

TEMPLATE_STATUSES = [
    ("approved", "Approved"),
    ("pending", "Pending"),
    ("rejected", "Rejected"),
    ("paused", "Paused"),
    ("disabled", "Disabled"),
    ("in_appeal", "In appeal"),
    ("other", "Other"),
]
TEMPLATE_CATEGORIES = [
    ("marketing", "Marketing"),
    ("utility", "Utility"),
    ("authentication", "Authentication"),
    ("other", "Other"),
]


class MailJourneyWhatsappTemplate(models.Model):
    """A message template of a WhatsApp Business Account, as Meta approved
    it: synchronised from the Cloud API, never written by hand (templates
    are created and approved in WhatsApp Manager)."""

    _name = "mail.journey.whatsapp.template"
    _description = "WhatsApp Message Template"
    _order = "account_id, name, language"

    name = fields.Char(required=True, readonly=True)
    language = fields.Char(required=True, readonly=True, help="e.g. en_US, zh_CN")
    account_id = fields.Many2one(
        "mail.journey.whatsapp.account", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    category = fields.Selection(TEMPLATE_CATEGORIES, readonly=True)
    status = fields.Selection(TEMPLATE_STATUSES, readonly=True, index=True)
    body = fields.Text(readonly=True, help="The text of the body, with its {{1}} placeholders.")
    variable_names = fields.Char(
        string="Variables",
        readonly=True,
        help="The body's placeholders, in order: each gets a value from the journey step.",
    )
    variable_count = fields.Integer(readonly=True)
    components = fields.Json(readonly=True)

    _unique_name_language = models.Constraint(
        "UNIQUE(account_id, name, language)",
        "A template exists once per account, name and language.",
    )

    @api.depends("name", "language", "status")
    def _compute_display_name(self):
        for template in self:
            template.display_name = f"{template.name} ({template.language})"

    @api.model
    def _sync_from_api(self, account, remote):
        """Create or update the templates of ``account`` from Meta's list
        ``remote``; templates Meta no longer lists are marked disabled."""
        existing = {
            (template.name, template.language): template
            for template in self.with_context(active_test=False).search(
                [("account_id", "=", account.id)]
            )
        }
        statuses = {code for code, _label in TEMPLATE_STATUSES}
        categories = {code for code, _label in TEMPLATE_CATEGORIES}
        seen, to_create = set(), []
        for item in remote:
            if not isinstance(item, dict) or not item.get("name") or not item.get("language"):
                continue
            components = item.get("components") if isinstance(item.get("components"), list) else []
            names = cloud_api.template_variables(components)
            status = str(item.get("status") or "").lower()
            category = str(item.get("category") or "").lower()
            values = {
                "status": status if status in statuses else "other",
                "category": category if category in categories else "other",
                "body": cloud_api.template_body(components),
                "variable_names": ", ".join(names),
                "variable_count": len(names),
                "components": components,
            }
            key = (item["name"], item["language"])
            seen.add(key)
            if key in existing:
                existing[key].write(values)
            else:
                to_create.append(
                    {"account_id": account.id, "name": key[0], "language": key[1], **values}
                )
        self.browse([template.id for key, template in existing.items() if key not in seen]).write(
            {"status": "disabled"}
        )
        return self.create(to_create)
