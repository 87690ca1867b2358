from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models, tools
from odoo.fields import Domain
from odoo.tools import SQL, clean_context

from ..tools.assignment import bucket
from .mail_journey import ACTIVE_STATES
from .mail_journey_step import POSITIVE_TRIGGERS

WAITING_TRIGGERS = {*POSITIVE_TRIGGERS, "event"}


def insert_rows(model, rows, conflict=None, returning=()):
    """Insert ``rows`` (dicts of column values, the same keys in each) in
    the table of ``model`` with one ``INSERT``, with the log columns and the
    defaults of the model's other stored fields as ``create`` sets them;
    the stored computed fields not given are marked to compute.

    :param conflict: the unique index (columns and predicate) whose
        conflicts are skipped (``ON CONFLICT ... DO NOTHING``)
    :return: the new ids in the order of ``rows``; with ``returning``
        (columns), {values of those columns: id} of the rows inserted
    """
    env = model.env
    columns = list(rows[0])
    fields_ = model._fields
    missing = [
        name
        for name, field in fields_.items()
        if field.store
        and field.column_type
        and name not in columns
        and name not in ("id", *models.LOG_ACCESS_COLUMNS)
    ]
    defaults = {
        name: fields_[name].convert_to_column_insert(value, model)
        for name, value in model.with_context(clean_context(env.context))
        .default_get([name for name in missing if not fields_[name].compute])
        .items()
        if name in missing
    }
    now, uid = env.cr.now(), env.uid
    extra = {**defaults, "create_uid": uid, "create_date": now, "write_uid": uid, "write_date": now}
    names = columns + list(extra)
    env.cr.execute(
        SQL(
            "INSERT INTO %s (%s) VALUES %s %s RETURNING %s",
            SQL.identifier(model._table),
            SQL(", ").join(map(SQL.identifier, names)),
            SQL(", ").join(tuple(row.values()) + tuple(extra.values()) for row in rows),
            SQL("ON CONFLICT %s DO NOTHING", conflict) if conflict else SQL(),
            SQL(", ").join(map(SQL.identifier, ("id", *returning))),
        )
    )
    result = env.cr.fetchall()
    ids = [row[0] for row in result]
    for name in missing:
        if fields_[name].compute:
            env.add_to_compute(fields_[name], model.browse(ids))
    if returning:
        return {tuple(row[1:]): row[0] for row in result}
    return ids


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
    idle_deadline = fields.Datetime(
        string="Completes On",
        compute="_compute_idle_deadline",
        store=True,
        index="btree_not_null",
        help="When the running enrollment completes if no other step gets scheduled: once "
        "the time to engage with its last emails is over. Empty while a step is scheduled.",
    )
    pause_until = fields.Datetime(
        string="Paused Until",
        readonly=True,
        help="A pause after a personal contact of the salesperson, or a colleague's reply, "
        "ends at this date; a manual pause has none.",
    )
    pause_reason = fields.Char(readonly=True)
    # B2B selling: the company the record belongs to, and the measured lift
    account_key = fields.Char(
        string="Company Key",
        compute="_compute_account_key",
        store=True,
        index="btree_not_null",
        help="The company the contact belongs to when it entered: its commercial entity, "
        "else its business email domain (free-mail addresses have none).",
    )
    is_holdout = fields.Boolean(
        string="Hold-out",
        compute="_compute_is_holdout",
        store=True,
        help="In the journey's control group: goes through the journey without its emails.",
    )

    _unique_running = models.UniqueIndex(
        "(journey_id, res_id) WHERE state IN ('running', 'paused')",
        "A record runs at most once at a time in a journey.",
    )
    # the enrollments of a record: its form, its chatter, its journey buttons
    _record_index = models.Index("(res_model, res_id)")

    @api.depends("lead_id.user_id", "order_id.user_id")
    def _compute_user_id(self):
        for enrollment in self:
            enrollment.user_id = enrollment.order_id.user_id or enrollment.lead_id.user_id

    @api.depends("res_model", "res_id")
    def _compute_account_key(self):
        for model, enrollments in self.grouped("res_model").items():
            keys = enrollments._get_records()._journey_get_account_keys() if model else {}
            for enrollment in enrollments:
                enrollment.account_key = keys.get(enrollment.res_id, False)

    @api.depends("journey_id", "res_model", "res_id")
    def _compute_is_holdout(self):
        """Deterministic: the same record always falls in the same group of
        a journey, whatever the order or the time it enters. The share is
        read when the record enters; changing it later moves nobody."""
        for enrollment in self:
            share = enrollment.journey_id.holdout_percent
            enrollment.is_holdout = bool(share) and enrollment._get_holdout_bucket() < share

    @api.depends("trace_ids.state", "trace_ids.schedule_date")
    def _compute_next_trace(self):
        for enrollment in self:
            scheduled = enrollment.trace_ids.filtered(lambda trace: trace.state == "scheduled")
            first = scheduled.sorted("schedule_date")[:1]
            enrollment.next_trace_date = first.schedule_date
            enrollment.next_step_id = first.step_id

    @api.depends(
        "state",
        "date_start",
        "journey_id.engagement_days",
        "trace_ids.state",
        "trace_ids.date_done",
        "trace_ids.step_id.child_ids.trigger",
    )
    def _compute_idle_deadline(self):
        """A running enrollment with no trace scheduled completes at the
        latest of: its start, the end of its last finished step, and, for
        each email whose branches wait for what the customer does (opened,
        clicked, replied, bounced, external event), the date it was done
        plus the journey's ``engagement_days``. A scheduled trace empties
        the date (the executor completes the enrollment after running it),
        and so does any other state than running.

        Computed from the traces in two grouped queries per batch of
        enrollments, whatever their number of traces, so that the executor
        finds the enrollments to complete by this indexed date alone."""
        running = self.filtered(lambda enrollment: enrollment.state == "running" and enrollment.id)
        (self - running).idle_deadline = False
        if not running:
            return
        Trace = self.env["mail.journey.trace"]
        of_running = Domain("enrollment_id", "in", running.ids)
        scheduled, last_done = set(), defaultdict(list)
        for enrollment, state, date_done in Trace._read_group(
            of_running, ["enrollment_id", "state"], ["date_done:max"]
        ):
            if state == "scheduled":
                scheduled.add(enrollment.id)
            elif date_done:
                last_done[enrollment.id].append(date_done)
        waiting = {
            enrollment.id: date_done
            for enrollment, date_done in Trace._read_group(
                of_running
                & Domain("state", "=", "done")
                & Domain("step_id.child_ids.trigger", "in", list(WAITING_TRIGGERS)),
                ["enrollment_id"],
                ["date_done:max"],
            )
        }
        for enrollment in running:
            if enrollment.id in scheduled:
                enrollment.idle_deadline = False
                continue
            dates = [enrollment.date_start, *last_done[enrollment.id]]
            if waited := waiting.get(enrollment.id):
                dates.append(waited + relativedelta(days=enrollment.journey_id.engagement_days))
            enrollment.idle_deadline = max(dates)

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
        self._check_user_may_act()
        # enrollments are the engine's bookkeeping: written once the user's right is checked
        self.sudo()._cancel_by_user()
        return True

    def action_pause(self):
        """Hold the pending steps of these enrollments until they resume."""
        self._check_user_may_act()
        self.sudo()._pause()
        return True

    def action_resume(self):
        """Resume paused enrollments: their overdue steps become due now."""
        self._check_user_may_act()
        self.sudo()._resume()
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

    def _check_user_may_act(self):
        """A user stops, pauses or resumes the enrollments they can read, of
        records they may edit.

        :raise AccessError: otherwise
        """
        self.check_access("read")
        for model, enrollments in self.grouped("res_model").items():
            self.env[model].browse(enrollments.mapped("res_id")).exists().check_access("write")

    def _cancel_by_user(self):
        self.filtered(lambda enrollment: enrollment.state in ACTIVE_STATES)._close(
            "cancelled",
            self.env._("Stopped by %(user)s.", user=self.env.user.name),
        )

    def _pause(self):
        self.filtered(lambda enrollment: enrollment.state == "running").write(
            {"state": "paused", "pause_until": False, "pause_reason": False}
        )

    def _resume(self):
        paused = self.filtered(lambda enrollment: enrollment.state == "paused")
        paused.write({"state": "running", "pause_until": False, "pause_reason": False})
        paused.trace_ids._reschedule_overdue()

    def _get_records(self):
        """Return the enrolled records; all enrollments share one model."""
        if not self:
            return self.env["crm.lead"]
        return self.env[self[0].res_model].browse(self.mapped("res_id"))

    @api.model
    def _create_running(self, journeys, records):
        """Enroll ``records[i]`` in ``journeys[i]`` with the traces of the
        journey's root steps; return the enrollments created and the date of
        their earliest trace (or None).

        One multi-row ``INSERT`` per model, the stored computed values worked
        out here from data read once for the batch (what their compute
        methods give for a new running enrollment, see
        ``TestJourneyBulkEnrollment``): the ORM's ``create`` cost 2 ms per
        enrollment and trace. A record already running in the journey (a
        concurrent enrollment) is skipped by the unique index, not raised.
        The caller wakes the cron."""
        if not records:
            return self.browse(), None
        self.env.flush_all()
        now = fields.Datetime.now()
        records = records.sudo()
        account_keys = records._journey_get_account_keys()
        links = [
            journey._get_enrollment_links(record)
            for journey, record in zip(journeys, records, strict=True)
        ]
        # the salesperson: the order's, else the lead's (_compute_user_id)
        users = {
            (model, record.id): record.user_id.id
            for model, ids in (
                ("sale.order", {link.get("order_id") for link in links} - {False, None}),
                ("crm.lead", {link.get("lead_id") for link in links} - {False, None}),
            )
            for record in self.env[model].sudo().browse(ids)
        }
        roots = {
            journey.id: [
                (step, now + step._get_delta()) for step in journey.step_ids if not step.parent_id
            ]
            for journey in set(journeys)
        }
        rows = []
        for journey, record, link in zip(journeys, records, links, strict=True):
            first = min(roots[journey.id], key=lambda root: root[1], default=(None, None))
            share = journey.holdout_percent
            rows.append(
                {
                    "journey_id": journey.id,
                    "company_id": journey.company_id.id,
                    "res_model": journey.model,
                    "res_id": record.id,
                    "lead_id": link.get("lead_id") or None,
                    "order_id": link.get("order_id") or None,
                    "partner_id": link.get("partner_id") or None,
                    "user_id": users.get(("sale.order", link.get("order_id")))
                    or users.get(("crm.lead", link.get("lead_id")))
                    or None,
                    "state": "running",
                    "date_start": now,
                    "next_trace_date": first[1],
                    "next_step_id": first[0] and first[0].id,
                    # no step scheduled: done once it started (_compute_idle_deadline)
                    "idle_deadline": None if first[0] else now,
                    "account_key": account_keys.get(record.id) or None,
                    "is_holdout": bool(share)
                    and bucket(f"{journey.id}:{journey.model}:{record.id}") < share,
                }
            )
        # the unique index of running enrollments: a record enrolled meanwhile
        # by a concurrent transaction is left out (after it commits)
        returned = insert_rows(
            self,
            rows,
            conflict=SQL("(journey_id, res_id) WHERE state IN ('running', 'paused')"),
            returning=("journey_id", "res_id"),
        )
        inserted = [returned.get((row["journey_id"], row["res_id"])) for row in rows]
        Trace = self.env["mail.journey.trace"]
        trace_rows = [
            {
                "enrollment_id": enrollment_id,
                "step_id": step.id,
                "schedule_date": date,
                "state": "scheduled",
                "journey_id": row["journey_id"],
                "company_id": row["company_id"],
                "step_action": step.action,
                "res_model": row["res_model"],
                "res_id": row["res_id"],
                "lead_id": row["lead_id"],
                "order_id": row["order_id"],
                "partner_id": row["partner_id"],
            }
            for row, enrollment_id in zip(rows, inserted, strict=True)
            if enrollment_id
            for step, date in roots[row["journey_id"]]
        ]
        enrollments = self.browse(enrollment_id for enrollment_id in inserted if enrollment_id)
        if trace_rows:
            insert_rows(Trace, trace_rows)
        # what the ORM caches about enrollments and traces (the journeys' and
        # steps' lists and statistics, the records' journey fields) is stale
        for model in ("mail.journey", "mail.journey.step", self._name, Trace._name):
            self.env[model].invalidate_model()
        records.invalidate_recordset()
        return enrollments, min((row["schedule_date"] for row in trace_rows), default=None)

    def _close(self, state, reason):
        """End the enrollments: their pending traces are cancelled."""
        if not self:
            return
        # closing is the engine's bookkeeping, whoever's action or event ends the journey
        enrollments = self.sudo()
        enrollments.write(
            {"state": state, "exit_reason": reason, "date_end": fields.Datetime.now()}
        )
        # the pending traces only: a long enrollment's history stays unread
        enrollments.env["mail.journey.trace"].search(
            [("enrollment_id", "in", self.ids), ("state", "=", "scheduled")]
        ).write({"state": "cancelled", "state_message": reason})
        # approvals waiting for anyone (e.g. a team leader) end with the enrollment
        enrollments.env["mail.journey.approval"].search(
            [("trace_id.enrollment_id", "in", self.ids)]
        )._cancel_open(reason)

    def _complete_finished(self):
        """Complete the running enrollments that have no step left to run nor
        an email whose engagement branches still wait for the customer (their
        ``idle_deadline`` is past), and move their records to the journey's
        end stage."""
        now = fields.Datetime.now()
        finished = self.filtered(
            lambda enrollment: enrollment.state == "running"
            and enrollment.idle_deadline
            and enrollment.idle_deadline <= now
        )
        finished._close("completed", self.env._("All steps done."))
        for (journey, _model), enrollments in finished.grouped(
            lambda enrollment: (enrollment.journey_id, enrollment.res_model)
        ).items():
            if journey.end_stage_id:
                enrollments._get_records()._journey_set_stage(journey.end_stage_id)
        return finished

    @api.model
    def _complete_idle(self, limit=1000):
        """Complete up to ``limit`` enrollments left with nothing scheduled,
        once the customer's time to engage is over (found by their indexed
        ``idle_deadline``, none of their traces read); return them. The
        enrollments another executor is completing are skipped."""
        self.flush_model(["state", "idle_deadline"])
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM mail_journey_enrollment
                 WHERE state = 'running' AND idle_deadline <= %(now)s
              ORDER BY idle_deadline, id
                 LIMIT %(limit)s
                   FOR UPDATE SKIP LOCKED
                """,
                now=fields.Datetime.now(),
                limit=limit,
            )
        )
        idle = self.browse(row[0] for row in self.env.cr.fetchall())
        if len(idle) == limit:
            # more of them: the executors' next run goes on with the rest
            self.env["mail.journey.engine"]._trigger_executors()
        return idle._complete_finished()

    # ------------------------------------------------------------
    # B2B SELLING
    # ------------------------------------------------------------

    def _get_holdout_bucket(self):
        """A number in [0, 100) drawn from the journey and the record: the
        bucket (``tools.assignment.bucket``) of "<journey id>:<model>:<id>"."""
        self.ensure_one()
        return bucket(f"{self.journey_id.id}:{self.res_model}:{self.res_id}")

    def _journey_pause_for(self, hours, reason):
        """Pause the active enrollments of ``self`` for ``hours`` (extending a
        timed pause, never shortening it; manual pauses stay manual)."""
        until = fields.Datetime.now() + timedelta(hours=hours)
        to_pause = self.filtered(
            lambda enrollment: enrollment.state == "running"
            or (enrollment.state == "paused" and enrollment.pause_until)
        ).filtered(lambda enrollment: not enrollment.pause_until or enrollment.pause_until < until)
        if not to_pause:
            return to_pause
        to_pause.write({"state": "paused", "pause_until": until, "pause_reason": reason})
        self.env.ref("mail_journey_automation.ir_cron_mail_journey_resume")._trigger(until)
        return to_pause

    def _journey_pause_on_contact(self, reason):
        """The salesperson contacted the customer personally: pause the
        enrollments for their journey's contact pause."""
        paused = self.browse()
        for hours, enrollments in self.grouped(
            lambda enrollment: enrollment.journey_id.contact_pause_hours
        ).items():
            if hours:
                paused |= enrollments._journey_pause_for(hours, reason)
        return paused

    def _journey_coordinate_account(self, event):
        """One contact of a company acted (``event``: "reply" or "deal"):
        the active enrollments of the company's other contacts continue,
        pause or stop, as their journey says (in the journeys of the same
        company as the contact's journey only)."""
        accounts = {
            (enrollment.company_id.id, enrollment.account_key)
            for enrollment in self
            if enrollment.account_key
        }
        if accounts:
            self._journey_apply_account_policy(
                accounts,
                event,
                set(self.lead_id.ids),
                {(enrollment.res_model, enrollment.res_id) for enrollment in self},
            )

    @api.model
    def _journey_apply_account_policy(self, accounts, event, lead_ids, records=()):
        """Apply the journeys' policy for ``event`` to the active enrollments
        of the ``accounts`` ((company id, account key) pairs: a customer's
        company as seen by one of our companies), except those of the leads
        ``lead_ids`` and of the ``records`` ((model, id) pairs): the contact
        who acted. A customer's reply or deal in one of our companies never
        pauses or stops the journeys of another."""
        policy_field = "account_reply_policy" if event == "reply" else "account_deal_policy"
        keys_by_company = defaultdict(set)
        for company_id, key in accounts:
            keys_by_company[company_id].add(key)
        # the company's other contacts may be other salespeople's
        others = (
            self.sudo()
            .search(
                Domain.OR(
                    Domain("company_id", "=", company_id) & Domain("account_key", "in", list(keys))
                    for company_id, keys in keys_by_company.items()
                )
                & Domain("state", "in", ACTIVE_STATES)
                & Domain("journey_id." + policy_field, "in", ("pause", "stop"))
            )
            .filtered(
                lambda enrollment: enrollment.lead_id.id not in lead_ids
                and (enrollment.res_model, enrollment.res_id) not in records
            )
        )
        reason = (
            self.env._("A colleague at the same company replied.")
            if event == "reply"
            else self.env._("A deal of the same company was won or lost.")
        )
        by_policy = others.grouped(lambda enrollment: enrollment.journey_id[policy_field])
        by_policy.get("stop", self.browse())._close("exited", reason)
        to_pause = by_policy.get("pause", self.browse())
        for hours, enrollments in to_pause.grouped(
            lambda enrollment: enrollment.journey_id.contact_pause_hours
        ).items():
            if hours:
                enrollments._journey_pause_for(hours, reason)
            else:
                enrollments.filtered(lambda enrollment: enrollment.state == "running").write(
                    {"state": "paused", "pause_reason": reason}
                )

    @api.model
    def _cron_resume_paused(self):
        """Resume the enrollments whose timed pause is over."""
        enrollments = self.search(
            [("state", "=", "paused"), ("pause_until", "<=", fields.Datetime.now())]
        )
        for batch in tools.split_every(500, enrollments.ids, self.browse):
            batch._resume()
            if not self.env["ir.cron"]._commit_progress(len(batch)):
                break
