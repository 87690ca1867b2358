import logging

from odoo import api, fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from .mail_journey import ACTIVE_STATES

_logger = logging.getLogger(__name__)

# times the cron retries a batch that conflicted with a concurrent transaction
MAX_CONCURRENCY_RETRIES = 5
# the cron code that makes a cron one of the journey executors
EXECUTOR_CODE = "model._cron_execute()"


class MailJourneyEngine(models.AbstractModel):
    """The execution engine: it takes due traces (``mail.journey.trace``,
    storage and state) and runs them, apart from the models it works on.

    ``_cron_execute`` locks the due traces in batches (``FOR UPDATE SKIP
    LOCKED``: a second executor skips what a first one holds), runs each
    batch in one transaction and commits it through ``ir.cron``'s progress;
    a batch that meets a concurrent transaction is rolled back and run again
    whole. ``_execute`` runs the traces of a batch step by step through the
    delivery pipeline (``mail.journey.delivery``), which decides what runs
    now, later or never, and runs the step's action; a step batch that
    fails is run again record by record, so that one bad record fails only
    its own trace. Children are scheduled by the traces themselves
    (``_schedule_children``), at once or when the customer's event comes."""

    _name = "mail.journey.engine"
    _description = "Journey Execution Engine"

    @api.model
    def _trigger_executors(self, at=None):
        """Wake the executing crons (every active cron running
        ``_cron_execute``: they share the due traces) at ``at``."""
        self.env["ir.cron"]._journey_trigger_workers(self._name, EXECUTOR_CODE, at)

    @api.model
    def _lock_due(self, limit, after=None):
        """Return up to ``limit`` due traces of running journeys, locked for
        this transaction, in the order (schedule date, id); traces locked by
        another worker are skipped.

        :param after: a resume point of the cron run, the (schedule date, id)
            of the last trace it locked: only the traces after it are taken.
            The traces done earlier in the run stay in the due index until
            VACUUM, at its head: without it, each batch stepped over all of
            them (3 ms with none, 33 ms after 25,000, see bench/README.md).

        The running journeys are given as a list, not joined: joined, the
        planner expected few due traces to survive the join, so it read and
        sorted all of them (0.1 to 0.2 s per call with 25,000 due, growing
        with the queue); now it walks the due index in order and stops at
        ``limit``."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT trace.id
                  FROM mail_journey_trace trace
                  JOIN mail_journey_enrollment enrollment ON enrollment.id = trace.enrollment_id
                 WHERE trace.state = 'scheduled'
                   AND trace.schedule_date <= %(now)s
                   AND %(after)s
                   AND trace.journey_id = ANY(ARRAY(
                           SELECT journey.id FROM mail_journey journey
                            WHERE journey.state = 'running'))
                   AND enrollment.state != 'paused'
              ORDER BY trace.schedule_date, trace.id
                 LIMIT %(limit)s
                   FOR UPDATE OF trace SKIP LOCKED
                """,
                now=fields.Datetime.now(),
                after=SQL("(trace.schedule_date, trace.id) > (%s, %s)", *after)
                if after
                else SQL("TRUE"),
                limit=limit,
            ),
            # a concurrent executor's commit fails this query (REPEATABLE READ):
            # the caller runs it again, so it is not an error of the server log
            log_exceptions=False,
        )
        return self.env["mail.journey.trace"].browse(row[0] for row in self.env.cr.fetchall())

    @api.model
    def _count_due(self):
        return self.env["mail.journey.trace"].search_count(
            [
                ("state", "=", "scheduled"),
                ("schedule_date", "<=", fields.Datetime.now()),
                ("journey_id.state", "=", "running"),
                ("enrollment_id.state", "!=", "paused"),
            ]
        )

    @api.model
    def _execute(self, traces):
        """Execute ``traces`` (due and locked by the caller), each step's as
        one batch through the delivery pipeline."""
        traces = traces.filtered(lambda trace: trace.state == "scheduled")
        stale = traces.filtered(lambda trace: trace.enrollment_id.state not in ACTIVE_STATES)
        stale._finish("cancelled", self.env._("The enrollment is no longer running."))
        traces -= stale
        removed = traces.filtered(lambda trace: not trace.step_id.active)
        removed._finish("cancelled", self.env._("Step removed"))
        traces -= removed
        for step, step_traces in traces.grouped("step_id").items():
            self._run_step(step_traces, step)
        traces.enrollment_id._complete_finished()

    @api.model
    def _run_step(self, traces, step):
        """Run the traces of ``step`` as one batch; if it fails, record by
        record, so that one bad record fails only its own trace."""
        traces = traces.filtered(
            lambda trace: trace.state == "scheduled" and trace.enrollment_id.state == "running"
        )
        if not traces:
            return
        try:
            with self.env.cr.savepoint():
                self.env["mail.journey.delivery"]._run(traces, step)
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            # not the record's fault: the cron retries the whole batch
            raise
        except Exception as error:  # noqa: BLE001 - one bad record must not stop the batch
            if len(traces) == 1:
                _logger.warning("Journey step %s failed on trace %s: %s", step.id, traces.id, error)
                traces._finish("error", str(error)[:500])
                return
            for trace in traces:
                self._run_step(trace, step)

    @api.model
    def _process_due(self, limit=500):
        """Lock and execute up to ``limit`` due traces; return them."""
        traces = self._lock_due(limit)
        self._execute(traces)
        return traces

    @api.model
    def _cron_execute(self):
        """Execute due traces in batches, committing after each batch, then
        complete the enrollments whose time to engage is over."""
        batch_size = int(
            self.env["ir.config_parameter"].sudo().get_param("mail_journey.batch_size", 500)
        )
        conflicts, remaining = 0, 0
        resume = None  # (schedule date, id) of the last trace locked in this run
        while True:
            try:
                traces = self._lock_due(batch_size, after=resume)
                if not traces and resume:
                    # the run ends with a lock from the head of the queue, so
                    # that nothing due is left for the next run: traces another
                    # executor held and released, or scheduled meanwhile
                    # before the resume point (a retry, a resumed enrollment)
                    resume = None
                    traces = self._lock_due(batch_size)
                last = traces[-1:]
                # read before the steps run: a step may postpone its trace
                locked_last = (last.schedule_date, last.id) if last else None
                self._execute(traces)
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                # another executor committed some of these traces after this
                # transaction began (REPEATABLE READ), or a user changed a record
                # of the batch: nothing of the batch is kept, a new transaction
                # locks and runs again what is still due
                conflicts += 1
                if conflicts > MAX_CONCURRENCY_RETRIES:
                    raise
                self.env.cr.rollback()
                self.env.invalidate_all()
                continue
            resume = locked_last
            conflicts = 0
            if not traces:
                if remaining:
                    # nothing left that this executor can lock
                    self.env["ir.cron"]._commit_progress(remaining=0)
                break
            # counting the due traces scans all of them (joined to their
            # journey and enrollment): it is done again only when the
            # estimate runs out, not after every batch, where it was the one
            # statement of the cron that grew with the size of the queue
            remaining -= len(traces)
            if remaining <= 0:
                remaining = self._count_due()
            if not self.env["ir.cron"]._commit_progress(len(traces), remaining=remaining):
                # rescheduled by the cron runner, which wakes no idle cron
                # worker: without a trigger the rest could wait a minute
                self._trigger_executors()
                return
        self._complete_idle()

    @api.model
    def _complete_idle(self):
        """Complete the idle enrollments (``_complete_idle``), run again in a
        new transaction when another executor completed some of them after
        this one began."""
        return self._run_retrying(self.env["mail.journey.enrollment"]._complete_idle)

    @api.model
    def _run_retrying(self, function):
        """Return ``function()``, run again in a new transaction (at most
        ``MAX_CONCURRENCY_RETRIES`` times) when it meets a row that another
        transaction updated after this one began: the crons' bookkeeping
        that other executors and tracking requests touch meanwhile."""
        for _attempt in range(MAX_CONCURRENCY_RETRIES):
            try:
                return function()
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                self.env.cr.rollback()
                self.env.invalidate_all()
        return function()
