from datetime import timedelta

from odoo import api, fields, models


class MailJourney(models.Model):
    _inherit = "mail.journey"

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

    @api.model
    def _get_triggers(self):
        triggers = super()._get_triggers()
        # checked every half hour by this addon's own cron (_cron_enroll_abandoned)
        triggers["abandoned_cart"] = {
            "name": self.env._("Abandoned cart"),
            "sequence": 130,
            "kind": "abandonment",
            "models": ["sale.order"],
            "method": "_get_reached_abandoned_carts",
        }
        triggers["browse_abandonment"] = {
            "name": self.env._("Browse abandonment"),
            "sequence": 140,
            "kind": "abandonment",
            "models": ["crm.lead"],
            "method": "_get_reached_browse_abandonments",
        }
        return triggers

    def _get_reached_abandoned_carts(self, start, end):
        """'Abandoned cart': the carts whose last change plus the delay fell
        in ]start, end]."""
        self.ensure_one()
        delay = timedelta(hours=self.abandoned_hours)
        return self.env["sale.order"]._journey_find_abandoned_carts(start - delay, end - delay)

    def _get_reached_browse_abandonments(self, start, end):
        """'Browse abandonment': the leads whose visitor's last product view
        plus the delay fell in ]start, end]."""
        self.ensure_one()
        delay = timedelta(hours=self.abandoned_hours)
        return self.env["crm.lead"]._journey_find_browse_abandoned(start - delay, end - delay)

    def _enroll_abandoned(self):
        """Enroll the carts (or leads) abandoned since the journey's last
        check: their last activity plus the delay fell in ]last check, now]."""
        now = fields.Datetime.now()
        for journey in self:
            records = journey._get_reached_records(journey.date_checked or now, now)
            # the emails link to the cart, which the customer opens with its token
            journey._enroll(records).order_id._portal_ensure_token()
            journey.date_checked = now

    @api.model
    def _cron_enroll_abandoned(self):
        """Enroll abandoned carts and browse abandonments, committing after
        each journey."""
        journeys = self.search(
            [("state", "=", "running"), ("trigger", "in", self._get_trigger_codes("abandonment"))]
        )
        for done, journey in enumerate(journeys, start=1):
            journey._enroll_abandoned()
            if not self.env["ir.cron"]._commit_progress(1, remaining=len(journeys) - done):
                break
