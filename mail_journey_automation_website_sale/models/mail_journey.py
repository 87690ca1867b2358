from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

ABANDONMENT_MODELS = {"abandoned_cart": "sale.order", "browse_abandonment": "crm.lead"}


class MailJourney(models.Model):
    _inherit = "mail.journey"

    trigger = fields.Selection(
        selection_add=[
            ("abandoned_cart", "Abandoned cart"),
            ("browse_abandonment", "Browse abandonment"),
        ],
        ondelete={"abandoned_cart": "set default", "browse_abandonment": "set default"},
    )
    abandoned_hours = fields.Integer(
        string="Abandoned After (hours)",
        default=4,
        help="Abandoned cart: a website cart of a known customer still not confirmed this long "
        "after its last change. Browse abandonment: a visitor linked to a lead viewed products "
        "and has not come back nor ordered for this long.",
    )

    _check_abandoned_hours = models.Constraint(
        "CHECK(abandoned_hours > 0)", "The abandonment delay must be at least one hour."
    )

    @api.constrains("trigger", "model")
    def _check_abandonment_trigger(self):
        for journey in self:
            model = ABANDONMENT_MODELS.get(journey.trigger)
            if model == "sale.order" and journey.model != model:
                raise ValidationError(
                    self.env._(
                        "The trigger 'Abandoned cart' is only available on sales orders: "
                        "carts are sales orders."
                    )
                )
            if model == "crm.lead" and journey.model != model:
                raise ValidationError(
                    self.env._(
                        "The trigger 'Browse abandonment' is only available on leads: the "
                        "visitor's lead enters the journey."
                    )
                )

    def _enroll_abandoned(self):
        """Enroll the carts (or leads) abandoned since the journey's last
        check: their last activity plus the delay fell in ]last check, now]."""
        now = fields.Datetime.now()
        for journey in self:
            delay = timedelta(hours=journey.abandoned_hours)
            start, end = (journey.date_checked or now) - delay, now - delay
            if journey.trigger == "abandoned_cart":
                records = self.env["sale.order"]._journey_find_abandoned_carts(start, end)
            else:
                records = self.env["crm.lead"]._journey_find_browse_abandoned(start, end)
            # the emails link to the cart, which the customer opens with its token
            journey._enroll(records).order_id._portal_ensure_token()
            journey.date_checked = now

    @api.model
    def _cron_enroll_abandoned(self):
        """Enroll abandoned carts and browse abandonments, committing after
        each journey."""
        journeys = self.search(
            [("state", "=", "running"), ("trigger", "in", list(ABANDONMENT_MODELS))]
        )
        for done, journey in enumerate(journeys, start=1):
            journey._enroll_abandoned()
            if not self.env["ir.cron"]._commit_progress(1, remaining=len(journeys) - done):
                break
