from odoo.tests import TransactionCase, tagged

ADDONS = (
    "mail_journey_automation",
    "mail_journey_automation_playbooks",
    "mail_journey_automation_sms",
    "mail_journey_automation_stock",
    "mail_journey_automation_website",
    "mail_journey_automation_website_sale",
    "mail_journey_automation_whatsapp",
)
# models whose rows name a lead or an order, hence a salesperson's documents
DOCUMENT_MODELS = {"crm.lead", "sale.order"}
# written by the engine only: no user group may create, change or delete them
BOOKKEEPING_MODELS = {
    "mail.journey.enrollment",
    "mail.journey.trace",
    "mail.journey.event",
    "mail.journey.stage.log",
}


@tagged("post_install", "-at_install", "mail_journey", "mail_journey_security")
class TestJourneySecurityModels(TransactionCase):
    """A guard for models added later: each model of the addons has access
    rules; each that names leads or orders has an "own documents" record
    rule for salespeople and, when it has a company, a multi-company rule;
    bookkeeping models are read-only for every group."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        model_names = (
            cls.env["ir.model.data"]
            .search([("module", "in", ADDONS), ("model", "=", "ir.model")])
            .mapped("name")
        )
        cls.models = (
            cls.env["ir.model"]
            .search([("model", "like", "mail.journey")])
            .filtered(
                lambda model: f"model_{model.model.replace('.', '_')}" in model_names
                and not cls.env[model.model]._abstract
            )
        )
        cls.salesman = cls.env.ref("sales_team.group_sale_salesman")

    def _rules(self, model):
        return self.env["ir.rule"].search([("model_id", "=", model.id)])

    def test_every_model_has_access_rules(self):
        self.assertGreater(len(self.models), 15, "the addon's models are found")
        for model in self.models:
            with self.subTest(model=model.model):
                self.assertTrue(model.access_ids, f"{model.model} has no access rule")

    def test_models_naming_documents_have_own_documents_rule(self):
        for model in self.models.filtered(lambda model: not self.env[model.model]._transient):
            Model = self.env[model.model]
            names_documents = any(
                field.type == "many2one" and field.comodel_name in DOCUMENT_MODELS
                for field in Model._fields.values()
            )
            readable_by_salespeople = any(
                access.perm_read
                and (not access.group_id or access.group_id in self.salesman.all_implied_ids)
                for access in model.access_ids
            )
            if not (names_documents and readable_by_salespeople):
                continue
            with self.subTest(model=model.model):
                rules = self._rules(model)
                self.assertTrue(
                    rules.filtered(lambda rule: self.salesman in rule.groups),
                    f"{model.model} names leads or orders but has no own-documents rule",
                )
                if "company_id" in Model._fields and Model._fields["company_id"].store:
                    self.assertTrue(
                        rules.filtered("global"),
                        f"{model.model} has a company but no multi-company rule",
                    )

    def test_bookkeeping_models_are_read_only_for_every_group(self):
        for model in self.models.filtered(lambda model: model.model in BOOKKEEPING_MODELS):
            for access in model.access_ids:
                with self.subTest(model=model.model, access=access.name):
                    self.assertFalse(
                        access.perm_create or access.perm_write or access.perm_unlink,
                        f"{access.name} lets users change {model.model}",
                    )
