from odoo import api, fields, models
from odoo.exceptions import UserError


class MailJourneyTestSend(models.TransientModel):
    """Send the journey's first email, rendered for a chosen record, to the
    current user only. Nothing is enrolled or traced and the record's chatter
    is left alone: the email is linked to no document."""

    _name = "mail.journey.test.send"
    _description = "Journey Test Email"

    journey_id = fields.Many2one("mail.journey", required=True, ondelete="cascade")
    model_id = fields.Many2one("ir.model", compute="_compute_model_id")
    record_ref = fields.Reference(
        selection="_selection_record_ref",
        string="Record",
        compute="_compute_record_ref",
        store=True,
        readonly=False,
        compute_sudo=False,  # the default is a record of the audience the user may read
        help="The email is rendered for this record, then sent to you instead of its contact.",
    )
    step_id = fields.Many2one("mail.journey.step", compute="_compute_step_id", string="Email Step")
    email_to = fields.Char("Sent To", compute="_compute_email_to")

    @api.model
    def _selection_record_ref(self):
        return self.env["mail.journey"]._selection_model()

    @api.depends("journey_id.model")
    def _compute_model_id(self):
        for wizard in self:
            wizard.model_id = (
                self.env["ir.model"]._get(wizard.journey_id.model) if wizard.journey_id else False
            )

    @api.depends("journey_id")
    def _compute_record_ref(self):
        for wizard in self:
            journey = wizard.journey_id
            # the first record of the audience the user may read
            record = (
                self.env[journey.model].search(journey._get_audience_domain(), limit=1)
                if journey
                else False
            )
            wizard.record_ref = f"{record._name},{record.id}" if record else False

    @api.depends("journey_id")
    def _compute_step_id(self):
        for wizard in self:
            wizard.step_id = (
                wizard.journey_id._get_test_email_step() if wizard.journey_id else False
            )

    @api.depends_context("uid")
    def _compute_email_to(self):
        self.email_to = self.env.user.email_formatted

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_send(self):
        self.ensure_one()
        user = self.env.user
        if not user.email:
            raise UserError(
                self.env._(
                    "You have no email address to send the test to: set one in your "
                    "preferences, then try again."
                )
            )
        step = self.step_id
        if not step:
            raise UserError(
                self.env._(
                    "The journey %(journey)s has no step that sends an email: add one with a "
                    "template to send a test.",
                    journey=self.journey_id.name,
                )
            )
        record = self.record_ref
        if not record or record._name != self.journey_id.model:
            raise UserError(
                self.env._("Choose the record to render the test email for, then send it.")
            )
        record.check_access("read")
        template = step.mail_template_id
        subject = template._render_field("subject", record.ids)[record.id] or ""
        template.send_mail(
            record.id,
            force_send=False,
            email_values={
                "email_to": user.email_formatted,
                "email_cc": False,
                "recipient_ids": [],
                "subject": self.env._("[Test] %(subject)s", subject=subject),
                # linked to no document: the record's chatter is left alone
                "model": False,
                "res_id": False,
            },
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._(
                    "The test email is on its way to %(email)s.", email=user.email
                ),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
