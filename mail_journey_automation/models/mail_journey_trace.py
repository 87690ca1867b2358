import logging

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

_logger = logging.getLogger(__name__)


class MailJourneyTrace(models.Model):
    _name = "mail.journey.trace"
    _description = "Journey Step Execution"
    _order = "schedule_date desc, id desc"
    _rec_name = "step_id"

    # what and for whom
    enrollment_id = fields.Many2one(
        "mail.journey.enrollment", required=True, index=True, ondelete="cascade", readonly=True
    )
    step_id = fields.Many2one(
        "mail.journey.step", required=True, index=True, ondelete="cascade", readonly=True
    )
    parent_trace_id = fields.Many2one(
        "mail.journey.trace",
        string="After",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
    )
    journey_id = fields.Many2one(related="enrollment_id.journey_id", store=True, index=True)
    company_id = fields.Many2one(related="enrollment_id.company_id", store=True)
    step_action = fields.Selection(related="step_id.action", store=True, string="Action")
    res_model = fields.Selection(related="enrollment_id.res_model", store=True)
    res_id = fields.Many2oneReference(
        related="enrollment_id.res_id", store=True, model_field="res_model", string="Record ID"
    )
    lead_id = fields.Many2one(related="enrollment_id.lead_id", store=True, index="btree_not_null")
    order_id = fields.Many2one(related="enrollment_id.order_id", store=True)
    partner_id = fields.Many2one(related="enrollment_id.partner_id", store=True)
    # when and how it went
    schedule_date = fields.Datetime(required=True, readonly=True)
    state = fields.Selection(
        [
            ("scheduled", "Scheduled"),
            ("done", "Done"),
            ("skipped", "Skipped"),
            ("cancelled", "Cancelled"),
            ("error", "Error"),
        ],
        default="scheduled",
        required=True,
        readonly=True,
    )
    state_message = fields.Char(string="Reason", readonly=True)
    date_done = fields.Datetime(string="Executed On", readonly=True)
    # the email sent
    mail_message_id = fields.Many2one(
        "mail.message", string="Email", index="btree_not_null", ondelete="set null", readonly=True
    )
    message_id = fields.Char(string="Message-ID", index="btree_not_null", readonly=True, copy=False)
    subject = fields.Char(related="mail_message_id.subject")

    _due_index = models.Index("(schedule_date, id) WHERE state = 'scheduled'")

    @api.depends("step_id", "enrollment_id")
    def _compute_display_name(self):
        for trace in self:
            trace.display_name = f"{trace.step_id.name} ({trace.enrollment_id.display_name})"

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_open_record(self):
        self.ensure_one()
        return self.enrollment_id.action_open_record()

    def action_retry(self):
        """Schedule failed traces again, due now."""
        self.filtered(lambda trace: trace.state == "error").write(
            {"state": "scheduled", "state_message": False, "schedule_date": fields.Datetime.now()}
        )
        self._trigger_execution()
        return True

    # ------------------------------------------------------------
    # EXECUTION
    # ------------------------------------------------------------

    def _trigger_execution(self):
        """Wake the executing cron for the earliest scheduled trace, so an
        immediate step runs within a minute instead of at the next periodic run."""
        dates = [trace.schedule_date for trace in self if trace.state == "scheduled"]
        if dates:
            self.env.ref("mail_journey_automation.ir_cron_mail_journey_execute")._trigger(
                max(min(dates), fields.Datetime.now())
            )

    @api.model
    def _lock_due(self, limit):
        """Return up to ``limit`` due traces of running journeys, locked for
        this transaction; traces locked by another worker are skipped."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT trace.id
                  FROM mail_journey_trace trace
                  JOIN mail_journey journey ON journey.id = trace.journey_id
                 WHERE trace.state = 'scheduled'
                   AND trace.schedule_date <= %(now)s
                   AND journey.state = 'running'
              ORDER BY trace.schedule_date, trace.id
                 LIMIT %(limit)s
                   FOR UPDATE OF trace SKIP LOCKED
                """,
                now=fields.Datetime.now(),
                limit=limit,
            )
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _count_due(self):
        return self.search_count(
            [
                ("state", "=", "scheduled"),
                ("schedule_date", "<=", fields.Datetime.now()),
                ("journey_id.state", "=", "running"),
            ]
        )

    def _execute(self):
        """Execute the traces of ``self`` (due and locked by the caller).

        Each step's traces run as one batch; a batch that fails is retried
        record by record, so one bad record only fails its own trace."""
        traces = self.filtered(lambda trace: trace.state == "scheduled")
        stale = traces.filtered(lambda trace: trace.enrollment_id.state != "running")
        stale._finish("cancelled", self.env._("The enrollment is no longer running."))
        traces -= stale
        for journey, journey_traces in traces.grouped("journey_id").items():
            to_run = journey_traces._check_records()._check_goal(journey)
            for step, step_traces in to_run.grouped("step_id").items():
                step_traces._run_step(step)
        traces.enrollment_id._complete_finished()

    def _check_records(self):
        """Cancel the traces whose record was deleted; return the others."""
        records = self.enrollment_id._get_records().exists()
        gone = self.filtered(lambda trace: trace.res_id not in records.ids)
        gone._finish("cancelled", self.env._("The record was deleted."))
        gone.enrollment_id._close("cancelled", self.env._("The record was deleted."))
        return self - gone

    def _check_goal(self, journey):
        """Complete the enrollments whose record reached the journey's goal;
        return the traces still to run."""
        goal = journey._get_domain("goal_domain") if journey.goal_domain else Domain.FALSE
        if goal.is_false():
            return self
        records = self.enrollment_id._get_records()
        reached = set(records.filtered_domain(goal).ids)
        done = self.filtered(lambda trace: trace.res_id in reached)
        done.enrollment_id._close("completed", self.env._("Goal reached."))
        return self - done

    def _run_step(self, step):
        traces = self.filtered(
            lambda trace: trace.state == "scheduled" and trace.enrollment_id.state == "running"
        )
        if not traces:
            return
        try:
            with self.env.cr.savepoint():
                traces._run_step_batch(step)
        except Exception as error:  # noqa: BLE001 - one bad record must not stop the batch
            if len(traces) == 1:
                _logger.warning("Journey step %s failed on trace %s: %s", step.id, traces.id, error)
                traces._finish("error", str(error)[:500])
                return
            for trace in traces:
                trace._run_step(step)

    def _run_step_batch(self, step):
        condition = step._get_condition()
        traces = self
        if not condition.is_true():
            records = traces.enrollment_id._get_records()
            matching = set(records.filtered_domain(condition).ids)
            unmatched = traces.filtered(lambda trace: trace.res_id not in matching)
            unmatched._finish("skipped", self.env._("The condition of the step is not met."))
            traces -= unmatched
        if not traces:
            return
        failed = getattr(traces, f"_action_{step.action}")(step) or {}
        for (state, message), failed_traces in failed.items():
            failed_traces._finish(state, message)
            traces -= failed_traces
        traces._finish("done")
        if step.action != "exit":
            traces._schedule_children()

    def _finish(self, state, message=False):
        if self:
            self.write(
                {"state": state, "state_message": message, "date_done": fields.Datetime.now()}
            )

    def _schedule_children(self, trigger="parent"):
        now = fields.Datetime.now()
        vals_list = [
            {
                "enrollment_id": trace.enrollment_id.id,
                "parent_trace_id": trace.id,
                "step_id": child.id,
                "schedule_date": now + child._get_delta(),
            }
            for trace in self
            for child in trace.step_id.child_ids
            if child.trigger == trigger
        ]
        children = self.create(vals_list)
        children._trigger_execution()
        return children

    # ------------------------------------------------------------
    # STEP ACTIONS: each returns {(state, reason): traces} for the traces
    # that did not succeed; the others are done.
    # ------------------------------------------------------------

    def _action_email(self, step):
        journey = step.journey_id
        records = self.enrollment_id._get_records()
        emails = records._journey_get_emails()
        blacklisted = set(
            self.env["mail.blacklist"]
            .sudo()
            .search([("email", "in", [email for email in emails.values() if email])])
            .mapped("email")
        )
        no_email = self.filtered(lambda trace: not emails.get(trace.res_id))
        excluded = self.filtered(lambda trace: emails.get(trace.res_id) in blacklisted)
        to_send = self - no_email - excluded
        if to_send:
            composer = (
                self.env["mail.compose.message"]
                # recipients stay email addresses: no partner created per lead
                .with_context(mail_composer_force_partners=False)
                .create(
                    {
                        "composition_mode": "mass_mail",
                        "model": journey.model,
                        "res_ids": to_send.mapped("res_id"),
                        "template_id": step.mail_template_id.id,
                        "auto_delete": False,
                        "auto_delete_keep_log": True,
                        "force_send": False,
                        "mail_server_id": journey.mail_server_id.id,
                        "use_exclusion_list": False,
                    }
                )
            )
            mails = composer._action_send_mail()[0]
            mail_by_res_id = {mail.res_id: mail for mail in mails}
            for trace in to_send:
                mail = mail_by_res_id.get(trace.res_id)
                trace.write(
                    {"mail_message_id": mail.mail_message_id.id, "message_id": mail.message_id}
                )
            self.env.ref("mail.ir_cron_mail_scheduler_action")._trigger()
        return {
            ("error", self.env._("The record has no valid email address.")): no_email,
            ("skipped", self.env._("The email address is blacklisted.")): excluded,
        }

    def _action_activity(self, step):
        records = self.enrollment_id._get_records()
        users = records._journey_get_salespersons()
        model_id = self.env["ir.model"]._get_id(step.journey_id.model)
        activity_type = step.activity_type_id or self.env.ref("mail.mail_activity_data_todo")
        deadline = fields.Date.context_today(self) + relativedelta(days=step.activity_deadline_days)
        self.env["mail.activity"].sudo().create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": trace.res_id,
                    "activity_type_id": activity_type.id,
                    "summary": step.activity_summary or step.name,
                    "note": step.activity_note,
                    "date_deadline": deadline,
                    "user_id": (users.get(trace.res_id) or step.journey_id.create_uid).id,
                }
                for trace in self
            ]
        )

    def _action_server_action(self, step):
        records = self.enrollment_id._get_records()
        step.server_action_id.with_context(
            active_model=records._name, active_ids=records.ids, active_id=records[:1].id
        ).run()

    def _action_set_stage(self, step):
        self.enrollment_id._get_records()._journey_set_stage(step.stage_id)

    def _action_exit(self, step):
        self.enrollment_id._close(
            "exited", self.env._("Exit step '%(step)s' reached.", step=step.name)
        )

    # ------------------------------------------------------------
    # CRON
    # ------------------------------------------------------------

    @api.model
    def _process_due(self, limit=500):
        """Lock and execute up to ``limit`` due traces; return them."""
        traces = self._lock_due(limit)
        traces._execute()
        return traces

    @api.model
    def _cron_execute(self):
        """Execute due traces in batches, committing after each batch."""
        batch_size = int(
            self.env["ir.config_parameter"].sudo().get_param("mail_journey.batch_size", 500)
        )
        while traces := self._process_due(batch_size):
            if not self.env["ir.cron"]._commit_progress(len(traces), remaining=self._count_due()):
                break
