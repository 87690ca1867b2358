import json

from werkzeug.exceptions import RequestEntityTooLarge

from odoo import http
from odoo.http import request
from odoo.tools import consteq

from ..tools import cloud_api

# Meta batches up to 1,000 updates in a notification; far below this
MAX_BODY_BYTES = 512 * 1024


def _body_stream_limit(controller):
    """Read a chunked body (no Content-Length) no further than one byte past
    MAX_BODY_BYTES; a declared length is refused before reading."""
    if request.httprequest.content_length is None:
        return MAX_BODY_BYTES + 1
    return request.httprequest.max_content_length


class MailJourneyWhatsappController(http.Controller):
    """The webhook of a WhatsApp account (README: "Channels: WhatsApp").

    GET is Meta's verification handshake: the challenge is echoed only for
    the account's verify token. POST is a notification: accepted only with
    a valid ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body with the
    account's app secret), else 403 and nothing is read or recorded.
    Statuses and messages Odoo does not know (another system's messages,
    another company's) are ignored with 200: Meta retries otherwise."""

    @http.route(
        "/mail_journey/whatsapp/webhook/<int:account_id>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
        max_content_length=_body_stream_limit,
    )
    def webhook(self, account_id, **kwargs):
        # the secrets are administrators' fields: the public route reads them
        # to authenticate the caller, and acts for the account only once the
        # caller proved it knows them
        account = request.env["mail.journey.whatsapp.account"].sudo().browse(account_id).exists()
        if not account or not account.active:
            return self._reply(404, "No such WhatsApp account.")
        if request.httprequest.method == "GET":
            return self._handshake(account)
        body = self._read_body()
        if body is None:
            return self._reply(413, "Notification too large.")
        signature = request.httprequest.headers.get("X-Hub-Signature-256", "")
        if not cloud_api.check_signature(account.app_secret, body, signature):
            return self._reply(403, "Invalid signature.")
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            return self._reply(400, "Malformed JSON.")
        # authenticated as the account (signature): its company's journeys
        # record the statuses and messages, whoever the visitor is
        account.with_company(account.company_id)._whatsapp_process(payload)
        return self._reply(200, "OK")

    def _read_body(self):
        """The raw body (signed as it is), or None past MAX_BODY_BYTES."""
        httprequest = request.httprequest
        if (httprequest.content_length or 0) > MAX_BODY_BYTES:
            return None
        try:
            body = httprequest.get_data(cache=False)
        except RequestEntityTooLarge:
            return None
        return body if len(body) <= MAX_BODY_BYTES else None

    def _handshake(self, account):
        params = request.httprequest.args
        token = params.get("hub.verify_token", "")
        if (
            params.get("hub.mode") == "subscribe"
            and account.verify_token
            and consteq(account.verify_token.encode(), token.encode())
        ):
            return self._reply(200, params.get("hub.challenge", "")[:256])
        return self._reply(403, "Invalid verify token.")

    def _reply(self, status, text):
        return request.make_response(
            text, headers=[("Content-Type", "text/plain; charset=utf-8")], status=status
        )
