from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from odoo.addons.mail_journey_automation.tests.common import NOW, QuotationSignalCommon
from odoo.addons.mail_journey_automation_stock.hooks import uninstall_hook


@tagged("post_install", "-at_install", "mail_journey")
class TestJourneyPartialDelivery(QuotationSignalCommon):
    """A partial delivery as a quotation signal: part of the order shipped,
    the rest still awaited N days after the first delivery; as a journey
    trigger, as a branch condition, and when this addon goes away."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {"name": "Carton Buyer", "email": "cartons@buyer.example.com"}
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Paper can", "type": "consu", "is_storable": True, "list_price": 3}
        )
        warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.env["stock.quant"]._update_available_quantity(cls.product, warehouse.lot_stock_id, 10)
        cls.lead = cls.leads[0]
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "opportunity_id": cls.lead.id,
                "order_line": [
                    Command.create({"product_id": cls.product.id, "product_uom_qty": 5})
                ],
            }
        )
        cls.order.action_confirm()

    def _deliver(self, quantity, when):
        """Ship ``quantity`` of the open delivery; the rest stays awaited
        in a backorder."""
        picking = self.order.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        picking.move_ids.quantity = quantity
        picking.move_ids.picked = True
        with self.mock_datetime_and_now(when):
            picking._action_done()

    def test_partial_delivery_after_days_triggers(self):
        journey = self._signal_journey("partial_delivery", 3)
        self.assertFalse(self._enrolled(journey, NOW), "nothing delivered yet")
        self._deliver(2, NOW)
        self.assertEqual(self.order.delivery_status, "partial")
        self.assertFalse(self._enrolled(journey, NOW + timedelta(days=2, hours=23)))
        enrollment = self._enrolled(journey, NOW + timedelta(days=3))
        self.assertEqual(enrollment.order_id, self.order)
        self.assertEqual(len(self._enrolled(journey, NOW + timedelta(days=4))), 1, "once")

    def test_full_delivery_is_no_signal(self):
        journey = self._signal_journey("partial_delivery", 3)
        self._deliver(2, NOW)
        self._deliver(3, NOW + timedelta(days=1))
        self.assertEqual(self.order.delivery_status, "full")
        self.assertFalse(self._enrolled(journey, NOW + timedelta(days=5)))

    def test_partial_delivery_as_branch_condition_on_leads(self):
        template = self.env["mail.template"].create(
            {
                "name": "Backorder",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "subject": "The rest of {{ object.journey_quotation_id.name }}",
                "body_html": "<p>Hello</p>",
                "use_default_to": True,
            }
        )
        journey = self._create_journey(
            [
                self._email_step(
                    template, quotation_signal="partial_delivery", quotation_signal_number=0
                )
            ]
        )
        journey.action_start()
        self._deliver(2, NOW)
        with self.mock_datetime_and_now(NOW + timedelta(hours=1)), self.mock_mail_gateway():
            journey._enroll(self.leads[:2])
            self._process()
        done = self._traces(journey, res_id=self.lead.id)
        self.assertEqual(done.state, "done")
        self.assertEqual(done.mail_message_id.subject, f"The rest of {self.order.name}")
        skipped = self._traces(journey, res_id=self.leads[1].id)
        self.assertEqual(skipped.state, "skipped", "no order partly delivered: the branch is off")

    def test_uninstall_pauses_the_journeys_using_the_signal(self):
        """What uninstalling this addon does to the journeys and steps that
        use its signal (the selection's ondelete)."""
        triggered = self._signal_journey("partial_delivery", 3)
        conditioned = self._create_journey(
            [self._email_step(quotation_signal="partial_delivery", quotation_signal_number=0)]
        )
        conditioned.action_start()
        triggered._journey_drop_partial_delivery()
        conditioned.step_ids._journey_drop_partial_delivery()
        for journey in triggered | conditioned:
            self.assertEqual(journey.state, "paused")
            self.assertIn("Inventory bridge", journey.message_ids[0].body)
        self.assertEqual(triggered.trigger, "manual")
        self.assertFalse(triggered.quotation_signal)
        self.assertFalse(conditioned.step_ids.quotation_signal)

    def test_partial_delivery_declared_in_the_signal_registry(self):
        """The bridge adds its signal to the registry of the core: it shows
        in the journey's and the step's selection, and the core's dispatch
        computes its orders with the domain method it declares."""
        for model in ("mail.journey", "mail.journey.step"):
            signals = dict(self.env[model]._selection_quotation_signal())
            self.assertEqual(
                signals["partial_delivery"],
                "Order partly delivered, the rest awaited for N days or more",
            )
            self.assertIn("viewed_unsigned", signals, "the core's signals stay")
        SaleOrder = self.env["sale.order"]
        self.assertEqual(
            SaleOrder._journey_get_quotation_signals()["partial_delivery"]["method"],
            "_journey_signal_domain_partial_delivery",
        )
        self._deliver(2, NOW)
        with self.mock_datetime_and_now(NOW + timedelta(days=3)):
            domain = SaleOrder._journey_signal_order_domain("partial_delivery", 3)
            self.assertEqual(domain, SaleOrder._journey_signal_domain_partial_delivery(3))
            self.assertEqual(SaleOrder.search(domain), self.order)
            on_leads = SaleOrder._journey_signal_domain("crm.lead", "partial_delivery", 3)
            self.assertEqual(self.env["crm.lead"].search(on_leads), self.lead)

    def test_signal_no_longer_declared_matches_nothing(self):
        """A stored signal whose bridge went away is no signal: the check
        finds no order rather than failing."""
        self.assertTrue(self.env["sale.order"]._journey_signal_order_domain("gone", 3).is_false())

    def test_uninstall_hook_pauses_the_journeys_using_the_signal(self):
        """The uninstall hook of this addon finds the journeys and steps
        using its signal, archived ones included, and pauses them."""
        triggered = self._signal_journey("partial_delivery", 3)
        archived = self._signal_journey("partial_delivery", 5)
        archived.action_pause()
        archived.active = False
        conditioned = self._create_journey(
            [self._email_step(quotation_signal="partial_delivery", quotation_signal_number=0)]
        )
        conditioned.action_start()
        other = self._signal_journey("viewed_often", 2)
        uninstall_hook(self.env)
        for journey in triggered | archived | conditioned:
            self.assertEqual(journey.state, "paused")
            self.assertIn("Inventory bridge", journey.message_ids[0].body)
        self.assertEqual((triggered | archived).mapped("trigger"), ["manual", "manual"])
        self.assertEqual((triggered | archived).mapped("quotation_signal"), [False, False])
        self.assertFalse(conditioned.step_ids.quotation_signal)
        self.assertEqual(other.state, "running", "journeys on the core's signals stay")
        self.assertEqual(other.quotation_signal, "viewed_often")
