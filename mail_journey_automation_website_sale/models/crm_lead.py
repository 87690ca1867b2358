from collections import defaultdict

from odoo import api, fields, models
from odoo.fields import Domain


class CrmLead(models.Model):
    _inherit = "crm.lead"

    journey_viewed_product_ids = fields.Many2many(
        "product.product",
        string="Viewed Products",
        compute="_compute_journey_viewed_product_ids",
        help="The products the lead's website visitors viewed, most recent first: email "
        "templates list them (object.journey_viewed_product_ids).",
    )

    def _compute_journey_viewed_product_ids(self):
        products = self._journey_viewed_products_by_lead()
        for lead in self:
            lead.journey_viewed_product_ids = products.get(lead.id, self.env["product.product"])

    def _journey_products(self):
        return super()._journey_products() | self._journey_viewed_products()

    def _journey_viewed_products(self):
        """The products the visitors of these leads viewed, most recent first."""
        products = self._journey_viewed_products_by_lead()
        return self.env["product.product"].union(*products.values())

    def _journey_viewed_products_by_lead(self, limit=6):
        """{lead id: product.product viewed by its visitors, most recent
        first, at most ``limit``}, in two queries for all the leads."""
        # sudo: the page views of a visitor are website data a salesperson
        # cannot read; only the products of the leads they see are returned
        visitors = self.sudo().visitor_ids
        if not visitors:
            return {}
        views = (
            self.env["website.track"]
            .sudo()
            ._read_group(
                [("visitor_id", "in", visitors.ids), ("product_id", "!=", False)],
                ["visitor_id", "product_id"],
                ["visit_datetime:max"],
            )
        )
        by_visitor = defaultdict(dict)
        for visitor, product, date in views:
            by_visitor[visitor][product] = date
        result = {}
        for lead in self.sudo():
            seen = {}
            for visitor in lead.visitor_ids:
                for product, date in by_visitor[visitor].items():
                    seen[product] = max(date, seen.get(product, date))
            ordered = sorted(seen, key=seen.get, reverse=True)[:limit]
            result[lead.id] = self.env["product.product"].union(*ordered)
        return result

    @api.model
    def _journey_find_browse_abandoned(self, start, end):
        """Leads whose website visitor's last product view was in ]start,
        end], who did not come back to the website since and did not order
        (no website order of the visitor's or lead's customer since)."""
        # sudo: visitors and their page views are website data; the journey
        # decides, whoever runs the cron
        last_views = (
            self.env["website.track"]
            .sudo()
            ._read_group(
                [("product_id", "!=", False), ("visitor_id.lead_ids", "!=", False)],
                ["visitor_id"],
                ["visit_datetime:max"],
                having=[("visit_datetime:max", ">", start), ("visit_datetime:max", "<=", end)],
            )
        )
        visitors = (
            self.env["website.visitor"].sudo().union(*(visitor for visitor, _date in last_views))
        )
        left = visitors.filtered(lambda visitor: visitor.last_connection_datetime <= end)
        if not left:
            return self.browse()
        viewed_at = dict(last_views)
        partners = left.partner_id | left.lead_ids.partner_id
        # the cron checks every customer's orders, whoever their salesperson
        orders = (
            self.env["sale.order"]
            .sudo()
            ._read_group(
                Domain("partner_id", "in", partners.ids)
                & Domain("website_id", "!=", False)
                & Domain("state", "!=", "cancel")
                & Domain("create_date", ">", start),
                ["partner_id"],
                ["create_date:max"],
            )
        )
        ordered_at = dict(orders)
        leads = self.browse()
        for visitor in left:
            for lead in visitor.lead_ids:
                customers = visitor.partner_id | lead.partner_id
                if not any(
                    ordered_at.get(partner) and ordered_at[partner] >= viewed_at[visitor]
                    for partner in customers
                ):
                    leads |= lead
        return self.browse(leads.ids)
