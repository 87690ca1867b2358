from datetime import timedelta

from odoo.addons.mail_journey_automation.tests.common import NOW, JourneyCommon


class WebsiteSaleJourneyCommon(JourneyCommon):
    """A website, a customer, products and helpers for carts and visits."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.website = cls.env["website"].search([], limit=1)
        cls.customer = cls.env["res.partner"].create(
            {"name": "Lina Chen", "email": "lina.chen@greenleaf-tea.example.com"}
        )
        cls.tube, cls.box = cls.env["product.product"].create(
            [
                {"name": "Paper tube 50 mm", "list_price": 2.5, "is_published": True},
                {"name": "Gift box kraft", "list_price": 4.0, "is_published": True},
            ]
        )

    def _cart(self, partner=None, when=NOW, **values):
        """A website cart of ``partner`` last changed at ``when``."""
        with self.mock_datetime_and_now(when):
            cart = self.env["sale.order"].create(
                {
                    "partner_id": (partner or self.customer).id,
                    "website_id": self.website.id,
                    "order_line": [(0, 0, {"product_id": self.tube.id, "product_uom_qty": 100})],
                    **values,
                }
            )
        cart.date_order = when
        return cart

    def _visit(self, lead, products, when=NOW):
        """A website visitor of ``lead`` who viewed ``products`` (one a
        minute from ``when``) and left after the last one."""
        visitor = self.env["website.visitor"].create(
            {"access_token": f"{lead.id:032x}", "website_id": self.website.id}
        )
        visitor.lead_ids = lead
        self.env["website.track"].create(
            [
                {
                    "visitor_id": visitor.id,
                    "product_id": product.id,
                    "url": f"/shop/{product.product_tmpl_id.id}",
                    "visit_datetime": when + timedelta(minutes=index),
                }
                for index, product in enumerate(products)
            ]
        )
        visitor.last_connection_datetime = when + timedelta(minutes=len(products))
        return visitor

    def _check_at(self, journey, when):
        with self.mock_datetime_and_now(when):
            journey._enroll_abandoned()
        return journey.enrollment_ids
