from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

# relational hops a field path may take (partner_id.country_id.name: 2)
MAX_PATH_HOPS = 3


class MailJourneyWhatsappVariable(models.Model):
    """The value of one placeholder of a WhatsApp template in a journey
    step: a field of the journey's record (a path such as
    ``partner_id.name``, read through the ORM as data) or a fixed text.
    Neither is ever evaluated: a value holding ``{{ ... }}`` or ``${...}``
    is sent as it is."""

    _name = "mail.journey.whatsapp.variable"
    _description = "WhatsApp Template Variable"
    _order = "step_id, position, id"

    step_id = fields.Many2one("mail.journey.step", required=True, index=True, ondelete="cascade")
    position = fields.Integer(
        required=True, default=1, help="The placeholder it fills: 1 for {{1}}, 2 for {{2}}, ..."
    )
    source = fields.Selection(
        [("field", "Field of the record"), ("text", "Fixed text")],
        required=True,
        default="field",
    )
    field_path = fields.Char(
        string="Field",
        help="A field of the journey's record, through relations with dots: contact_name, "
        "partner_id.name, user_id.phone, amount_total.",
    )
    text = fields.Char(string="Fixed Text", translate=True)
    fallback = fields.Char(
        string="When Empty",
        translate=True,
        help="Sent when the field is empty (WhatsApp refuses an empty variable).",
    )

    _check_position = models.Constraint(
        "CHECK(position > 0)", "Template variables are numbered from 1."
    )
    _unique_position = models.Constraint(
        "UNIQUE(step_id, position)", "Each placeholder of the template gets one value."
    )

    @api.constrains("source", "field_path", "text", "step_id")
    def _check_value(self):
        for variable in self:
            if variable.source == "text" and not variable.text:
                raise ValidationError(
                    self.env._(
                        "Variable %(position)s: type the fixed text.", position=variable.position
                    )
                )
            if variable.source == "field":
                variable._get_path_fields()

    def _get_path_fields(self):
        """The fields of ``field_path`` on the journey's model, checked: each
        name is a field, every one but the last is a many2one."""
        self.ensure_one()
        Model = self.env[self.step_id.journey_id.model]
        names = (self.field_path or "").strip().split(".")
        path = []
        for index, name in enumerate(names):
            field = Model._fields.get(name)
            last = index == len(names) - 1
            if (
                not field
                or index > MAX_PATH_HOPS
                or (not last and field.type != "many2one")
                or (last and field.type in ("one2many", "many2many", "binary", "json"))
            ):
                raise ValidationError(
                    self.env._(
                        "Variable %(position)s: '%(path)s' is not a field of %(model)s (names "
                        "of fields joined by dots, through many-to-one fields only, e.g. "
                        "partner_id.name).",
                        position=self.position,
                        path=self.field_path or "",
                        model=self.env["ir.model"]._get(self.step_id.journey_id.model).name,
                    )
                )
            path.append(field)
            if not last:
                Model = self.env[field.comodel_name]
        return path

    def _get_value(self, record):
        """The text of this variable for ``record``: data, never a template."""
        self.ensure_one()
        if self.source == "text":
            return self.text
        *hops, last = self._get_path_fields()
        owner = record
        for field in hops:
            owner = owner[field.name]
        value = owner[last.name]
        if last.type == "many2one":
            text = value.display_name or ""
        elif last.type == "boolean":
            text = self.env._("Yes") if value else self.env._("No")
        elif last.type == "selection":
            text = dict(last._description_selection(self.env)).get(value) or ""
        elif last.type == "monetary":
            currency = owner[last.get_currency_field(owner)] if owner else None
            text = tools.format_amount(self.env, value, currency) if currency else str(value)
        elif last.type == "date":
            text = tools.format_date(self.env, value) if value else ""
        elif last.type == "datetime":
            text = tools.format_datetime(self.env, value) if value else ""
        else:
            text = "" if value is False or value is None else str(value)
        return text.strip() or self.fallback or ""
