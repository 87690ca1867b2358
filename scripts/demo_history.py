# ruff: noqa: F821
"""Ninety days of demo life, produced by the journey engine itself.

Run once by ``scripts/demo.sh`` on the new demo database, through
``odoo shell -d <db> --no-http < scripts/demo_history.py`` (``env`` is the
shell's, as superuser), with the SMTP sink listening: Odoo really sends every
email. The clock is moved day by day from 90 days ago to now (freezegun, and
the transaction timestamp of the cursor that the ORM writes as create_date),
and on each simulated day:

- visitors post website forms: leads are created the way the website form
  controller creates them (as superuser, with their UTM source and medium),
  then entered in the journeys of the trigger "Website form submitted";
- the project's crons run at their own intervals (steps due, date triggers,
  A/B decisions, score decay, long-term care, overdue hand-offs...), and
  Odoo's mail queue sends what they queued;
- the recipients act on the emails they got, through the model methods the
  public routes and the mail gateway call, with the signed URLs read from the
  email that was sent: opens (some by Apple's privacy proxy), clicks (some by
  a security scanner), replies and bounces through ``message_process`` (raw
  RFC 822 messages), one unsubscribe;
- the salespeople (Mitchell Admin and Marc Demo) move leads, approve or skip
  the emails waiting for them, call the prospects they were handed, send
  quotations, confirm and deliver orders, win and lose deals.

Nothing is inserted into the engine's bookkeeping directly. The run is
deterministic (``DEMO_SEED``); ``DEMO_DAYS`` (90) and ``DEMO_LEADS_PER_DAY``
(5, on weekdays) size it. The journeys set up for it apply to leads with a
"Journey demo" tag only, so a journey a person builds is not mixed with them.
Each journey setup is one function (``setup_*``) below.
"""

import ast
import cProfile
import heapq
import itertools
import os
import pstats
import random
import re
import time
import uuid
from datetime import timedelta
from email.utils import format_datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command, fields
from odoo.sql_db import Cursor

SEED = int(os.environ.get("DEMO_SEED", "20"))
DAYS = int(os.environ.get("DEMO_DAYS", "90"))
LEADS_PER_DAY = float(os.environ.get("DEMO_LEADS_PER_DAY", "5"))
# the moments the server wakes up each day: the crons that are due then run
TICK_HOURS = (7, 10, 13, 16, 19, 22)

# recipients: browsers of people, and the machines that fetch emails for them
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
]
APPLE_PROXY_UA = "Mozilla/5.0"  # Apple Mail Privacy Protection fetches from 17.0.0.0/8
PIXEL_URL = re.compile(r"/mail_journey/o/(\d+)/([^\"'\s<>/]+)")
CLICK_URL = re.compile(r"/mail_journey/c/(\d+)/([A-Za-z0-9]+)/([^\"'\s<>/]+)")
UNSUBSCRIBE_URL = re.compile(r"/mail_journey/u/(\d+)/([^\"'\s<>/]+)")

FIRST_NAMES = (
    "Lina Marco Aisha Tom Ravi Sofia Jonas Emma Luca Olivia Hassan Mei Pedro Anna Kenji "
    "Fatima Lucas Chloe Noah Amara Diego Ingrid Omar Yuki Elena Samuel Priya Felix Nadia "
    "Victor Leila Hugo Zara Mateo Isabel Arjun Clara Tariq Hana Oscar"
).split()
LAST_NAMES = (
    "Chen Rossi Khan Becker Patel Gomez Berg Dubois Bianchi Smith Ali Wang Santos Novak "
    "Tanaka Haddad Martin Laurent Fischer Okafor Ruiz Larsen Nasser Sato Popescu Cohen "
    "Iyer Weber Rahman Silva Moreau Nguyen Kowalski Jensen Costa"
).split()
COMPANY_WORDS = (
    "Green Leaf|Nordic|Sunrise|Blue Harbor|Atlas|Maple|Golden Field|Urban|Alpine|Coastal|"
    "Silver Oak|Lotus|Pioneer|Evergreen|Summit|Cedar|Horizon|Riverbend|Northwind|Bright"
).split("|")
COHORTS = {
    # name: (share of the leads, company suffixes, lead names, product names)
    "general": (
        0.40,
        ["Foods", "Tea Co.", "Cosmetics", "Gifts", "Roasters", "Candles"],
        ["Paper tubes for {p}", "Packaging for our {p}", "Quote request: {p} cans"],
        ["tea", "coffee", "candles", "cosmetics", "spices", "chocolate"],
    ),
    "paper": (
        0.25,
        ["Packaging", "Snacks", "Confectionery", "Wines", "Print"],
        ["Food-grade canisters for {p}", "Eco mailer tubes ({p})", "Gift boxes: {p}"],
        ["snacks", "wine", "posters", "protein powder", "biscuits"],
    ),
    "electronics": (
        0.20,
        ["Electronics", "Mobile", "Gadgets", "Audio"],
        ["Wholesale {p}", "OEM {p} for our shop", "Private label {p}"],
        ["phone cases", "chargers", "USB-C cables", "earphones", "power banks"],
    ),
    "wealth": (
        0.15,
        ["Family Office", "Holdings", "Partners"],
        ["Investment enquiry: {p}", "Savings plan for {p}", "Wealth products for {p}"],
        ["retirement", "our family", "a foundation", "the business surplus"],
    ),
}
ELECTRONICS_TAGS = {
    "phone cases": "Phone cases",
    "chargers": "Chargers & cables",
    "USB-C cables": "Chargers & cables",
    "power banks": "Chargers & cables",
    "earphones": "Audio & earphones",
}
REPLIES = [
    "Thanks for the information. Could you send a quotation for {qty} units?",
    "Interesting. What is your minimum order quantity and lead time?",
    "Could we schedule a call next week to discuss our project?",
    "Please send samples to our office, we are comparing three suppliers.",
    "Thank you. Our budget is approved for Q1, let's talk details.",
]
FATES = [("cold", 0.42), ("explore", 0.24), ("deepen", 0.14), ("quote", 0.20)]


# ---------------------------------------------------------------------------
# the clock: freezegun for Python's datetime, the cursor's timestamp for the ORM
# ---------------------------------------------------------------------------


class Clock:
    def __init__(self, start):
        self.now = start
        self._freezer = freeze_time(start)
        self._factory = None
        # create_date / write_date come from cr.now(), PostgreSQL's transaction time
        self._now_patch = patch.object(Cursor, "now", lambda cursor: self.now)

    def __enter__(self):
        self._factory = self._freezer.start()
        self._now_patch.start()
        return self

    def __exit__(self, *exc):
        self._now_patch.stop()
        self._freezer.stop()

    def move_to(self, when):
        when = max(when, self.now)  # time never goes back
        self.now = when.replace(microsecond=0)
        self._factory.move_to(self.now)


# ---------------------------------------------------------------------------
# the demo's journeys: one function each, so that each can be adapted alone
# ---------------------------------------------------------------------------


def tag_domain(journey, tag):
    """The journey's audience restricted to the leads (or the orders of the
    leads) with ``tag``, kept as a literal (stored domains are data)."""
    field = "tag_ids" if journey.model == "crm.lead" else "opportunity_id.tag_ids"
    existing = ast.literal_eval(journey.domain or "[]")
    return str([(field, "in", [tag.id]), *existing])


def setup_core_welcome(env, start, tags):
    """The core's demo journey "Website lead welcome" (demo data): an A/B
    test of its welcome email decided after 50 days, a 10 % hold-out, and its
    white-paper email approved by the salesperson."""
    journey = env.ref("mail_journey_automation.mail_journey_demo_welcome")
    welcome = env.ref("mail_journey_automation.mail_journey_step_demo_welcome")
    white_paper = env.ref("mail_journey_automation.mail_journey_step_demo_white_paper")
    journey.write(
        {
            "domain": str([("tag_ids", "in", [tags["general"].id])]),
            "holdout_percent": 10,
            "approval_expiry": "send",
        }
    )
    welcome.write(
        {
            "ab_metric": "open",
            "ab_size_mode": "share",
            "ab_size_share": 100.0,
            "ab_end_mode": "date",
            "ab_end_date": start + timedelta(days=50),
            "ab_min_sample": 20,
        }
    )
    env["mail.journey.step.variant"].create(
        [
            {
                "step_id": welcome.id,
                "name": "A: thank you",
                "template_id": welcome.mail_template_id.id,
                "weight": 50,
                "is_default": True,
            },
            {
                "step_id": welcome.id,
                "name": "B: free samples",
                "template_id": env.ref(
                    "mail_journey_automation.mail_template_demo_welcome_samples"
                ).id,
                "weight": 50,
            },
        ]
    )
    white_paper.write({"approval_required": True, "approval_hours": 48})
    return journey


def setup_playbook(env, tag, playbook_xmlid):
    """Set up a playbook's whole set of stage journeys the way "Use Playbook"
    does, restrict the copies to ``tag`` and start them."""
    playbook = env.ref(f"mail_journey_automation_playbooks.{playbook_xmlid}")
    action = env["mail.journey.playbook.use"].create({"playbook_id": playbook.id}).action_apply()
    journeys = env["mail.journey"].browse(action.get("res_id") or action["domain"][0][2])
    for journey in journeys:
        journey.domain = tag_domain(journey, tag)
    journeys.action_start()
    return journeys


def setup_paper_playbook(env, tags):
    return setup_playbook(env, tags["paper"], "mail_journey_playbook_paper")


def setup_electronics_playbook(env, tags):
    return setup_playbook(env, tags["electronics"], "mail_journey_playbook_electronics")


def setup_wealth_playbook(env, tags):
    return setup_playbook(env, tags["wealth"], "mail_journey_playbook_wealth")


def setup_tags(env):
    """The "Journey demo" tag of the demo data for the core's journey, one
    tag per playbook, and the product tags the electronics playbook reads."""
    Tag = env["crm.tag"]

    def tag(name):
        return Tag.search([("name", "=", name)], limit=1) or Tag.create({"name": name})

    tags = {
        "general": env.ref("mail_journey_automation.crm_tag_journey_demo"),
        "paper": tag("Journey demo: paper packaging"),
        "electronics": tag("Journey demo: electronics accessories"),
        "wealth": tag("Journey demo: wealth products"),
    }
    for name in set(ELECTRONICS_TAGS.values()):
        tags[name] = tag(name)
    return tags


def setup_products(env):
    """A few products per cohort for quotations (goods: orders get a delivery)."""
    Product = env["product.product"]
    catalogue = {
        "general": [("Paper tube 75 mm", 0.42), ("Paper can with lid", 0.65)],
        "paper": [("Food-grade canister", 0.58), ("Eco mailer tube", 0.37)],
        "electronics": [("Phone case (OEM)", 2.10), ("USB-C cable 1 m", 1.35)],
        "wealth": [("Balanced income fund (units)", 10.4), ("Growth equity fund (units)", 12.9)],
    }
    return {
        cohort: Product.create(
            [{"name": name, "list_price": price, "type": "consu"} for name, price in items]
        )
        for cohort, items in catalogue.items()
    }


# ---------------------------------------------------------------------------
# the simulation
# ---------------------------------------------------------------------------


class History:
    def __init__(self, env, start, end):
        self.env = env
        self.start, self.end = start, end
        self.rng = random.Random(SEED)
        self.queue = []  # (when, sequence, action, args)
        self.sequence = itertools.count()
        self.seen_traces, self.seen_approvals, self.seen_activities = set(), set(), set()
        self.personas = {}  # lead id: dict
        self.unsubscriber = None
        self.stats = dict.fromkeys(
            (
                "leads",
                "opens",
                "machine_opens",
                "clicks",
                "machine_clicks",
                "replies",
                "bounces",
                "unsubscribes",
                "approved",
                "skipped",
                "calls",
                "quotations",
                "orders",
                "deliveries",
                "won",
                "lost",
                "gateway_errors",
            ),
            0,
        )
        self.names = set()

    # -- scheduling ---------------------------------------------------------

    def at(self, when, action, *args):
        heapq.heappush(self.queue, (when, next(self.sequence), action, args))

    def run_due(self, clock, until):
        while self.queue and self.queue[0][0] <= until:
            when, _seq, action, args = heapq.heappop(self.queue)
            clock.move_to(when)
            action(*args)

    # -- setup --------------------------------------------------------------

    def setup(self):
        env = self.env
        self.admin = env.ref("base.user_admin")
        self.demo_user = env.ref("base.user_demo")
        self.team = env.ref("sales_team.team_sales_department")
        self.website = env["website"].search([], limit=1)
        self.tags = setup_tags(env)
        self.products = setup_products(env)
        self.stage_by_xmlid = {
            name: env.ref(f"mail_journey_automation.stage_{name}")
            for name in ("first_contact", "need_exploration", "need_deepening", "proposal")
        }
        Source, Medium = env["utm.source"], env["utm.medium"]

        def utm(model, name):
            return model.search([("name", "=", name)], limit=1) or model.create({"name": name})

        self.sources = [
            utm(Source, name) for name in ("Google", "LinkedIn", "Trade fair 2026", "Newsletter")
        ]
        self.medium = utm(Medium, "Website")
        self.lost_reason = env["crm.lost.reason"].search([], limit=1)
        self.journeys = {
            "general": setup_core_welcome(env, self.start, self.tags),
            "paper": setup_paper_playbook(env, self.tags),
            "electronics": setup_electronics_playbook(env, self.tags),
            "wealth": setup_wealth_playbook(env, self.tags),
        }
        self.crons = self._project_crons()

    def _project_crons(self):
        """The crons of this project's addons, each with its interval, read
        from their records (a cron added later is run too)."""
        crons = []
        for cron in self.env["ir.cron"].search([]):
            xmlid = cron.get_external_id().get(cron.id, "")
            match = re.fullmatch(r"model\.(_cron_\w+)\(\)", (cron.code or "").strip())
            if not xmlid.startswith("mail_journey_automation") or not match:
                continue
            unit = {"minutes": 1, "hours": 60, "days": 1440, "weeks": 10080, "months": 43200}
            every = timedelta(minutes=cron.interval_number * unit[cron.interval_type])
            crons.append([cron.model_id.model, match.group(1), every, self.start])
        return crons

    # -- a simulated day ----------------------------------------------------

    def plan_day(self, day):
        weekday = day.weekday() < 5
        mean = LEADS_PER_DAY if weekday else LEADS_PER_DAY / 3
        count = max(0, round(self.rng.gauss(mean, mean / 3)))
        for when in sorted(
            day + timedelta(hours=self.rng.uniform(7, 21.5)) for _index in range(count)
        ):
            self.at(when, self.submit_form)
        # Marc Demo's to-dos of today, whatever the dice say: a lead of nine
        # days ago that nobody moved gets the "call" step after a week, due
        # two days later (today); the white paper of leads of six and seven
        # days ago waits for his approval (48 hours)
        if (self.end.date() - day.date()).days in (6, 7, 9):
            self.at(day + timedelta(hours=10), self.submit_form, True)

    def tick(self, clock):
        """What the server does at this moment: the crons that are due, then
        the mail queue; then the new emails, approvals and hand-offs are
        handed to the people who receive them."""
        env = self.env
        for cron in self.crons:
            model, method, every, next_run = cron
            if clock.now >= next_run:
                getattr(env[model], method)()
                cron[3] = clock.now + every
        env["mail.mail"].process_email_queue()
        env.cr.commit()
        self.watch_traces()
        self.watch_approvals()
        self.watch_activities()

    # -- visitors -----------------------------------------------------------

    def _cohort(self):
        roll, total = self.rng.random(), 0
        for name, (share, *_rest) in COHORTS.items():
            total += share
            if roll < total:
                return name
        return "general"

    def submit_form(self, quiet=False):
        """A visitor posts the website's contact form: the lead is created as
        the website form controller creates it, then enters the journeys of
        the trigger "Website form submitted" (mail_journey_automation_website)."""
        rng, env = self.rng, self.env
        cohort = "general" if quiet else self._cohort()
        _share, suffixes, titles, topics = COHORTS[cohort]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        company = f"{rng.choice(COMPANY_WORDS)} {rng.choice(suffixes)}"
        domain = re.sub(r"[^a-z]+", "-", company.lower()).strip("-")
        email = f"{first}.{last}@{domain}.example.com".lower()
        while email in self.names:
            email = email.replace("@", f"{rng.randint(2, 99)}@", 1)
        self.names.add(email)
        topic = rng.choice(topics)
        user = self.demo_user if quiet or rng.random() < 0.5 else self.admin
        tag_ids = [self.tags[cohort].id]
        if cohort == "electronics" and topic in ELECTRONICS_TAGS:
            tag_ids.append(self.tags[ELECTRONICS_TAGS[topic]].id)
        values = {
            "name": rng.choice(titles).format(p=topic),
            "contact_name": f"{first} {last}",
            "partner_name": company,
            "email_from": email,
            "phone": f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
            "description": f"Message from the website form: we are looking into {topic}.",
            "team_id": self.team.id,
            "user_id": user.id,
            "tag_ids": [Command.set(tag_ids)],
            "source_id": rng.choice(self.sources).id,
            "medium_id": self.medium.id,
            "company_id": self.website.company_id.id or env.company.id,
            "expected_revenue": rng.choice([2500, 6000, 12000, 25000, 60000]),
            "journey_consent": rng.random() < 0.7,
        }
        if cohort == "wealth":
            values["journey_risk_profile"] = rng.choice(["conservative", "balanced", "growth"])
        # website_form.insert_record: superuser, without subscribing the creator
        lead = env["crm.lead"].sudo().with_context(mail_create_nosubscribe=True).create(values)
        env["mail.journey"]._enroll_on_event(lead, "website_form")
        self.stats["leads"] += 1
        fate = "cold" if quiet else self._fate()
        self.personas[lead.id] = {
            "cohort": cohort,
            "fate": fate,
            "quiet": quiet,
            # how keen the contact is: scales opens, clicks and replies
            "keen": rng.uniform(0.6, 1.4) * (1.25 if fate in ("deepen", "quote") else 1.0),
            "bounces": not quiet and rng.random() < 0.015,
            "apple_proxy": rng.random() < 0.12,
            "scanner": rng.random() < 0.04,
            "emails": 0,
        }
        self.plan_fate(lead)

    def _fate(self):
        roll, total = self.rng.random(), 0
        for fate, share in FATES:
            total += share
            if roll < total:
                return fate
        return "cold"

    # -- salespeople --------------------------------------------------------

    def plan_fate(self, lead):
        rng, now = self.rng, fields.Datetime.now()
        fate = self.personas[lead.id]["fate"]
        if fate == "cold":
            if rng.random() < 0.3:
                self.at(now + timedelta(days=rng.uniform(20, 40)), self.lose, lead.id)
            return
        moment = now + timedelta(days=rng.uniform(2, 8))
        self.at(moment, self.move, lead.id, "need_exploration")
        if fate in ("deepen", "quote"):
            moment += timedelta(days=rng.uniform(3, 9))
            self.at(moment, self.move, lead.id, "need_deepening")
        if fate == "quote":
            moment += timedelta(days=rng.uniform(3, 10))
            self.at(moment, self.quote, lead.id)

    def _lead(self, lead_id):
        lead = self.env["crm.lead"].browse(lead_id)
        return lead if lead.active and lead.probability < 100 else lead.browse()

    def move(self, lead_id, stage_name):
        """The salesperson moves the lead forward (never back)."""
        lead = self._lead(lead_id)
        stage = self.stage_by_xmlid[stage_name]
        if lead and lead.journey_stage_id.sequence < stage.sequence:
            lead.with_user(lead.user_id).journey_stage_id = stage

    def lose(self, lead_id):
        if lead := self._lead(lead_id):
            lead.with_user(lead.user_id).action_set_lost(lost_reason_id=self.lost_reason.id)
            self.stats["lost"] += 1

    def quote(self, lead_id):
        """The salesperson sends a quotation from the opportunity; most are
        confirmed a few days later, then delivered."""
        lead = self._lead(lead_id)
        if not lead:
            return
        rng = self.rng
        user = lead.user_id
        lead._handle_partner_assignment(create_missing=True)
        products = self.products[self.personas[lead_id]["cohort"]]
        order = (
            self.env["sale.order"]
            .with_user(user)
            .create(
                {
                    "partner_id": lead.partner_id.id,
                    "opportunity_id": lead.id,
                    "user_id": user.id,
                    "team_id": lead.team_id.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "product_uom_qty": rng.choice([500, 1000, 2000, 5000, 10000]),
                            }
                        )
                        for product in products.sorted(lambda p: rng.random())[: rng.randint(1, 2)]
                    ],
                }
            )
        )
        order.action_quotation_sent()
        self.stats["quotations"] += 1
        if rng.random() < 0.65:
            confirm = fields.Datetime.now() + timedelta(days=rng.uniform(2, 9))
            self.at(confirm, self.confirm, order.id)

    def confirm(self, order_id):
        order = self.env["sale.order"].browse(order_id)
        if order.state in ("draft", "sent"):
            order.with_user(order.user_id).action_confirm()
            self.stats["orders"] += 1
            deliver = fields.Datetime.now() + timedelta(days=self.rng.uniform(3, 8))
            self.at(deliver, self.deliver, order.id)

    def deliver(self, order_id):
        """The warehouse ships the order; the salesperson marks the deal won."""
        order = self.env["sale.order"].browse(order_id)
        for picking in order.picking_ids.filtered(lambda p: p.state not in ("done", "cancel")):
            picking.action_assign()
            for move in picking.move_ids:
                move.quantity = move.product_uom_qty
            picking.move_ids.picked = True
            picking.with_context(skip_backorder=True, skip_sms=True).button_validate()
        self.stats["deliveries"] += 1
        if lead := self._lead(order.opportunity_id.id):
            lead.with_user(lead.user_id).action_set_won()
            self.stats["won"] += 1

    def watch_approvals(self):
        """Emails waiting for approval: the salesperson sends most after a
        day or so, skips a few and forgets some (sent as prepared at the
        deadline); those of the quiet leads are still waiting at the end."""
        approvals = self.env["mail.journey.approval"].search(
            [("state", "=", "pending"), ("id", "not in", list(self.seen_approvals))]
        )
        for approval in approvals:
            self.seen_approvals.add(approval.id)
            if self.personas.get(approval.lead_id.id, {}).get("quiet"):
                continue
            roll = self.rng.random()
            when = fields.Datetime.now() + timedelta(hours=self.rng.uniform(4, 40))
            if roll < 0.65:
                self.at(when, self.decide, approval.id, "action_send")
            elif roll < 0.77:
                self.at(when, self.decide, approval.id, "action_skip")

    def decide(self, approval_id, method):
        approval = self.env["mail.journey.approval"].browse(approval_id)
        if approval.state == "pending":
            getattr(approval.with_user(approval.user_id), method)()
            self.stats["approved" if method == "action_send" else "skipped"] += 1

    def watch_activities(self):
        """Hand-offs: the salesperson calls most prospects before the
        deadline; some stay overdue, none due today or later is done yet."""
        activities = self.env["mail.activity"].search(
            [("journey_trace_id", "!=", False), ("id", "not in", list(self.seen_activities))]
        )
        for activity in activities:
            self.seen_activities.add(activity.id)
            persona = self.personas.get(activity.res_id, {})
            if persona.get("quiet") or self.rng.random() > 0.8:
                continue
            when = fields.Datetime.now() + timedelta(hours=self.rng.uniform(3, 40))
            self.at(when, self.call, activity.id)

    def call(self, activity_id):
        activity = self.env["mail.activity"].browse(activity_id)
        if not activity.exists() or activity.date_deadline >= self.end.date():
            return
        activity.with_user(activity.user_id).action_feedback(
            feedback="Called: interested, will review the documentation with the team."
        )
        self.stats["calls"] += 1

    # -- recipients ---------------------------------------------------------

    def watch_traces(self):
        """Each email the mail server took gets its recipient's reactions,
        planned at once from the contact's persona and the email."""
        traces = self.env["mail.journey.trace"].search(
            [
                ("sent_datetime", "!=", False),
                ("lead_id", "!=", False),
                ("id", "not in", list(self.seen_traces)),
            ]
        )
        for trace in traces:
            self.seen_traces.add(trace.id)
            persona = self.personas.get(trace.lead_id.id)
            if persona:
                self.plan_reactions(trace, persona)

    def plan_reactions(self, trace, persona):
        rng, sent = self.rng, trace.sent_datetime
        persona["emails"] += 1
        if persona["bounces"]:
            self.at(sent + timedelta(minutes=rng.uniform(1, 20)), self.bounce, trace.id)
            return
        if self.unsubscriber is None and persona["emails"] == 2 and not persona["quiet"]:
            # the one who has had enough: opens the second email and unsubscribes
            self.unsubscriber = trace.lead_id.id
            self.at(sent + timedelta(hours=2), self.open, trace.id)
            self.at(sent + timedelta(hours=2, minutes=1), self.unsubscribe, trace.id)
            return
        if persona["apple_proxy"]:
            self.at(sent + timedelta(minutes=rng.uniform(1, 30)), self.machine_open, trace.id)
        if persona["scanner"]:
            self.at(sent + timedelta(seconds=3), self.machine_click, trace.id)
        # open rates: 42 % on average; the A/B variant "free samples" does better
        open_rate = 0.42 * persona["keen"]
        if trace.variant_id and "samples" in (trace.variant_id.name or ""):
            open_rate += 0.25
        elif trace.variant_id:
            open_rate -= 0.08
        if rng.random() >= min(open_rate, 0.95):
            return
        opened = sent + timedelta(hours=min(rng.expovariate(1 / 7) + 0.1, 70))
        self.at(opened, self.open, trace.id)
        if rng.random() < 0.2 * persona["keen"]:
            self.at(opened + timedelta(minutes=rng.uniform(1, 15)), self.click, trace.id)
        reply_rate = 0.07 * persona["keen"] * (1.8 if persona["fate"] != "cold" else 0.6)
        if persona["quiet"]:
            reply_rate = 0
        if rng.random() < reply_rate:
            self.at(opened + timedelta(hours=rng.uniform(0.5, 20)), self.reply, trace.id)

    def _body(self, trace):
        return trace.mail_mail_id.body_html or ""

    def _client(self):
        ip = f"203.0.113.{self.rng.randint(1, 254)}"
        return self.rng.choice(BROWSERS), ip

    def open(self, trace_id):
        """The pixel route: /mail_journey/o/<trace>/<token> of the email."""
        trace = self.env["mail.journey.trace"].browse(trace_id)
        for found_id, token in PIXEL_URL.findall(self._body(trace)):
            if int(found_id) == trace.id and trace._check_token(token, "open"):
                trace._register_open(*self._client())
                self.stats["opens"] += 1
                return

    def machine_open(self, trace_id):
        trace = self.env["mail.journey.trace"].browse(trace_id)
        for found_id, token in PIXEL_URL.findall(self._body(trace)):
            if int(found_id) == trace.id and trace._check_token(token, "open"):
                ip = f"17.58.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}"
                trace._register_open(APPLE_PROXY_UA, ip)
                self.stats["machine_opens"] += 1
                return

    def _links(self, trace):
        links = []
        for found_id, code, token in CLICK_URL.findall(self._body(trace)):
            if int(found_id) == trace.id and trace._check_token(token, "click", code):
                tracker = self.env["link.tracker.code"].search([("code", "=", code)], limit=1)
                if tracker:
                    links.append(tracker.link_id)
        return links

    def click(self, trace_id):
        """The click route: /mail_journey/c/<trace>/<code>/<token>."""
        trace = self.env["mail.journey.trace"].browse(trace_id)
        if links := self._links(trace):
            trace._register_click(self.rng.choice(links), *self._client())
            self.stats["clicks"] += 1

    def machine_click(self, trace_id):
        """A security scanner follows every link seconds after delivery."""
        trace = self.env["mail.journey.trace"].browse(trace_id)
        for link in self._links(trace):
            trace._register_click(link, *self._client())
            self.stats["machine_clicks"] += 1

    def unsubscribe(self, trace_id):
        """The unsubscribe route's POST (the page's button, or one-click)."""
        trace = self.env["mail.journey.trace"].browse(trace_id)
        for found_id, token in UNSUBSCRIBE_URL.findall(self._body(trace)):
            if int(found_id) == trace.id and trace._check_token(token, "unsubscribe"):
                trace._register_unsubscribe()
                self.stats["unsubscribes"] += 1
                return

    def _gateway(self, raw):
        """An incoming email, as the mail gateway (fetchmail) processes it."""
        try:
            with self.env.cr.savepoint():
                self.env["mail.thread"].sudo().message_process(None, raw)
        except ValueError:
            # no route: the gateway would bounce it back; the demo goes on
            self.stats["gateway_errors"] += 1
            return False
        return True

    def reply(self, trace_id):
        trace = self.env["mail.journey.trace"].browse(trace_id)
        lead = trace.lead_id
        mail = trace.mail_mail_id
        if not trace.message_id or not lead:
            return
        text = self.rng.choice(REPLIES).format(qty=self.rng.choice([2000, 5000, 20000]))
        raw = "\r\n".join(
            [
                f"From: {lead.contact_name} <{lead.email_from}>",
                f"To: {mail.reply_to or mail.email_from or 'sales@example.com'}",
                f"Subject: Re: {trace.subject or mail.subject or ''}",
                f"Message-ID: <{uuid.uuid4()}@mail.customer.example.com>",
                f"In-Reply-To: {trace.message_id}",
                f"References: {trace.message_id}",
                f"Date: {format_datetime(fields.Datetime.now())}",
                "MIME-Version: 1.0",
                'Content-Type: text/plain; charset="utf-8"',
                "",
                f"Hello,\r\n\r\n{text}\r\n\r\nBest regards,\r\n{lead.contact_name}",
                "",
            ]
        )
        if self._gateway(raw):
            self.stats["replies"] += 1

    def bounce(self, trace_id):
        """The recipient's server answers with a delivery status notification."""
        trace = self.env["mail.journey.trace"].browse(trace_id)
        if not trace.message_id:
            return
        to = trace.mail_mail_id.email_from or "sales@example.com"
        raw = "\r\n".join(
            [
                "From: MAILER-DAEMON@mx.customer.example.com (Mail Delivery System)",
                f"To: {to}",
                "Subject: Undelivered Mail Returned to Sender",
                f"Message-ID: <{uuid.uuid4()}@mx.customer.example.com>",
                f"Date: {format_datetime(fields.Datetime.now())}",
                "Auto-Submitted: auto-replied",
                "MIME-Version: 1.0",
                'Content-Type: multipart/report; report-type=delivery-status; boundary="DSN"',
                "",
                "--DSN",
                "Content-Type: text/plain; charset=us-ascii",
                "",
                "Your message could not be delivered: no such user.",
                "",
                "--DSN",
                "Content-Type: message/delivery-status",
                "",
                "Reporting-MTA: dns; mx.customer.example.com",
                "",
                f"Final-Recipient: rfc822; {trace.email}",
                "Action: failed",
                "Status: 5.1.1",
                "",
                "--DSN",
                "Content-Type: message/rfc822",
                "",
                f"Message-ID: {trace.message_id}",
                f"To: {trace.email}",
                f"Subject: {trace.subject or ''}",
                "",
                "(original message)",
                "--DSN--",
                "",
            ]
        )
        if self._gateway(raw):
            self.stats["bounces"] += 1

    # -- the run ------------------------------------------------------------

    def run(self):
        started = time.monotonic()
        with Clock(self.start) as clock:
            self.setup()
            self.env.cr.commit()
            day = self.start
            while day.date() <= self.end.date():
                self.plan_day(day)
                for hour in TICK_HOURS:
                    moment = day + timedelta(hours=hour)
                    if moment > self.end:
                        break
                    self.run_due(clock, moment)
                    clock.move_to(moment)
                    self.tick(clock)
                self.env.cr.commit()
                day += timedelta(days=1)
            # what is due at the very end: the day's last reactions, then the crons
            self.run_due(clock, self.end)
            clock.move_to(self.end)
            self.tick(clock)
            self.env.cr.commit()
        return time.monotonic() - started


def summary(env, stats, seconds):
    """Non-zero figures everywhere, or a line saying what is missing."""
    demo_user = env.ref("base.user_demo")
    today = fields.Date.today()
    checks = {
        "Journey Performance rows (mail.journey.report)": env["mail.journey.report"].search_count(
            []
        ),
        "Stage Funnel stays (mail.journey.stage.report)": env[
            "mail.journey.stage.report"
        ].search_count([("row_type", "=", "stay")]),
        "Leads per Stage weeks (mail.journey.stage.report)": len(
            env["mail.journey.stage.report"]._read_group([("row_type", "=", "week")], ["date:week"])
        ),
        "Impact rows, before/after (mail.journey.impact.report)": env[
            "mail.journey.impact.report"
        ].search_count([("comparison", "=", "impact")]),
        "Lift rows, hold-out (mail.journey.impact.report)": env[
            "mail.journey.impact.report"
        ].search_count([("cohort", "=", "holdout")]),
        "Leads with an engagement score": env["crm.lead"].search_count(
            [("journey_engagement_score", ">", 0)]
        ),
        "Approvals waiting for Marc Demo": env["mail.journey.approval"].search_count(
            [("state", "=", "pending"), ("user_id", "=", demo_user.id)]
        ),
        "Hand-offs due today for Marc Demo": env["mail.activity"].search_count(
            [
                ("journey_trace_id", "!=", False),
                ("user_id", "=", demo_user.id),
                ("date_deadline", "=", today),
            ]
        ),
        "Unsubscribed": env["mail.journey.trace"].search_count(
            [("unsubscribe_datetime", "!=", False)]
        ),
        "A/B tests decided": env["mail.journey.step"].search_count(
            [("ab_state", "in", ("winner", "default"))]
        ),
        "Confirmed orders": env["sale.order"].search_count([("state", "=", "sale")]),
    }
    print(f"Demo history: {DAYS} days built in {seconds / 60:.1f} minutes")
    print("  simulated: " + ", ".join(f"{key} {value}" for key, value in stats.items()))
    for label, value in checks.items():
        print(f"  {label}: {value}" + ("" if value else "   <-- EMPTY"))
    winner = env["mail.journey.step"].search([("ab_state", "!=", "testing")], limit=1)
    if winner:
        print(f"  A/B result: {winner.ab_result}")
    return all(checks.values())


def main(env):
    end = fields.Datetime.now()
    start = (end - timedelta(days=DAYS)).replace(hour=0, minute=0, second=0)
    history = History(env, start, end)
    if os.environ.get("DEMO_PROFILE"):
        profiler = cProfile.Profile()
        seconds = profiler.runcall(history.run)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    else:
        seconds = history.run()
    if not summary(env, history.stats, seconds):
        print("WARNING: the demo history left a report or a to-do empty (see above).")


main(env)
