import json
import re
import time
from collections import defaultdict, deque

from werkzeug.exceptions import RequestEntityTooLarge

from odoo import http
from odoo.http import request
from odoo.tools import consteq, email_normalize

MAX_BODY_BYTES = 16 * 1024
# levels of objects and lists in "data" ({"a": 1} is one)
MAX_DATA_DEPTH = 10
RATE_WINDOW_SECONDS = 60
EVENT_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
FIELDS = {
    "event": str,
    "email": str,
    "phone": str,
    "description": str,
    "data": dict,
}
MAX_LENGTHS = {"email": 254, "phone": 64, "description": 2000}
# requests per company in the last minute, per worker process
_recent_requests = defaultdict(deque)


def _body_stream_limit(controller):
    """The most werkzeug's input stream gives the endpoint: a chunked body has
    no Content-Length to refuse up front, so its stream stops one byte past
    MAX_BODY_BYTES (and ``_parse`` answers 413) instead of being read to its
    end, however long; a declared Content-Length is refused by ``_parse``
    before anything is read, with the JSON answer."""
    if request.httprequest.content_length is None:
        return MAX_BODY_BYTES + 1
    return request.httprequest.max_content_length


def _json_depth(value):
    """Levels of objects and lists in ``value`` (0 for a scalar), counted
    without recursion and no further than one past MAX_DATA_DEPTH."""
    depth, level = 0, [value]
    while depth <= MAX_DATA_DEPTH:
        containers = [item for item in level if isinstance(item, dict | list)]
        if not containers:
            break
        depth += 1
        level = [
            child
            for container in containers
            for child in (container.values() if isinstance(container, dict) else container)
        ]
    return depth


class BadRequest(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class MailJourneyEventController(http.Controller):
    """JSON endpoint through which chat and WhatsApp tools report events on
    leads (README: "External events")."""

    @http.route(
        "/mail_journey/event",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
        max_content_length=_body_stream_limit,
    )
    def external_event(self, **kwargs):
        try:
            company = self._authenticate()
            self._check_rate(company)
            payload = self._parse()
        except BadRequest as error:
            return self._reply(error.status, error=str(error))
        # the caller is authenticated by its company's token, not as a user
        event, enrollments, scheduled = (
            request.env["mail.journey.event"]
            .sudo()
            ._receive_external(
                company,
                payload["event"],
                email=payload.get("email"),
                phone=payload.get("phone"),
                payload=payload.get("data"),
                description=payload.get("description"),
            )
        )
        if not event:
            return self._reply(404, error="No lead of this company has this email or phone.")
        return self._reply(
            201,
            event_id=event.id,
            lead_id=event.lead_id.id,
            enrolled_journey_ids=enrollments.journey_id.ids,
            scheduled_steps=len(scheduled),
        )

    def _authenticate(self):
        header = request.httprequest.headers.get("Authorization", "")
        token = header[7:].strip() if header.startswith("Bearer ") else ""
        if token:
            # no session: the token itself says which company calls
            companies = (
                request.env["res.company"].sudo().search([("journey_event_token", "!=", False)])
            )
            for company in companies:
                # compared as bytes: a header may hold any character
                if consteq(company.journey_event_token.encode(), token.encode()):
                    return company
        raise BadRequest(401, "Missing or invalid token: send 'Authorization: Bearer <token>'.")

    def _check_rate(self, company):
        limit = int(
            request.env["ir.config_parameter"].sudo().get_param("mail_journey.event_rate_limit", 60)
        )
        now = time.monotonic()
        recent = _recent_requests[company.id]
        while recent and recent[0] < now - RATE_WINDOW_SECONDS:
            recent.popleft()
        if len(recent) >= limit:
            raise BadRequest(429, f"Too many events: at most {limit} a minute.")
        recent.append(now)

    def _parse(self):
        payload = self._read_json()
        if not isinstance(payload, dict):
            raise BadRequest(400, "The body must be a JSON object.")
        if unknown := sorted(set(payload) - set(FIELDS)):
            raise BadRequest(400, f"Unknown fields: {', '.join(unknown)}.")
        for name, kind in FIELDS.items():
            value = payload.get(name)
            if value is not None and not isinstance(value, kind):
                raise BadRequest(400, f"'{name}' must be a {kind.__name__}.")
            if isinstance(value, str) and len(value) > MAX_LENGTHS.get(name, 64):
                raise BadRequest(400, f"'{name}' is too long.")
        if _json_depth(payload.get("data")) > MAX_DATA_DEPTH:
            raise BadRequest(
                400,
                f"'data' is nested too deeply: at most {MAX_DATA_DEPTH} levels of objects "
                "and lists.",
            )
        if not EVENT_NAME.match(payload.get("event") or ""):
            raise BadRequest(
                400, "'event' is required: lowercase letters, digits, '_', '.' or '-'."
            )
        return self._normalize_identifiers(payload)

    def _read_json(self):
        """The body decoded, read no further than one byte past MAX_BODY_BYTES."""
        httprequest = request.httprequest
        if (httprequest.content_length or 0) > MAX_BODY_BYTES:
            raise BadRequest(413, f"The body is larger than {MAX_BODY_BYTES} bytes.")
        if httprequest.mimetype != "application/json":
            raise BadRequest(415, "Send the event as application/json.")
        try:
            # the stream stops past MAX_BODY_BYTES + 1 (_body_stream_limit)
            body = httprequest.get_data(cache=False)
        except RequestEntityTooLarge:
            body = None
        if body is None or len(body) > MAX_BODY_BYTES:
            raise BadRequest(413, f"The body is larger than {MAX_BODY_BYTES} bytes.")
        try:
            return json.loads(body)
        except RecursionError as error:
            raise BadRequest(400, "Malformed JSON: nested too deeply.") from error
        except ValueError as error:
            raise BadRequest(400, f"Malformed JSON: {error}") from error

    def _normalize_identifiers(self, payload):
        """``payload`` with its email normalized and its phone without
        separators; a blank or invalid one is refused, never taken for "a
        lead without one"."""
        email, phone = payload.get("email"), payload.get("phone")
        if email is None and phone is None:
            raise BadRequest(400, "Give the lead's 'email' or 'phone'.")
        if email is not None and not (email := email_normalize(email)):
            raise BadRequest(
                400, "'email' is not a valid email address: correct it or leave it out."
            )
        Event = request.env["mail.journey.event"]
        if phone is not None and not (phone := Event._sanitize_external_phone(phone)):
            raise BadRequest(
                400,
                "'phone' is not a valid phone number: 6 to 17 digits, with an optional "
                "leading '+', spaces, dashes, dots or parentheses; or leave it out.",
            )
        return {**payload, "email": email, "phone": phone}

    def _reply(self, status, **values):
        headers = [("Retry-After", str(RATE_WINDOW_SECONDS))] if status == 429 else None
        return request.make_json_response(values, headers=headers, status=status)
