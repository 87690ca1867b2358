from odoo import api, fields, models
from odoo.tools import clean_context

# "Paper packaging · 1. First contact": the playbook's name, then the journey's
NAME_SEPARATOR = " · "


class MailJourneyPlaybookUse(models.TransientModel):
    """Copy every journey of a playbook, with its email templates, into
    draft journeys of the current company, in one action."""

    _name = "mail.journey.playbook.use"
    _description = "Use a Journey Playbook"

    playbook_id = fields.Many2one("mail.journey.playbook", required=True, ondelete="cascade")
    name = fields.Char(
        compute="_compute_name",
        store=True,
        readonly=False,
        help="Kept as is, each copy is named after its ready-made journey with ' (copy)'. "
        "Changed, it replaces the playbook's name in the names of the journeys and of their "
        "email templates.",
    )
    journey_ids = fields.One2many(related="playbook_id.journey_ids", string="Journeys")

    @api.depends("playbook_id")
    def _compute_name(self):
        for wizard in self:
            wizard.name = wizard.playbook_id.name

    def action_apply(self):
        self.ensure_one()
        playbook = self.playbook_id
        prefix = (self.name or "").strip()
        if prefix == playbook.name:
            prefix = False
        # the wizard's default_playbook_id must not reach the copies
        journeys = self.env["mail.journey"].with_context(clean_context(self.env.context))
        for source in playbook.journey_ids.with_env(journeys.env).sorted():
            name = False
            if prefix:
                own = source.name.removeprefix(playbook.name + NAME_SEPARATOR)
                name = prefix + NAME_SEPARATOR + own
            journeys |= source._copy_from_template(name=name, prefix=prefix)
        return journeys._action_open_copies()
