from odoo import api, fields, models


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "mail.journey.record.mixin"]

    def _default_journey_stage_id(self):
        return self.env["mail.journey.stage"].search([], limit=1)

    journey_stage_id = fields.Many2one(
        "mail.journey.stage",
        index=True,
        tracking=True,
        copy=False,
        ondelete="restrict",
        default=lambda self: self._default_journey_stage_id(),
        group_expand="_read_group_expand_journey_stage_ids",
    )

    @api.model
    def _read_group_expand_journey_stage_ids(self, stages, domain):
        return stages.search([("active", "=", True)])

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        Journey = self.env["mail.journey"]
        Journey._enroll_on_event(leads, "create")
        for stage, stage_leads in leads.grouped("journey_stage_id").items():
            if stage:
                Journey._enroll_on_event(stage_leads, "journey_stage", stage_id=stage.id)
        return leads

    def write(self, vals):
        moved = changed_stage = self.browse()
        if vals.get("journey_stage_id"):
            moved = self.filtered(lambda lead: lead.journey_stage_id.id != vals["journey_stage_id"])
        if vals.get("stage_id"):
            changed_stage = self.filtered(lambda lead: lead.stage_id.id != vals["stage_id"])
        result = super().write(vals)
        Journey = self.env["mail.journey"]
        Journey._enroll_on_event(moved, "journey_stage", stage_id=vals.get("journey_stage_id"))
        Journey._enroll_on_event(changed_stage, "crm_stage", crm_stage_id=vals.get("stage_id"))
        return result

    def _journey_get_emails(self):
        return {lead.id: lead.email_normalized for lead in self}

    def _journey_set_stage(self, stage):
        self.filtered(lambda lead: lead.journey_stage_id != stage).journey_stage_id = stage
