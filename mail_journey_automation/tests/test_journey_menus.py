from datetime import timedelta

from lxml import etree

from odoo import fields
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import NOW, JourneyCommon

MODULE = "mail_journey_automation"


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyMenus(JourneyCommon):
    """The Journeys app follows Odoo's habits: five top menus, every action
    reachable from a menu with a help for its empty list, and the
    salesperson's journey to-dos also in CRM > Sales, opening on their own
    open items."""

    def _visible_children(self, user, menu):
        visible = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
        return menu.child_id.filtered(lambda child: child.id in visible)

    def _search_filter_domain(self, action, filter_name, user):
        """The domain of the search view filter ``filter_name`` of ``action``,
        evaluated as the web client does for ``user``."""
        views = (
            self.env[action.res_model]
            .with_user(user)
            .get_views([(action.search_view_id.id or False, "search")])
        )
        arch = etree.fromstring(views["views"]["search"]["arch"])
        [node] = arch.xpath(f"//filter[@name='{filter_name}']")
        return safe_eval(
            node.get("domain"),
            {"uid": user.id, "context_today": lambda: fields.Date.context_today(user)},
        )

    def _default_domain(self, action, user):
        """The records ``action`` lists when ``user`` opens it: its domain and
        its default filters (filters of one group are OR-ed, groups AND-ed;
        here every default filter is in its own group)."""
        context = safe_eval(action.context or "{}")
        domain = safe_eval(action.domain or "[]")
        for key, value in context.items():
            if key.startswith("search_default_") and value:
                domain += self._search_filter_domain(action, key[len("search_default_") :], user)
        return domain

    def test_journeys_app_has_five_top_menus(self):
        root = self.env.ref(f"{MODULE}.menu_mail_journey_root")
        admin = self.env.ref("base.user_admin")
        for user in (self.user_journey_manager, admin):
            self.assertEqual(
                self._visible_children(user, root).mapped("name"),
                ["Journeys", "Ready-made Journeys", "Activity", "Reporting", "Configuration"],
                user.login,
            )
        self.assertEqual(
            self._visible_children(self.user_sales, root).mapped("name"),
            ["Journeys", "Activity"],
            "salespeople see neither reports nor configuration",
        )
        activity = self.env.ref(f"{MODULE}.menu_mail_journey_activity")
        self.assertEqual(
            self._visible_children(self.user_sales, activity).mapped("name"),
            ["Emails to Approve", "Hand-offs", "Enrollments", "Step Executions", "Engagement Log"],
        )
        config = self.env.ref(f"{MODULE}.menu_mail_journey_config")
        self.assertNotIn(
            "Settings",
            self._visible_children(self.user_journey_manager, config).mapped("name"),
            "the settings stay for administrators",
        )
        self.assertIn("Settings", self._visible_children(admin, config).mapped("name"))

    def test_three_reports(self):
        """Reporting holds three reports that answer questions, each opening
        a window action of its name; the six old ones are gone."""
        reporting = self.env.ref(f"{MODULE}.menu_mail_journey_reporting")
        menus = self._visible_children(self.user_journey_manager, reporting)
        self.assertEqual(
            menus.mapped("name"), ["Journey Performance", "Stage Funnel", "Impact and Lift"]
        )
        self.assertEqual(menus, reporting.child_id, "nothing hidden in Reporting")
        for menu in menus:
            with self.subTest(menu=menu.name):
                action = menu.action
                if action._name == "ir.actions.server":
                    opened = action.with_user(self.user_journey_manager).run()
                    opened = opened["params"]["next"] if opened.get("tag") else opened
                    action = self.env["ir.actions.act_window"].browse(opened["id"])
                self.assertEqual(action.name, menu.name)
                self.assertIn("o_view_nocontent_smiling_face", str(action.help))
        for old in (
            "menu_mail_journey_stage_funnel",
            "menu_mail_journey_stage_snapshot",
            "menu_mail_journey_lift_report",
            "action_mail_journey_stage_funnel",
            "action_mail_journey_stage_snapshot",
            "action_mail_journey_lift_report",
        ):
            self.assertFalse(self.env.ref(f"{MODULE}.{old}", raise_if_not_found=False), old)
        for model in ("mail.journey.stage.snapshot", "mail.journey.lift.report"):
            self.assertNotIn(model, self.env)

    def test_every_action_reachable_with_a_help(self):
        """Every window action of the addon opens from a menu of the app
        (directly, or through the server action of its menu) and says, when
        it has nothing to show, what will appear and what to do next."""
        actions = self.env["ir.actions.act_window"].browse(
            self.env["ir.model.data"]
            .search([("module", "=", MODULE), ("model", "=", "ir.actions.act_window")])
            .mapped("res_id")
        )
        self.assertGreaterEqual(len(actions), 15)
        root = self.env.ref(f"{MODULE}.menu_mail_journey_root")
        menus = self.env["ir.ui.menu"].search([("parent_path", "=like", f"{root.id}/%")])
        reached = self.env["ir.actions.act_window"]
        for menu_action in (menu.action for menu in menus if menu.action):
            if menu_action._name == "ir.actions.server":
                opened = menu_action.run()
                opened = opened["params"]["next"] if opened.get("tag") else opened
                reached |= self.env["ir.actions.act_window"].browse(opened["id"])
            elif menu_action._name == "ir.actions.act_window":
                reached |= menu_action
        self.assertEqual(reached & actions, actions, "every action opens from a menu of the app")
        for action in actions.filtered(lambda action: action.res_model != "res.config.settings"):
            with self.subTest(action=action.name):
                help_html = str(action.help)
                self.assertIn('<p class="o_view_nocontent_smiling_face">', help_html)
                self.assertGreaterEqual(help_html.count("<p"), 2, "a title and a sentence")

    def test_crm_menus_for_salesperson_todos(self):
        sales_menu = self.env.ref("crm.crm_menu_sales")
        approvals = self.env.ref(f"{MODULE}.menu_crm_journey_approval")
        handoffs = self.env.ref(f"{MODULE}.menu_crm_journey_handoff")
        self.assertEqual((approvals | handoffs).parent_id, sales_menu)
        self.assertEqual(approvals.action, self.env.ref(f"{MODULE}.action_mail_journey_approval"))
        self.assertEqual(handoffs.action, self.env.ref(f"{MODULE}.action_mail_activity_journey"))
        visible = self._visible_children(self.user_sales, sales_menu)
        self.assertIn(approvals, visible)
        self.assertIn(handoffs, visible)

    def test_handoffs_open_on_mine_overdue_and_upcoming(self):
        journey = self._create_journey([self._call_step()])
        journey.action_start()
        with self.mock_datetime_and_now(NOW):
            journey._enroll(self.leads)
            self._process()
        handoffs = self.env["mail.activity"].search(
            [("journey_trace_id.journey_id", "=", journey.id)]
        )
        self.assertEqual(len(handoffs), 3)
        by_lead = {activity.res_id: activity for activity in handoffs}
        overdue, upcoming, other = (by_lead[lead.id] for lead in self.leads)
        today = fields.Date.context_today(self.user_sales)
        overdue.date_deadline = today - timedelta(days=3)
        upcoming.date_deadline = today + timedelta(days=5)
        other.user_id = self.user_journey_manager

        action = self.env.ref(f"{MODULE}.action_mail_activity_journey")
        self.assertEqual(safe_eval(action.context), {"search_default_filter_my": 1})
        Activity = self.env["mail.activity"].with_user(self.user_sales)
        self.assertEqual(
            Activity.search(self._default_domain(action, self.user_sales)), overdue | upcoming
        )
        for filter_name, expected in (
            ("filter_overdue", overdue),
            ("filter_today", Activity),
            ("filter_upcoming", upcoming),
        ):
            domain = self._default_domain(action, self.user_sales) + self._search_filter_domain(
                action, filter_name, self.user_sales
            )
            self.assertEqual(Activity.search(domain), expected, filter_name)

    def test_emails_to_approve_open_on_mine_open(self):
        journey = self._create_journey(
            [self._email_step(approval_required=True, approval_hours=24)]
        )
        journey.action_start()
        with self.mock_datetime_and_now(NOW), self.mock_mail_gateway():
            journey._enroll(self.leads)
            self._process()
        approvals = self.env["mail.journey.approval"].search([("journey_id", "=", journey.id)])
        self.assertEqual(len(approvals), 3)
        self.assertEqual(set(approvals.mapped("user_id")), {self.user_sales})
        mine_open, done, other = approvals.sorted("id")
        done.state = "skipped"
        other.user_id = self.user_journey_manager

        action = self.env.ref(f"{MODULE}.action_mail_journey_approval")
        self.assertEqual(
            safe_eval(action.context),
            {"search_default_filter_open": 1, "search_default_filter_my": 1},
        )
        Approval = self.env["mail.journey.approval"].with_user(self.user_sales)
        self.assertEqual(Approval.search(self._default_domain(action, self.user_sales)), mine_open)
