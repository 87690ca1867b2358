from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.mail_journey_automation.tests.common import JourneyCommon
from odoo.addons.mail_journey_automation_website.hooks import uninstall_hook


@tagged("post_install", "-at_install", "mail_journey")
class TestWebsiteTrigger(JourneyCommon):
    """The trigger 'Website form submitted' as an entry of the core's
    trigger registry, and what uninstalling this addon does to it."""

    def test_website_form_declared_in_the_trigger_registry(self):
        codes = [code for code, _label in self.env["mail.journey"]._selection_trigger()]
        self.assertEqual(
            codes[codes.index("create") + 1], "website_form", "listed right after 'Record created'"
        )
        trigger = self.env["mail.journey"]._get_triggers()["website_form"]
        self.assertEqual(trigger["kind"], "event")
        with self.assertRaisesRegex(ValidationError, "Website form submitted"):
            self._create_journey(model="sale.order", trigger="website_form")

    def test_uninstall_hook_makes_website_form_journeys_manual(self):
        journey = self._create_journey([self._email_step()], trigger="website_form")
        journey.action_start()
        other = self._create_journey([self._email_step()], trigger="create")
        uninstall_hook(self.env)
        self.assertEqual(journey.trigger, "manual", "the default trigger, as before")
        self.assertEqual(other.trigger, "create")
