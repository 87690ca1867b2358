from odoo import api, fields, models


class MailJourneySegment(models.Model):
    """A named, reusable audience filter ("Food industry", "Small
    companies", ...) for the records of journeys: it picks the variant of an
    email step, restricts a step, and groups the journey report."""

    _name = "mail.journey.segment"
    _description = "Journey Segment"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    description = fields.Text(translate=True)
    model = fields.Selection(
        selection="_selection_model", string="Applies to", required=True, default="crm.lead"
    )
    domain = fields.Char(
        string="Filter",
        default="[]",
        help="The records of the segment: the leads (or orders) matching this filter.",
    )
    company_id = fields.Many2one(
        "res.company",
        index=True,
        default=lambda self: self.env.company,
        help="Empty: the segment can be used by the journeys of every company.",
    )
    variant_count = fields.Integer(string="Used by Variants", compute="_compute_variant_count")

    @api.model
    def _selection_model(self):
        return self.env["mail.journey"]._selection_model()

    def _compute_variant_count(self):
        counts = dict(
            self.env["mail.journey.step.variant"]._read_group(
                [("segment_id", "in", self.ids)], ["segment_id"], ["__count"]
            )
        )
        for segment in self:
            segment.variant_count = counts.get(segment, 0)

    @api.constrains("domain", "model")
    def _check_domain(self):
        for segment in self:
            segment._get_domain()

    def _get_domain(self):
        """The segment's filter as a Domain, checked against its model.

        :raise ValidationError: with the reason when the filter is invalid
        """
        self.ensure_one()
        return self.env["mail.journey"]._eval_domain(
            self.domain, self.model, self.env._("Segment %(name)s", name=self.name)
        )

    def _get_matching_ids(self, records):
        """Return {segment: set of the ids of ``records`` in the segment}."""
        return {
            segment: set(records.filtered_domain(segment._get_domain()).ids) for segment in self
        }
