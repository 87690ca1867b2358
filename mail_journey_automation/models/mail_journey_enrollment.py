from dateutil.relativedelta import relativedelta

from odoo import api, fields, models

from .mail_journey import ACTIVE_STATES
from .mail_journey_step import POSITIVE_TRIGGERS

WAITING_TRIGGERS = {*POSITIVE_TRIGGERS, "event"}


class MailJourneyEnrollment(models.Model):
    _name = "mail.journey.enrollment"
    _description = "Journey Enrollment"
    _order = "date_start desc, id desc"

    journey_id = fields.Many2one(
        "mail.journey", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(related="journey_id.company_id", store=True)
    res_model = fields.Selection(related="journey_id.model", store=True, string="Model")
    res_id = fields.Many2oneReference(
        string="Record ID", model_field="res_model", required=True, readonly=True
    )
    lead_id = fields.Many2one(
        "crm.lead", index="btree_not_null", ondelete="set null", readonly=True
    )
    order_id = fields.Many2one(
        "sale.order",
        string="Sales Order",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one(
        "res.users", string="Salesperson", compute="_compute_user_id", store=True
    )
    state = fields.Selection(
        [
            ("running", "Running"),
            ("paused", "Paused"),
            ("completed", "Completed"),
            ("exited", "Exited"),
            ("cancelled", "Cancelled"),
        ],
        default="running",
        required=True,
        index=True,
        readonly=True,
    )
    exit_reason = fields.Char(readonly=True)
    date_start = fields.Datetime(default=fields.Datetime.now, readonly=True, required=True)
    date_end = fields.Datetime(readonly=True)
    trace_ids = fields.One2many("mail.journey.trace", "enrollment_id", string="Steps")
    next_trace_date = fields.Datetime(
        string="Next Step On", compute="_compute_next_trace", store=True
    )
    next_step_id = fields.Many2one("mail.journey.step", compute="_compute_next_trace", store=True)

    _unique_running = models.UniqueIndex(
        "(journey_id, res_id) WHERE state IN ('running', 'paused')",
        "A record runs at most once at a time in a journey.",
    )

    @api.depends("lead_id.user_id", "order_id.user_id")
    def _compute_user_id(self):
        for enrollment in self:
            enrollment.user_id = enrollment.order_id.user_id or enrollment.lead_id.user_id

    @api.depends("trace_ids.state", "trace_ids.schedule_date")
    def _compute_next_trace(self):
        for enrollment in self:
            scheduled = enrollment.trace_ids.filtered(lambda trace: trace.state == "scheduled")
            first = scheduled.sorted("schedule_date")[:1]
            enrollment.next_trace_date = first.schedule_date
            enrollment.next_step_id = first.step_id

    @api.depends("journey_id", "res_model", "res_id")
    def _compute_display_name(self):
        records = {
            model: self.env[model].browse(enrollments.mapped("res_id")).exists()
            for model, enrollments in self.grouped("res_model").items()
        }
        for enrollment in self:
            record = records[enrollment.res_model].browse(enrollment.res_id)
            enrollment.display_name = f"{enrollment.journey_id.name}: {record.display_name}"

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_cancel(self):
        self.filtered(lambda enrollment: enrollment.state in ACTIVE_STATES)._close(
            "cancelled",
            self.env._("Stopped by %(user)s.", user=self.env.user.name),
        )
        return True

    def action_pause(self):
        """Hold the pending steps of these enrollments until they resume."""
        self.filtered(lambda enrollment: enrollment.state == "running").state = "paused"
        return True

    def action_resume(self):
        """Resume paused enrollments: their overdue steps become due now."""
        paused = self.filtered(lambda enrollment: enrollment.state == "paused")
        paused.state = "running"
        paused.trace_ids._reschedule_overdue()
        return True

    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _get_records(self):
        """Return the enrolled records; all enrollments share one model."""
        if not self:
            return self.env["crm.lead"]
        return self.env[self[0].res_model].browse(self.mapped("res_id"))

    def _schedule_root_steps(self):
        now = fields.Datetime.now()
        vals_list = [
            {
                "enrollment_id": enrollment.id,
                "step_id": step.id,
                "schedule_date": now + step._get_delta(),
            }
            for enrollment in self
            for step in enrollment.journey_id.step_ids
            if not step.parent_id
        ]
        traces = self.env["mail.journey.trace"].sudo().create(vals_list)
        traces._trigger_execution()
        return traces

    def _close(self, state, reason):
        """End the enrollments: their pending traces are cancelled."""
        if not self:
            return
        self.write({"state": state, "exit_reason": reason, "date_end": fields.Datetime.now()})
        self.trace_ids.filtered(lambda trace: trace.state == "scheduled").write(
            {"state": "cancelled", "state_message": reason}
        )

    def _complete_finished(self):
        """Complete the running enrollments that have no step left to run nor
        an email whose engagement branches still wait for the customer, and
        move their records to the journey's end stage."""
        now = fields.Datetime.now()

        def waits_for_customer(trace):
            horizon = now - relativedelta(days=trace.journey_id.engagement_days)
            return (
                trace.state == "done"
                and trace.date_done > horizon
                and any(child.trigger in WAITING_TRIGGERS for child in trace.step_id.child_ids)
            )

        finished = self.filtered(
            lambda enrollment: enrollment.state == "running"
            and not any(
                trace.state == "scheduled" or waits_for_customer(trace)
                for trace in enrollment.trace_ids
            )
        )
        finished._close("completed", self.env._("All steps done."))
        for (journey, _model), enrollments in finished.grouped(
            lambda enrollment: (enrollment.journey_id, enrollment.res_model)
        ).items():
            if journey.end_stage_id:
                enrollments._get_records()._journey_set_stage(journey.end_stage_id)
        return finished

    @api.model
    def _complete_idle(self):
        """Complete the enrollments left with nothing scheduled, once the
        customer's time to engage is over."""
        return self.search(
            [("state", "=", "running"), ("next_trace_date", "=", False)]
        )._complete_finished()
