from odoo import api, fields, models


class MailJourneyPlaybook(models.Model):
    """A set of ready-made journeys, one per journey stage, used as a unit:
    'Use Playbook' copies all of them in one action (see the wizard
    ``mail.journey.playbook.use``)."""

    _name = "mail.journey.playbook"
    _description = "Journey Playbook"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    summary = fields.Char(string="Goal", translate=True, help="One line: what the playbook is for.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    # ready-made journeys are inactive (they never run): listed all the same
    journey_ids = fields.One2many(
        "mail.journey",
        "playbook_id",
        string="Journeys",
        context={"active_test": False},
        domain=[("is_template", "=", True)],
    )
    journey_count = fields.Integer(compute="_compute_journey_count")
    email_count = fields.Integer(compute="_compute_journey_count")

    @api.depends("journey_ids.step_ids.action")
    def _compute_journey_count(self):
        for playbook in self:
            playbook.journey_count = len(playbook.journey_ids)
            playbook.email_count = len(
                playbook.journey_ids.step_ids.filtered(lambda step: step.action == "email")
            )

    def action_use(self):
        """Open the wizard that copies the playbook's journeys."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Use the Playbook '%(playbook)s'", playbook=self.name),
            "res_model": "mail.journey.playbook.use",
            "view_mode": "form",
            "target": "new",
            "context": {"default_playbook_id": self.id},
        }
