"""Exactly-once execution of journey traces: the executing cron run in
several processes at once, and an executing process killed mid-batch."""

import os
import signal
import time

from .reliability_common import EXECUTE_CRONS, ReliabilityCase


class TestConcurrentExecution(ReliabilityCase):
    SIZE = int(os.environ.get("RELIABILITY_TRACES", 5000))

    def test_two_executors_run_each_trace_once(self):
        """5,000 due traces, executed at once by two Odoo processes of our
        own and by the server's two cron workers (woken by the enrollment):
        each trace runs once, none is left due, and the locks that conflict
        (run again by the executor) leave no error in the log."""
        self.set_crons_active(EXECUTE_CRONS, True)
        journey, leads = self.make_due_traces("concurrency", self.SIZE)
        executors = [self.execute_in_shell(batch=100) for _ in range(2)]
        done = []
        for executor in executors:
            out, err = executor.communicate(timeout=1200)
            self.assertEqual(executor.returncode, 0, err[-3000:])
            # a lock that conflicts with the other executors is run again, not logged
            self.assertNotIn("SKIP LOCKED", err, "the conflicting lock is no server error")
            done.append(int(out.split("RESULT")[-1]))
        # the server's cron workers may still hold a batch: wait for it
        deadline = time.monotonic() + 300
        while self.trace_states(journey).get("scheduled") and time.monotonic() < deadline:
            time.sleep(2)
        self.assertTrue(all(done), f"both processes executed traces concurrently: {done}")
        self.assert_executed_once(journey, leads, "concurrency")


class TestCrashDuringExecution(ReliabilityCase):
    SIZE = 2000

    def test_killed_executor_loses_and_repeats_nothing(self):
        """SIGKILL of the executing process in the middle of a batch: the
        batch in progress is rolled back with its emails, the committed ones
        stay; a new run executes the rest, each trace once."""
        # only our processes execute traces in this test
        self.set_crons_active(EXECUTE_CRONS, False)
        self.addCleanup(self.set_crons_active, EXECUTE_CRONS, True)
        journey, leads = self.make_due_traces("crash", self.SIZE)
        executor = self.execute_in_shell(batch=200)
        # kill it once a few batches are committed: it is then inside the next one
        deadline = time.monotonic() + 600
        while self.trace_states(journey).get("done", 0) < 600:
            self.assertIsNone(executor.poll(), "the executor ended before it was killed")
            self.assertLess(time.monotonic(), deadline, "the executor makes no progress")
            time.sleep(0.2)
        os.kill(executor.pid, signal.SIGKILL)
        executor.communicate()
        states = self.trace_states(journey)
        self.assertTrue(states["scheduled"], f"killed before the end: {states}")
        self.assertEqual(states["done"] + states["scheduled"], self.SIZE, states)
        mails = self.rpc(
            "mail.mail", "search_count", [("model", "=", "crm.lead"), ("res_id", "in", leads)]
        )
        self.assertEqual(mails, states["done"], "no email of the killed batch survived")

        restarted = self.execute_in_shell(batch=200)
        out, err = restarted.communicate(timeout=1200)
        self.assertEqual(restarted.returncode, 0, err[-3000:])
        self.assertEqual(int(out.split("RESULT")[-1]), states["scheduled"], "the rest, once")
        self.assert_executed_once(journey, leads, "crash")
