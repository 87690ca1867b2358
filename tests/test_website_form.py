"""A visitor fills in a website form that creates leads, as a browser does:
the lead, its enrollment in the welcome journey and the welcome email
(received by the SMTP sink) must all exist."""

from html.parser import HTMLParser

from .common import BlackBoxCase

EMAIL = "lina.chen@greenleaf-tea.example.com"
PAGE_URL = "/request-a-quote-bb"

# a page as the form builder saves it: a form with the action "Create an
# Opportunity" (data-model_name="crm.lead") and the fields the bridge makes
# mappable (company size, industry, interests, consent)
PAGE_ARCH = """
<t t-name="website.request_a_quote_bb">
  <t t-call="website.layout">
    <div id="wrap" class="oe_structure">
      <section class="s_website_form" data-snippet="s_website_form">
        <form id="quote_form" action="/website/form/" method="post"
              enctype="multipart/form-data" data-model_name="crm.lead"
              data-success-mode="redirect" data-success-page="/contactus-thank-you">
          <input type="hidden" name="csrf_token" t-att-value="request.csrf_token()"/>
          <input type="text" name="contact_name" required="1"/>
          <input type="email" name="email_from" required="1"/>
          <input type="tel" name="phone"/>
          <input type="text" name="partner_name"/>
          <input type="text" name="name" required="1"/>
          <textarea name="description"/>
          <select name="journey_company_size">
            <option value="1_10">1-10 employees</option>
            <option value="51_200">51-200 employees</option>
          </select>
          <select name="journey_industry_id">
            <option t-att-value="industry">Tea</option>
          </select>
          <input type="checkbox" name="journey_interest_ids" t-att-value="interest"/>
          <input type="checkbox" name="journey_consent" value="on"/>
        </form>
      </section>
    </div>
  </t>
</t>
"""


class FormReader(HTMLParser):
    """The action, model and field names of the lead form of a page."""

    def __init__(self):
        super().__init__()
        self.model, self.fields, self.in_form, self.values = None, [], False, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("data-model_name"):
            self.model, self.in_form = attrs["data-model_name"], True
        elif self.in_form and tag in ("input", "select", "textarea") and attrs.get("name"):
            self.fields.append(attrs["name"])
            self.values.setdefault(attrs["name"], attrs.get("value"))
        elif self.in_form and tag == "option":
            self.values.setdefault(f"option:{self._last_select()}", []).append(attrs["value"])

    def _last_select(self):
        return self.fields[-1]

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False


class TestWebsiteLeadForm(BlackBoxCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rpc = cls.rpc
        rpc("ir.mail_server", "write", rpc("ir.mail_server", "search", []), {"active": False})
        rpc(
            "ir.mail_server",
            "create",
            {
                "name": "SMTP sink (black-box tests)",
                "smtp_host": "127.0.0.1",
                "smtp_port": cls.smtp_port,
                "smtp_encryption": "none",
            },
        )
        rpc("ir.config_parameter", "set_param", "web.base.url", cls.url)
        [lead_model] = rpc("ir.model", "search", [("model", "=", "crm.lead")])
        template = rpc(
            "mail.template",
            "create",
            {
                "name": "Website welcome (black-box)",
                "model_id": lead_model,
                "subject": "Welcome {{ object.contact_name }}",
                "body_html": '<p>Hello <t t-out="object.contact_name"/>, thanks for your request.</p>',
                "email_from": "sales@yourcompany.example.com",
                "use_default_to": True,
            },
        )
        cls.journey = rpc(
            "mail.journey",
            "create",
            {"name": "Website welcome (black-box)", "model": "crm.lead", "trigger": "website_form"},
        )
        rpc(
            "mail.journey.step",
            "create",
            {
                "journey_id": cls.journey,
                "name": "Welcome",
                "action": "email",
                "mail_template_id": template,
            },
        )
        rpc("mail.journey", "action_start", [cls.journey])
        cls.industry = rpc("res.partner.industry", "create", {"name": "Tea (black-box)"})
        cls.interest = rpc("mail.journey.interest", "create", {"name": "Paper tubes (black-box)"})
        [website] = rpc("website", "search", [], limit=1)
        arch = PAGE_ARCH.replace('t-att-value="industry"', f'value="{cls.industry}"').replace(
            't-att-value="interest"', f'value="{cls.interest}"'
        )
        rpc(
            "website.page",
            "create",
            {
                "name": "Request a quote (black-box)",
                "type": "qweb",
                "key": "website.request_a_quote_bb",
                "arch": arch,
                "url": PAGE_URL,
                "website_id": website,
                "is_published": True,
            },
        )

    def _fill_in_form(self):
        """Open the form page from a campaign link, then post the form as
        the browser's form widget does (multipart, with the CSRF token)."""
        browser = self.browser()
        page = browser.get(
            f"{self.url}{PAGE_URL}",
            params={
                "utm_source": "Newsletter BB",
                "utm_medium": "Email",
                "utm_campaign": "Spring BB",
            },
            timeout=60,
        )
        self.assertEqual(page.status_code, 200)
        self.assertIn("odoo_utm_source", browser.cookies, "the landing page kept the UTM")
        form = FormReader()
        form.feed(page.text)
        self.assertEqual(form.model, "crm.lead", "the page has a form creating leads")
        self.assertTrue(form.values.get("csrf_token"), "the form carries a CSRF token")
        typed = {
            "contact_name": "Lina Chen",
            "email_from": EMAIL,
            "phone": "+86 21 5555 0100",
            "partner_name": "Greenleaf Tea",
            "name": "Tea tubes for our spring range",
            "description": "We need 5,000 printed tubes by April.",
            "journey_company_size": "51_200",
        }
        self.assertIn("51_200", form.values["option:journey_company_size"])
        values = {
            name: typed.get(name) or form.values[name] or form.values[f"option:{name}"][0]
            for name in form.fields
        }
        answer = browser.post(
            f"{self.url}/website/form/{form.model}",
            files={name: (None, value) for name, value in values.items()},
            headers={"Referer": page.url},
            timeout=60,
        )
        self.assertEqual(answer.status_code, 200, answer.text[:500])
        lead_id = answer.json().get("id")
        self.assertTrue(lead_id, f"the form was refused: {answer.text[:500]}")
        return lead_id

    def test_form_lead_gets_welcome_email(self):
        lead_id = self._fill_in_form()
        rpc = self.rpc
        [lead] = rpc(
            "crm.lead",
            "read",
            [lead_id],
            [
                "email_from",
                "source_id",
                "medium_id",
                "campaign_id",
                "journey_company_size",
                "journey_industry_id",
                "journey_interest_ids",
                "journey_consent",
                "journey_consent_source",
            ],
        )
        self.assertEqual(lead["email_from"], EMAIL)
        self.assertEqual(lead["source_id"][1], "Newsletter BB")
        self.assertEqual(lead["medium_id"][1], "Email")
        self.assertEqual(lead["campaign_id"][1], "Spring BB")
        self.assertEqual(lead["journey_company_size"], "51_200")
        self.assertEqual(lead["journey_industry_id"][0], self.industry)
        self.assertEqual(lead["journey_interest_ids"], [self.interest])
        self.assertTrue(lead["journey_consent"])
        self.assertIn(PAGE_URL, lead["journey_consent_source"])
        enrollments = rpc(
            "mail.journey.enrollment",
            "search_read",
            [("lead_id", "=", lead_id), ("journey_id", "=", self.journey)],
            fields=["state"],
        )
        self.assertEqual(len(enrollments), 1, "the lead entered the welcome journey")

        rpc.run_cron("mail_journey_automation.ir_cron_mail_journey_execute")
        traces = rpc(
            "mail.journey.trace",
            "search_read",
            [("enrollment_id", "=", enrollments[0]["id"])],
            fields=["state", "state_message", "mail_message_id"],
        )
        self.assertEqual([trace["state"] for trace in traces], ["done"], traces)
        [message] = rpc("mail.message", "read", [traces[0]["mail_message_id"][0]], ["subject"])
        self.assertEqual(message["subject"], "Welcome Lina Chen")

        rpc.run_cron("mail.ir_cron_mail_scheduler_action")
        mail = self.wait_for_mail(EMAIL)
        self.assertEqual(mail["Subject"], "Welcome Lina Chen")
        self.assertIn("/mail_journey/u/", str(mail["List-Unsubscribe"]))
        body = mail.get_body(preferencelist=("html",)).get_content()
        self.assertIn("Hello Lina Chen", body)
        self.assertIn("/mail_journey/o/", body, "the email carries its open pixel")
