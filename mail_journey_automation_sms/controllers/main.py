from odoo import http
from odoo.http import request

from odoo.addons.mail_journey_automation.controllers.main import (
    MAX_TOKEN_LENGTH,
    MailJourneyController,
)


class MailJourneySmsController(MailJourneyController):
    """The links of journey SMS: link_tracker's short link of the URL,
    followed by the trace and its signature (short, as an SMS must be). A
    valid signature records the click on the trace (and in link_tracker's
    statistics); the visitor is redirected either way."""

    @http.route(
        "/r/<string:code>/j/<int:trace_id>/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        csrf=False,
    )
    def sms_short_link_redirect(self, code, trace_id, token, **kwargs):
        link = self._get_link(code)
        # the public user cannot read traces: acts as superuser once the token is checked
        trace = request.env["mail.journey.trace"].sudo().browse(trace_id)
        if len(token) <= MAX_TOKEN_LENGTH and trace._check_sms_click_token(code, token):
            user_agent, ip = self._client()
            if trace._register_click(link, user_agent, ip):
                request.env["link.tracker.click"].sudo().add_click(
                    code, ip=ip, country_code=request.geoip.country_code
                )
        # only ever to the tracker's own target, never to a URL of the request
        return request.redirect(link.redirected_url, code=302, local=False)
