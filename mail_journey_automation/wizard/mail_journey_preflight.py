from odoo import api, fields, models

# the pre-flight list is built in one go: beyond this many records only the
# first ones are checked and listed, and the header says so
PREFLIGHT_LIMIT = 10000


class MailJourneyPreflight(models.TransientModel):
    """The audience of a journey as it is now: one line per record, whether
    a journey email would reach it and, when not, why."""

    _name = "mail.journey.preflight"
    _description = "Journey Pre-flight Check"

    journey_id = fields.Many2one("mail.journey", required=True, ondelete="cascade")
    record_count = fields.Integer("Records in the Audience", readonly=True)
    checked_count = fields.Integer("Records Checked", readonly=True)
    mailed_count = fields.Integer("Would Be Mailed", readonly=True)
    line_ids = fields.One2many("mail.journey.preflight.line", "preflight_id", string="Lines")
    summary = fields.Char(compute="_compute_summary")

    @api.depends("record_count", "checked_count", "mailed_count")
    def _compute_summary(self):
        for preflight in self:
            if preflight.checked_count < preflight.record_count:
                preflight.summary = self.env._(
                    "%(count)s records in the audience, too many to list: only the first "
                    "%(checked)s are checked, %(ok)s of them would be mailed.",
                    count=preflight.record_count,
                    checked=preflight.checked_count,
                    ok=preflight.mailed_count,
                )
            else:
                preflight.summary = self.env._(
                    "%(count)s records in the audience, %(ok)s would be mailed.",
                    count=preflight.record_count,
                    ok=preflight.mailed_count,
                )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_open_lines(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._(
                "Pre-flight Check of %(journey)s: %(summary)s",
                journey=self.journey_id.name,
                summary=self.summary,
            ),
            "res_model": "mail.journey.preflight.line",
            "view_mode": "list",
            "views": [
                (
                    self.env.ref(
                        "mail_journey_automation.view_mail_journey_preflight_line_list"
                    ).id,
                    "list",
                )
            ],
            "search_view_id": [
                self.env.ref("mail_journey_automation.view_mail_journey_preflight_line_search").id
            ],
            "domain": [("preflight_id", "=", self.id)],
            "context": {"create": False, "edit": False, "delete": False},
            "target": "current",
        }

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model
    def _create_for_journey(self, journey):
        """Check the audience of ``journey`` and store one line per record.
        The audience is searched as the current user, so the list only holds
        records they may read."""
        journey.ensure_one()
        domain = journey._get_audience_domain()
        Records = self.env[journey.model]
        records = Records.search(domain, limit=PREFLIGHT_LIMIT)
        count = len(records) if len(records) < PREFLIGHT_LIMIT else Records.search_count(domain)
        reasons = self.env["mail.journey.delivery"]._get_suppression_reasons(records, journey)
        emails = records._journey_get_emails()
        preflight = self.create(
            {
                "journey_id": journey.id,
                "record_count": count,
                "checked_count": len(records),
                "mailed_count": len(records) - len(reasons),
            }
        )
        self.env["mail.journey.preflight.line"].create(
            [
                {
                    "preflight_id": preflight.id,
                    "res_model": journey.model,
                    "res_id": record.id,
                    "record_name": record.display_name,
                    "email": emails.get(record.id) or False,
                    "would_be_mailed": record.id not in reasons,
                    "reason": reasons[record.id][1] if record.id in reasons else False,
                }
                for record in records
            ]
        )
        return preflight
