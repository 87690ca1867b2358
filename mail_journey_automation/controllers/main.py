import base64
import re

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")
MAX_TOKEN_LENGTH = 128
# link_tracker's short codes: letters and digits
LINK_CODE = re.compile(r"[A-Za-z0-9]{1,64}")


class MailJourneyController(http.Controller):
    """Public tracking routes of journey emails. Every route checks the
    trace's signed token; an invalid one records nothing. The public user
    cannot read traces: the routes act as superuser once the token is checked."""

    def _get_trace(self, trace_id, token, purpose, *extra):
        if len(token) > MAX_TOKEN_LENGTH:
            return request.env["mail.journey.trace"]
        trace = request.env["mail.journey.trace"].sudo().browse(trace_id)
        return trace if trace._check_token(token, purpose, *extra) else trace.browse()

    def _get_link(self, code):
        """The link tracker of the short ``code``, else 404."""
        if not LINK_CODE.fullmatch(code):
            raise NotFound()
        # the public user cannot read link trackers; only the code's target is used
        link = (
            request.env["link.tracker"]
            .sudo()
            .search_fetch([("link_code_ids.code", "=", code)], limit=1)
        )
        if not link:
            raise NotFound()
        return link

    def _client(self):
        httprequest = request.httprequest
        return httprequest.headers.get("User-Agent", ""), httprequest.remote_addr

    @http.route(
        "/mail_journey/o/<int:trace_id>/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        csrf=False,
    )
    def track_open(self, trace_id, token, **kwargs):
        if trace := self._get_trace(trace_id, token, "open"):
            trace._register_open(*self._client())
        return request.make_response(
            PIXEL,
            headers=[
                ("Content-Type", "image/gif"),
                ("Cache-Control", "no-store, no-cache, must-revalidate, max-age=0"),
            ],
        )

    @http.route(
        "/mail_journey/c/<int:trace_id>/<string:code>/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        csrf=False,
    )
    def track_click(self, trace_id, code, token, **kwargs):
        link = self._get_link(code)
        if trace := self._get_trace(trace_id, token, "click", code):
            trace._register_click(link, *self._client())
        # only ever to the tracker's own target, never to a URL of the request
        return request.redirect(link.redirected_url, code=302, local=False)

    @http.route(
        "/mail_journey/h/<int:trace_id>/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        csrf=False,
    )
    def track_honeypot(self, trace_id, token, **kwargs):
        if trace := self._get_trace(trace_id, token, "honeypot"):
            trace._register_click(request.env["link.tracker"], *self._client(), honeypot=True)
        return request.make_response("", headers=[("Content-Type", "text/plain")])

    @http.route(
        "/mail_journey/u/<int:trace_id>/<string:token>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
    )
    def unsubscribe(self, trace_id, token, **post):
        """GET shows a confirmation page; POST (the page's button, or a mail
        client's RFC 8058 one-click request) unsubscribes at once."""
        trace = self._get_trace(trace_id, token, "unsubscribe")
        values = {"trace": trace, "token": token, "done": False}
        if trace and request.httprequest.method == "POST":
            trace._register_unsubscribe()
            values["done"] = True
        response = request.render("mail_journey_automation.unsubscribe_page", values)
        response.status_code = 200 if trace else 404
        return response
