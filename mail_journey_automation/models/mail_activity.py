from markupsafe import Markup

from odoo import api, fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    # hand-offs: activities a journey created for the salesperson
    journey_trace_id = fields.Many2one(
        "mail.journey.trace",
        string="Journey Step",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
    )
    journey_id = fields.Many2one(related="journey_trace_id.journey_id", string="Journey")
    journey_leader_notified = fields.Boolean(
        string="Team Leader Notified",
        readonly=True,
        help="The sales team leader was told this hand-off is overdue.",
    )

    @api.model
    def _journey_notify_overdue(self):
        """Give the team leader of each overdue hand-off, of journeys that
        ask for it, an activity of their own on the record, once."""
        overdue = self.search(
            [
                ("journey_trace_id", "!=", False),
                ("journey_leader_notified", "=", False),
                ("date_deadline", "<", fields.Date.context_today(self)),
                ("journey_trace_id.journey_id.handoff_notify_leader", "=", True),
            ]
        )
        leaders = {}
        for model, activities in overdue.grouped("res_model").items():
            records = self.env[model].browse(activities.mapped("res_id"))
            leaders[model] = records._journey_get_team_leaders()
        todo = self.env.ref("mail.mail_activity_data_todo")
        notified = overdue.filtered(
            lambda activity: leaders[activity.res_model].get(activity.res_id)
        )
        self.create(
            [
                {
                    "res_model_id": activity.res_model_id.id,
                    "res_id": activity.res_id,
                    "activity_type_id": todo.id,
                    "summary": self.env._(
                        "Overdue hand-off: %(summary)s", summary=activity.summary
                    ),
                    "note": Markup("<p>%s</p>")
                    % self.env._(
                        "%(user)s has not done this journey activity, due on %(date)s.",
                        user=activity.user_id.name,
                        date=activity.date_deadline,
                    ),
                    "date_deadline": fields.Date.context_today(self),
                    "user_id": leaders[activity.res_model][activity.res_id].id,
                }
                for activity in notified
            ]
        )
        overdue.journey_leader_notified = True
        return notified

    @api.model
    def _cron_journey_notify_overdue(self):
        notified = self._journey_notify_overdue()
        self.env["ir.cron"]._commit_progress(len(notified))
