import hashlib
import math
from collections import Counter
from datetime import date, datetime

from dateutil.relativedelta import relativedelta

from odoo.tests import BaseCase, tagged

from odoo.addons.mail_journey_automation.tools import machine
from odoo.addons.mail_journey_automation.tools.assignment import bucket, pick_weighted, position
from odoo.addons.mail_journey_automation.tools.free_mail import (
    FREE_MAIL_DOMAINS,
    business_domain,
    free_mail_domains,
)
from odoo.addons.mail_journey_automation.tools.intervals import INTERVAL_UNITS, interval_delta
from odoo.addons.mail_journey_automation.tools.statistics import (
    Z_95,
    mean_lift,
    proportion_lift,
    two_proportion_p_value,
    two_proportion_z,
)

from .common import BROWSER, PERSON_IP


@tagged("post_install", "-at_install", "mail_journey")
class TestToolsIntervals(BaseCase):
    """Waiting times and date offsets, without a database."""

    def test_units_are_relativedelta_keywords(self):
        self.assertEqual(
            [unit for unit, _label in INTERVAL_UNITS],
            ["minutes", "hours", "days", "weeks", "months"],
        )
        for unit, _label in INTERVAL_UNITS:
            self.assertEqual(interval_delta(1, unit), relativedelta(**{unit: 1}))

    def test_short_intervals(self):
        start = datetime(2026, 3, 2, 9, 30)
        self.assertEqual(start + interval_delta(90, "minutes"), datetime(2026, 3, 2, 11, 0))
        self.assertEqual(start + interval_delta(36, "hours"), datetime(2026, 3, 3, 21, 30))
        self.assertEqual(start + interval_delta(2, "weeks"), datetime(2026, 3, 16, 9, 30))
        self.assertEqual(start + interval_delta(-3, "days"), datetime(2026, 2, 27, 9, 30))

    def test_months_follow_the_calendar(self):
        self.assertEqual(date(2026, 1, 31) + interval_delta(1, "months"), date(2026, 2, 28))
        self.assertEqual(date(2024, 1, 31) + interval_delta(1, "months"), date(2024, 2, 29))
        self.assertEqual(date(2026, 3, 31) + interval_delta(-1, "months"), date(2026, 2, 28))
        self.assertEqual(date(2026, 11, 15) + interval_delta(3, "months"), date(2027, 2, 15))

    def test_empty_number_is_no_wait(self):
        self.assertEqual(interval_delta(False, "days"), relativedelta())
        self.assertEqual(interval_delta(None, "months"), relativedelta())

    def test_unknown_unit_is_refused(self):
        with self.assertRaisesRegex(ValueError, "years"):
            interval_delta(1, "years")


@tagged("post_install", "-at_install", "mail_journey")
class TestToolsAssignment(BaseCase):
    """Hash-based hold-out buckets and A/B positions, without a database."""

    def test_bucket_known_values(self):
        """Frozen: a change would move running journeys' records to the
        other group."""
        self.assertEqual(bucket("1:crm.lead:1"), 18)
        self.assertEqual(bucket("1:crm.lead:2"), 57)
        self.assertEqual(bucket("42:sale.order:7"), 49)
        self.assertEqual(bucket("1:crm.lead:1", size=7), 4)
        for seed in ("1:crm.lead:1", "42:sale.order:7", "9:crm.lead:123456"):
            self.assertEqual(
                bucket(seed), int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16) % 100
            )

    def test_bucket_spread(self):
        buckets = Counter(bucket(f"3:crm.lead:{res_id}") // 10 for res_id in range(10000))
        self.assertEqual(set(buckets), set(range(10)))
        # each tenth holds about 1,000 seeds: 4 standard deviations of a binomial count
        tolerance = 4 * math.sqrt(10000 * 0.1 * 0.9)
        for count in buckets.values():
            self.assertLess(abs(count - 1000), tolerance)

    def test_position_known_values(self):
        self.assertAlmostEqual(position("1-7"), 0.21706524862245277, places=15)
        self.assertAlmostEqual(position("2-7"), 0.11254924061768326, places=15)
        self.assertAlmostEqual(position("1-8"), 0.3686320143589826, places=15)
        digest = hashlib.sha256(b"1-7").digest()
        self.assertEqual(position("1-7"), int.from_bytes(digest[:8], "big") / 2**64)

    def test_pick_weighted_slices(self):
        self.assertEqual(pick_weighted(0.0, [3, 1]), 0)
        self.assertEqual(pick_weighted(0.7499, [3, 1]), 0)
        self.assertEqual(pick_weighted(0.75, [3, 1]), 1)
        self.assertEqual(pick_weighted(0.9999, [3, 1]), 1)
        self.assertEqual(pick_weighted(0.5, [0, 2, 0]), 1, "zero weights get no slice")
        self.assertEqual(pick_weighted(1.0, [1, 0]), 0, "past the end: the last weighted slice")
        self.assertIsNone(pick_weighted(0.5, []))
        self.assertIsNone(pick_weighted(0.5, [0, 0]))
        with self.assertRaises(ValueError):
            pick_weighted(0.5, [2, -1])

    def test_pick_weighted_distribution(self):
        """10,000 enrollments over weights 1, 0, 2, 1: shares 25%, 0%, 50%,
        25%, each count within 4 standard deviations of a binomial count
        (fails by chance with probability about 1e-4)."""
        weights = [1, 0, 2, 1]
        count = 10000
        picks = Counter(
            pick_weighted(position(f"{enrollment}-9"), weights) for enrollment in range(count)
        )
        self.assertNotIn(1, picks)
        for index, share in ((0, 0.25), (2, 0.5), (3, 0.25)):
            tolerance = 4 * math.sqrt(count * share * (1 - share))
            self.assertLess(abs(picks[index] - count * share), tolerance, f"index {index}")


@tagged("post_install", "-at_install", "mail_journey")
class TestToolsStatistics(BaseCase):
    """A/B z-test and lift confidence intervals, without a database."""

    def test_z_test_hand_computed(self):
        """50/200 against 30/200: pooled rate 80/400 = 0.2, standard error
        sqrt(0.2 * 0.8 * (1/200 + 1/200)) = 0.04, difference 0.10: z = 2.5,
        two-sided p = 2 * (1 - Phi(2.5)) = 2 * 0.0062097 = 0.0124193."""
        self.assertAlmostEqual(two_proportion_z(50, 200, 30, 200), 2.5)
        self.assertAlmostEqual(two_proportion_z(30, 200, 50, 200), -2.5)
        self.assertAlmostEqual(two_proportion_p_value(50, 200, 30, 200), 0.0124193, places=6)
        self.assertAlmostEqual(two_proportion_p_value(30, 200, 50, 200), 0.0124193, places=6)

    def test_z_test_larger_samples(self):
        """300/1000 against 240/1000: pooled 0.27, standard error
        sqrt(0.27 * 0.73 * 0.002) = 0.019855, z = 0.06 / 0.019855 = 3.0220,
        p = 0.00251."""
        self.assertAlmostEqual(two_proportion_z(300, 1000, 240, 1000), 3.0220, places=4)
        self.assertAlmostEqual(two_proportion_p_value(300, 1000, 240, 1000), 0.00251, places=5)

    def test_z_test_undefined(self):
        self.assertIsNone(two_proportion_z(0, 0, 3, 10))
        self.assertEqual(two_proportion_p_value(0, 0, 3, 10), 1.0, "empty sample")
        self.assertEqual(two_proportion_p_value(0, 10, 0, 10), 1.0, "nobody succeeded")
        self.assertEqual(two_proportion_p_value(10, 10, 5, 5), 1.0, "everybody succeeded")
        self.assertEqual(two_proportion_p_value(4, 10, 4, 10), 1.0, "same rate")

    def test_proportion_interval_hand_computed(self):
        """Treated 30/100, hold-out 20/100: difference 0.10, standard error
        sqrt(0.3*0.7/100 + 0.2*0.8/100) = sqrt(0.0037) = 0.060828, times
        1.959964 = 0.119220: interval [-0.019220, 0.219220]."""
        p_a, p_b, diff, low, high = proportion_lift(30, 100, 20, 100)
        self.assertAlmostEqual(p_a, 0.3)
        self.assertAlmostEqual(p_b, 0.2)
        self.assertAlmostEqual(diff, 0.1)
        self.assertAlmostEqual(low, -0.019220, places=5)
        self.assertAlmostEqual(high, 0.219220, places=5)
        self.assertIsNone(proportion_lift(3, 10, 0, 0), "no hold-out, no lift")
        self.assertIsNone(proportion_lift(0, 0, 3, 10), "nobody treated, no lift")

    def test_mean_interval_hand_computed(self):
        """Treated 1, 2, 3 (sum 6, squares 14): mean 2, variance 1; hold-out
        1, 1 (sum 2, squares 2): mean 1, variance 0. Difference 1, error
        1.959964 * sqrt(1/3) = 1.131586."""
        mean_a, mean_b, diff, low, high = mean_lift(6, 14, 3, 2, 2, 2)
        self.assertEqual((mean_a, mean_b), (2, 1))
        self.assertAlmostEqual(diff, 1)
        self.assertAlmostEqual(low, 1 - 1.131586, places=5)
        self.assertAlmostEqual(high, 1 + 1.131586, places=5)
        self.assertIsNone(mean_lift(10, 100, 1, 0, 0, 5), "one treated value has no variance")

    def test_z_95_is_the_normal_quantile(self):
        self.assertAlmostEqual(math.erfc(Z_95 / math.sqrt(2)), 0.05, places=6)


@tagged("post_install", "-at_install", "mail_journey")
class TestToolsMachine(BaseCase):
    """Machine opens and clicks, without a database."""

    def test_person(self):
        self.assertIsNone(machine.client_machine_reason(BROWSER, PERSON_IP))
        self.assertIsNone(machine.machine_reason(BROWSER, PERSON_IP))
        self.assertIsNone(
            machine.machine_reason(
                BROWSER,
                PERSON_IP,
                click=True,
                seconds_since_sent=3600,
                seconds_since_other_click=60,
            )
        )

    def test_user_agents(self):
        for user_agent, matched in (
            ("python-requests/2.31", "python-requests"),
            ("curl/8.5.0", "curl/"),
            ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "bot"),
            ("Mozilla/5.0 (Windows NT 10.0) Microsoft Office/16.0 (Outlook)", "Microsoft Office"),
            ("Mozilla/5.0 HeadlessChrome/126.0", "Headless"),
            ("facebookexternalhit/1.1", "facebookexternalhit"),
        ):
            self.assertEqual(
                machine.client_machine_reason(user_agent, PERSON_IP),
                (machine.USER_AGENT, matched),
                user_agent,
            )
        self.assertEqual(
            machine.client_machine_reason("", PERSON_IP), (machine.NO_USER_AGENT, None)
        )
        self.assertEqual(machine.client_machine_reason(None, None).code, machine.NO_USER_AGENT)

    def test_networks(self):
        for ip, network in (
            ("17.58.100.1", "Apple Mail Privacy Protection"),
            ("40.93.255.255", "Microsoft Defender / Safe Links"),
            ("104.47.127.1", "Microsoft Defender / Safe Links"),
            ("205.139.110.30", "Mimecast"),
            ("148.163.150.2", "Proofpoint"),
            ("209.222.87.255", "Barracuda"),
        ):
            self.assertEqual(
                machine.client_machine_reason(BROWSER, ip), (machine.NETWORK, network), ip
            )
        for ip in ("40.94.0.1", "104.47.128.1", "18.0.0.1", "2001:db8::1", "unknown", "", None):
            self.assertIsNone(machine.client_machine_reason(BROWSER, ip), ip)

    def test_click_timing(self):
        self.assertEqual(
            machine.click_machine_reason(seconds_since_sent=3.7),
            (machine.CLICK_AFTER_SENDING, 3),
        )
        self.assertEqual(machine.click_machine_reason(9.99).detail, 9)
        self.assertIsNone(machine.click_machine_reason(machine.MACHINE_CLICK_SECONDS))
        self.assertEqual(
            machine.click_machine_reason(3600, seconds_since_other_click=2),
            (machine.CLICK_BURST, None),
        )
        self.assertEqual(machine.click_machine_reason(3600, 5).code, machine.CLICK_BURST)
        self.assertIsNone(machine.click_machine_reason(3600, 5.5))
        self.assertIsNone(machine.click_machine_reason(None, None), "unknown sending date")

    def test_rules_order(self):
        """The honeypot first, then the client; timing only for clicks."""
        self.assertEqual(
            machine.machine_reason(BROWSER, PERSON_IP, click=True, honeypot=True).code,
            machine.HONEYPOT,
        )
        self.assertEqual(
            machine.machine_reason("curl/8.5.0", PERSON_IP, click=True, seconds_since_sent=1).code,
            machine.USER_AGENT,
        )
        self.assertIsNone(machine.machine_reason(BROWSER, PERSON_IP, seconds_since_sent=1))
        self.assertEqual(
            machine.machine_reason(BROWSER, PERSON_IP, click=True, seconds_since_sent=1).code,
            machine.CLICK_AFTER_SENDING,
        )


@tagged("post_install", "-at_install", "mail_journey")
class TestToolsFreeMail(BaseCase):
    """Free-mail domains, without a database."""

    def test_built_in_and_extra_domains(self):
        self.assertIn("gmail.com", FREE_MAIL_DOMAINS)
        self.assertIn("qq.com", FREE_MAIL_DOMAINS)
        self.assertEqual(free_mail_domains(), FREE_MAIL_DOMAINS)
        self.assertEqual(free_mail_domains(None), FREE_MAIL_DOMAINS)
        self.assertEqual(
            free_mail_domains(" Mail.Example.ORG , ,gmail.com,") - FREE_MAIL_DOMAINS,
            {"mail.example.org"},
        )

    def test_business_domain(self):
        self.assertEqual(business_domain("anna@acme.example"), "acme.example")
        self.assertFalse(business_domain("anna@gmail.com"))
        self.assertEqual(business_domain("anna@mail.example.org"), "mail.example.org")
        self.assertFalse(
            business_domain("anna@mail.example.org", free_mail_domains("mail.example.org"))
        )
        for empty in ("", None, False, "no-address", "anna@"):
            self.assertFalse(business_domain(empty), empty)
