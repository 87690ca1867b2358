from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.assignment import position

# A/B decision: two-sided two-proportion z-test at this level
SIGNIFICANCE_LEVEL = 0.05
# A/B metric -> trace field that counts a success
AB_METRICS = {"open": "open_datetime", "click": "click_datetime", "reply": "reply_datetime"}


def assignment_position(enrollment_id, step_id):
    """A number in [0, 1) fixed for one enrollment at one step: the
    position (``tools.assignment.position``) of "<enrollment id>-<step id>".
    The same enrollment always lands on the same position, and positions are
    spread evenly over [0, 1) across enrollments."""
    return position(f"{enrollment_id}-{step_id}")


class MailJourneyStepVariant(models.Model):
    """A template variant of an email step: for a segment (personalisation,
    the first matching segment wins) or with a weight (A/B split of the
    recipients matching no segment)."""

    _name = "mail.journey.step.variant"
    _description = "Journey Email Variant"
    _order = "step_id, sequence, id"

    # what
    step_id = fields.Many2one("mail.journey.step", required=True, index=True, ondelete="cascade")
    journey_id = fields.Many2one(related="step_id.journey_id", store=True, index=True)
    company_id = fields.Many2one(related="step_id.company_id", store=True)
    model = fields.Selection(related="step_id.model")
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True, default=lambda self: self.env._("Variant"))
    template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        required=True,
        domain="[('model', '=', model)]",
        ondelete="restrict",
    )
    # for whom
    segment_id = fields.Many2one(
        "mail.journey.segment",
        domain="[('model', '=', model)]",
        ondelete="restrict",
        help="Personalisation: the recipients in this segment get this variant (the first "
        "matching variant in the list wins). Empty: the variant takes part in the A/B split "
        "of the recipients matching no segment.",
    )
    weight = fields.Integer(
        default=1,
        help="A/B split: the share of the tested recipients that get this variant is its "
        "weight divided by the total weight of the variants without segment.",
    )
    is_default = fields.Boolean(
        string="Default",
        help="The variant kept when the A/B test finds no significant winner, and given "
        "to the recipients matching no segment when there is no test.",
    )
    is_winner = fields.Boolean(string="Winner", readonly=True, copy=False)
    # A/B statistics: the emails sent to the test sample
    ab_sent_count = fields.Integer(string="Test Sent", compute="_compute_ab_statistics")
    ab_success_count = fields.Integer(string="Test Successes", compute="_compute_ab_statistics")
    ab_rate = fields.Float(
        string="Test Rate (%)",
        digits=(16, 1),
        compute="_compute_ab_statistics",
        help="Open, click or reply rate (the step's A/B metric) of the test sample.",
    )
    sent_count = fields.Integer(string="Sent", compute="_compute_ab_statistics")

    _check_weight = models.Constraint("CHECK(weight >= 0)", "A weight cannot be negative.")

    def _compute_ab_statistics(self):
        stats = self.step_id._get_ab_statistics()
        sent = dict(
            self.env["mail.journey.trace"]._read_group(
                [
                    ("variant_id", "in", self.ids),
                    ("state", "=", "done"),
                    ("mail_message_id", "!=", False),
                ],
                ["variant_id"],
                ["__count"],
            )
        )
        for variant in self:
            size, successes = stats.get(variant, (0, 0))
            variant.ab_sent_count = size
            variant.ab_success_count = successes
            variant.ab_rate = 100.0 * successes / size if size else 0.0
            variant.sent_count = sent.get(variant, 0)

    @api.constrains("template_id", "segment_id", "step_id")
    def _check_model(self):
        for variant in self:
            model = variant.step_id.journey_id.model
            if variant.template_id.model != model or (
                variant.segment_id and variant.segment_id.model != model
            ):
                raise ValidationError(
                    self.env._(
                        "Variant '%(variant)s' of step '%(step)s': choose a template and a "
                        "segment made for %(model)s.",
                        variant=variant.name,
                        step=variant.step_id.name,
                        model=self.env["ir.model"]._get(model).name,
                    )
                )

    @api.constrains("segment_id", "weight", "step_id")
    def _check_ab_settings(self):
        self.step_id._check_ab_end()

    @api.constrains("is_default", "step_id")
    def _check_default(self):
        for step in self.step_id:
            if len(step.variant_ids.filtered("is_default")) > 1:
                raise ValidationError(
                    self.env._(
                        "Step '%(step)s' has several default variants: keep one.", step=step.name
                    )
                )
