from markupsafe import Markup

from odoo import api, fields, models, tools

from ..tools.free_mail import business_domain, free_mail_domains
from .mail_journey import ACTIVE_STATES

FREE_MAIL_PARAM = "mail_journey.free_mail_domains"


class MailJourneyRecordMixin(models.AbstractModel):
    """What journeys need from the records they run on (leads, orders)."""

    _name = "mail.journey.record.mixin"
    _description = "Journey Record Mixin"

    journey_enrollment_ids = fields.One2many(
        "mail.journey.enrollment",
        compute="_compute_journey_enrollments",
        string="Journey Enrollments",
    )
    journey_enrollment_count = fields.Integer(
        string="Journeys", compute="_compute_journey_enrollments"
    )
    journey_running_count = fields.Integer(
        string="Running Journeys", compute="_compute_journey_enrollments"
    )
    journey_paused_count = fields.Integer(
        string="Paused Journeys", compute="_compute_journey_enrollments"
    )
    journey_next_date = fields.Datetime(
        string="Next Journey Step On", compute="_compute_journey_enrollments"
    )
    journey_next_step_id = fields.Many2one(
        "mail.journey.step",
        string="Next Journey Step",
        compute="_compute_journey_enrollments",
    )

    def _compute_journey_enrollments(self):
        enrollments = self.env["mail.journey.enrollment"].search(
            [("res_model", "=", self._name), ("res_id", "in", self.ids)]
        )
        by_record = enrollments.grouped("res_id")
        for record in self:
            mine = by_record.get(record.id, enrollments.browse())
            running = mine.filtered(lambda enrollment: enrollment.state in ACTIVE_STATES)
            upcoming = running.filtered("next_trace_date").sorted("next_trace_date")[:1]
            record.journey_enrollment_ids = mine
            record.journey_enrollment_count = len(mine)
            record.journey_running_count = len(running)
            record.journey_paused_count = len(running.filtered(lambda e: e.state == "paused"))
            record.journey_next_date = upcoming.next_trace_date
            record.journey_next_step_id = upcoming.next_step_id

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_journey_enroll(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Enroll in Journey"),
            "res_model": "mail.journey.enroll",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": self._name, "active_ids": self.ids},
        }

    def action_journey_stop(self):
        self._get_active_journey_enrollments().action_cancel()
        return True

    def action_journey_pause(self):
        self._get_active_journey_enrollments().action_pause()
        return True

    def action_journey_resume(self):
        self._get_active_journey_enrollments().action_resume()
        return True

    def action_journey_take_over(self):
        """The salesperson takes the records over: their journeys stop, and
        a to-do for the salesperson sums up what was sent and what the
        customer did."""
        self.check_access("write")
        enrollments = self._get_active_journey_enrollments()
        summaries = self._journey_get_summaries()
        reason = self.env._("Taken over by %(user)s.", user=self.env.user.name)
        enrollments._close("exited", reason)
        unassigned = self.filtered(lambda record: not record.user_id)
        unassigned.user_id = self.env.user
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id(self._name)
        self.env["mail.activity"].create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": record.id,
                    "activity_type_id": activity_type.id,
                    "summary": self.env._("Follow up personally (journeys stopped)"),
                    "note": summaries[record.id],
                    "date_deadline": fields.Date.context_today(self),
                    "user_id": record.user_id.id,
                }
                for record in self
            ]
        )
        return True

    def _journey_get_summaries(self):
        """{record id: HTML}: the journey emails sent to each record, and
        what the customer did with them."""
        traces = self.env["mail.journey.trace"].search(
            [
                ("res_model", "=", self._name),
                ("res_id", "in", self.ids),
                ("step_action", "=", "email"),
                ("state", "=", "done"),
            ],
            order="date_done",
        )
        by_record = traces.grouped("res_id")
        summaries = {}
        for record in self:
            lines = []
            for trace in by_record.get(record.id, traces.browse()):
                did = [
                    label
                    for date, label in (
                        (trace.open_datetime, self.env._("opened")),
                        (trace.click_datetime, self.env._("clicked")),
                        (trace.reply_datetime, self.env._("replied")),
                        (trace.bounce_datetime, self.env._("bounced")),
                    )
                    if date
                ]
                lines.append(
                    self.env._(
                        "%(date)s, %(journey)s: '%(subject)s' (%(outcome)s)",
                        date=tools.format_datetime(self.env, trace.date_done),
                        journey=trace.journey_id.name,
                        subject=trace.subject or trace.step_id.name,
                        outcome=", ".join(did) or self.env._("no reaction"),
                    )
                )
            header = self.env._("Journey emails sent before the take-over:")
            summaries[record.id] = (
                Markup("<p>%s</p><ul>%s</ul>")
                % (header, Markup().join(Markup("<li>%s</li>") % line for line in lines))
                if lines
                else Markup("<p>%s</p>") % self.env._("No journey email was sent.")
            )
        return summaries

    def _get_active_journey_enrollments(self):
        return self.env["mail.journey.enrollment"].search(
            [
                ("res_model", "=", self._name),
                ("res_id", "in", self.ids),
                ("state", "in", ACTIVE_STATES),
            ]
        )

    def action_view_journey_enrollments(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mail_journey_automation.action_mail_journey_enrollment"
        )
        action["domain"] = [("res_model", "=", self._name), ("res_id", "in", self.ids)]
        action["context"] = {"search_default_filter_running": 1}
        return action

    # ------------------------------------------------------------
    # JOURNEY API
    # ------------------------------------------------------------

    def _journey_get_emails(self):
        """Return {record id: normalized email address or False}."""
        raise NotImplementedError

    def _journey_get_bounce_counts(self):
        """Return {record id: number of bounces of its email address}."""
        raise NotImplementedError

    def _journey_get_timezones(self):
        """Return {record id: time zone}: the customer's, else the
        salesperson's, else the company's."""
        return {
            record.id: record.partner_id.tz
            or record.user_id.tz
            or record.company_id.partner_id.tz
            or self.env.company.partner_id.tz
            for record in self
        }

    def _journey_consent_domain(self):
        """The domain of the records whose contact gave consent to be mailed."""
        raise NotImplementedError

    def _journey_get_salespersons(self):
        """Return {record id: res.users} for the activities of journeys."""
        return {record.id: record.user_id for record in self}

    def _journey_set_stage(self, stage):
        """Move the records (or their lead) to the journey ``stage``."""
        raise NotImplementedError

    # ------------------------------------------------------------
    # TEMPLATE HELPERS: called by journey email templates, e.g.
    # {{ object._journey_first_name('there') }}; each returns its fallback
    # (or a translated default) when the value is missing.
    # ------------------------------------------------------------

    def _journey_first_name(self, fallback=None):
        """The first name of the contact, e.g. 'Hello {{ ... }},'."""
        self.ensure_one()
        words = self._journey_contact_name().split()
        return words[0] if words else self._journey_fallback(fallback, self.env._("there"))

    def _journey_company_name(self, fallback=None):
        """The name of the customer's company."""
        self.ensure_one()
        return self._journey_customer_company() or self._journey_fallback(
            fallback, self.env._("your company")
        )

    def _journey_salesperson(self, fallback=None):
        """The name of the salesperson in charge."""
        self.ensure_one()
        return self.user_id.name or self._journey_fallback(fallback, self.env._("our team"))

    def _journey_products(self):
        """The products the customer asked about (product.product): the lines
        of its quotations and orders. Bridges extend it (e.g. viewed products)."""
        return (
            self._journey_get_orders()
            .order_line.filtered(lambda line: not line.display_type and not line.is_downpayment)
            .product_id
        )

    def _journey_product_names(self, fallback=None, limit=3):
        """The names of up to ``limit`` of ``_journey_products()``, comma-separated."""
        self.ensure_one()
        products = self._journey_products()[:limit]
        return ", ".join(products.mapped("name")) or self._journey_fallback(
            fallback, self.env._("our products")
        )

    def _journey_contact_name(self):
        """The full name of the person mailed ('' when unknown)."""
        self.ensure_one()
        partner = self.partner_id
        return (partner.name or "").strip() if partner and not partner.is_company else ""

    def _journey_customer_company(self):
        """The customer's company name ('' when unknown)."""
        self.ensure_one()
        return self.partner_id.commercial_company_name or ""

    def _journey_get_orders(self):
        """The quotations and sales orders of the records (not cancelled)."""
        raise NotImplementedError

    @api.model
    def _journey_fallback(self, fallback, default):
        return default if fallback is None else fallback

    def _journey_get_team_leaders(self):
        """Return {record id: res.users}: the leader of the record's sales team."""
        return {record.id: record.team_id.user_id for record in self if record.team_id.user_id}

    @api.model
    def _journey_get_free_mail_domains(self):
        """The free-mail domains: the built-in list (``tools/free_mail.py``)
        and the system parameter's."""
        # a technical setting every user's journeys depend on, readable by admins only
        extra = self.env["ir.config_parameter"].sudo().get_param(FREE_MAIL_PARAM, "")
        return free_mail_domains(extra)

    def _journey_get_account_keys(self):
        """Return {record id: key of the customer's company or False}: its
        commercial entity when that is a company, else its business email
        domain; free-mail addresses belong to no company."""
        free_domains = self._journey_get_free_mail_domains()
        emails = self._journey_get_emails()
        keys = {}
        for record in self:
            company = record.partner_id.commercial_partner_id
            domain = business_domain(emails.get(record.id), free_domains)
            if company.is_company:
                keys[record.id] = f"partner-{company.id}"
            elif domain:
                keys[record.id] = f"domain-{domain}"
            else:
                keys[record.id] = False
        return keys

    def _journey_get_contact_enrollments(self):
        """The active enrollments of the records (for a lead, also those of
        its orders)."""
        domain = [("res_model", "=", self._name), ("res_id", "in", self.ids)]
        if self._name == "crm.lead":
            domain = ["|", ("lead_id", "in", self.ids), *domain]
        # pauses and stops act on all the record's journeys, also those of an
        # order of another salesperson, which the user may not read
        return (
            self.env["mail.journey.enrollment"]
            .sudo()
            .search([("state", "in", ACTIVE_STATES), *domain])
        )
