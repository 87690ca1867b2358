"""The WhatsApp Business Platform Cloud API, as plain functions.

No ORM here: the models give every value (ids, tokens, texts) and keep what
needs the database. The HTTP calls go through ``requests`` (shipped with
Odoo) to Meta's Graph API; everything else is pure and tested without a
database or a network (``tests/test_whatsapp_tools.py``).
"""

import hashlib
import hmac
import re
import unicodedata

import requests

GRAPH_URL = "https://graph.facebook.com/v21.0"
TIMEOUT_SECONDS = 10
# template placeholders of the body: {{1}}, {{2}}, ... (or named: {{name}})
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
# E.164: a + and at most 15 digits, the first not 0
E164 = re.compile(r"^\+[1-9][0-9]{5,14}$")
PHONE_SEPARATORS = re.compile(r"[\s().\-/]")
# a whole message that opts out of WhatsApp messages (case and spaces ignored)
OPT_OUT_WORDS = frozenset(
    {"stop", "unsubscribe", "stop all", "opt out", "optout", "退订", "取消订阅", "退订消息"}
)
# Meta's answers that a later attempt may mend: too many requests, server side
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
# Meta's error codes of throttling, also when answered with another HTTP status
THROTTLING_CODES = frozenset({4, 80007, 130429, 131048, 131056})


class CloudApiError(Exception):
    """A call Meta refused, or that did not reach it: ``status`` (the HTTP
    status, 0 without answer), ``code`` (Meta's error code) and ``message``
    (Meta's error text); ``transient`` when a later attempt may succeed."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    @property
    def transient(self):
        return (
            self.status == 0 or self.status in TRANSIENT_STATUSES or self.code in THROTTLING_CODES
        )

    def __str__(self):
        return f"({self.code or self.status}) {self.message}"


def normalize_phone(number):
    """``number`` in E.164 (``+8613812345678``), or False when it is not
    written internationally: a leading ``+`` or ``00``, or the bare digits
    of WhatsApp's ``wa_id`` (``8613812345678``, ``bare=True``)."""
    return _normalize(number, bare=False)


def normalize_wa_id(wa_id):
    """The E.164 form of a WhatsApp id (the sender's digits, without +)."""
    return _normalize(wa_id, bare=True)


def _normalize(number, bare):
    digits = PHONE_SEPARATORS.sub("", number or "")
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    elif not bare:
        return False
    candidate = f"+{digits}"
    return candidate if E164.match(candidate) else False


def sign(secret, body):
    """The ``X-Hub-Signature-256`` Meta sends with ``body`` (bytes)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_signature(secret, body, header):
    """Whether ``header`` is the HMAC-SHA256 of the raw ``body`` with the
    app ``secret``, compared in constant time."""
    if not secret or not header:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), header.strip().encode())


def _fold(text):
    """``text`` compared without case, accents' width or surrounding spaces."""
    return unicodedata.normalize("NFKC", text or "").casefold().strip()


def is_opt_out(text):
    """Whether the whole message asks to stop WhatsApp messages."""
    return " ".join(_fold(text).strip(".!。！").split()) in OPT_OUT_WORDS


def parse_keywords(keywords):
    """The words of a comma-separated list (``price, 报价``), folded."""
    return [word for word in (_fold(part) for part in (keywords or "").split(",")) if word]


def contains_keywords(text, keywords):
    """Whether ``text`` contains one of ``keywords`` (comma-separated; an
    empty list matches every text)."""
    words = parse_keywords(keywords)
    folded = _fold(text)
    return not words or any(word in folded for word in words)


def template_body(components):
    """The text of the BODY component of a template's ``components``."""
    return next(
        (part.get("text") or "" for part in components or [] if part.get("type") == "BODY"), ""
    )


def template_variables(components):
    """The distinct placeholders of the template's body, in order of appearance."""
    names = []
    for name in PLACEHOLDER.findall(template_body(components)):
        if name not in names:
            names.append(name)
    return names


def template_payload(to, name, language, parameters):
    """The body of a template message: ``parameters`` are the values of
    the body's placeholders, in order, sent as text (WhatsApp shows them as
    they are; they are never templates themselves)."""
    template = {"name": name, "language": {"code": language}}
    if parameters:
        template["components"] = [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": value} for value in parameters],
            }
        ]
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "template",
        "template": template,
    }


def text_payload(to, body):
    """The body of a free-form text message (only within 24 hours of the
    customer's last message)."""
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"preview_url": True, "body": body},
    }


def _raise_for_answer(response):
    if response.status_code < 400:
        return
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    details = (error.get("error_data") or {}).get("details")
    message = error.get("message") or response.reason or "HTTP error"
    raise CloudApiError(
        response.status_code, error.get("code"), f"{message}: {details}" if details else message
    )


def send_message(phone_number_id, token, payload):
    """Send one message; return its WhatsApp message id (``wamid``)."""
    try:
        response = requests.post(
            f"{GRAPH_URL}/{phone_number_id}/messages",
            json=payload,
            headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        raise CloudApiError(0, None, f"WhatsApp could not be reached: {error}") from error
    _raise_for_answer(response)
    messages = response.json().get("messages") or [{}]
    return messages[0].get("id")


def list_templates(business_account_id, token, max_pages=50):
    """Every message template of the WhatsApp Business Account, following
    Meta's paging (at most ``max_pages`` pages of 100)."""
    url = f"{GRAPH_URL}/{business_account_id}/message_templates"
    params = {"fields": "name,language,category,status,components", "limit": 100}
    templates = []
    for _page in range(max_pages):
        try:
            response = requests.get(
                url,
                params=params,
                headers={"Authorization": f"Bearer {token}"},
                timeout=TIMEOUT_SECONDS,
            )
        except requests.RequestException as error:
            raise CloudApiError(0, None, f"WhatsApp could not be reached: {error}") from error
        _raise_for_answer(response)
        answer = response.json()
        templates += answer.get("data") or []
        after = ((answer.get("paging") or {}).get("cursors") or {}).get("after")
        if not after or not (answer.get("paging") or {}).get("next"):
            break
        params = {**params, "after": after}
    return templates


def parse_notification(payload, phone_number_id):
    """The statuses, messages and sender names of a webhook ``payload`` for
    the phone number ``phone_number_id`` (changes for other numbers are
    left out): (statuses, messages, {wa_id: profile name})."""
    statuses, messages, names = [], [], {}
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        return statuses, messages, names
    for entry in _dicts(payload.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if change.get("field") != "messages" or not isinstance(value, dict):
                continue
            metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
            if str(metadata.get("phone_number_id")) != str(phone_number_id):
                continue
            statuses += [status for status in _dicts(value.get("statuses")) if status.get("id")]
            messages += [msg for msg in _dicts(value.get("messages")) if msg.get("from")]
            for contact in _dicts(value.get("contacts")):
                profile = contact.get("profile") if isinstance(contact.get("profile"), dict) else {}
                if contact.get("wa_id") and isinstance(profile.get("name"), str):
                    names[str(contact["wa_id"])] = profile["name"][:128]
    return statuses, messages, names


def message_text(message):
    """The text of an inbound message (text, a quick-reply button, an
    interactive answer, a media caption), or '' for other kinds."""
    kind = message.get("type")
    part = message.get(kind) if isinstance(message.get(kind), dict) else {}
    if kind == "text":
        text = part.get("body")
    elif kind == "button":
        text = part.get("text")
    elif kind == "interactive":
        reply = part.get("button_reply") or part.get("list_reply") or {}
        text = reply.get("title") if isinstance(reply, dict) else None
    else:
        text = part.get("caption")
    return text if isinstance(text, str) else ""


def status_error(status):
    """Meta's (code, text) of a failed status, else (None, '')."""
    errors = list(_dicts(status.get("errors")))
    if not errors:
        return None, ""
    error = errors[0]
    details = (
        (error.get("error_data") or {}).get("details")
        if isinstance(error.get("error_data"), dict)
        else None
    )
    text = error.get("message") or error.get("title") or ""
    return error.get("code"), f"{text}: {details}" if details else text


def _dicts(items):
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
