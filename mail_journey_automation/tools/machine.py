"""Machine engagement: opens and clicks that no person made.

Privacy proxies fetch the tracking pixel and security scanners follow the
links of an email before (or instead of) the person. The rules below tell
them apart from what the request and its timing show (README, "Machine opens
and clicks"); the engine keeps such events in the log, flagged with the
reason, but counts them neither as opens nor as clicks.

The functions return a :class:`MachineReason` (a code and its detail) or
None for a person; the model turns the code into a sentence in the user's
language.
"""

import ipaddress
import re
from typing import NamedTuple

# user agents of bots, link previews, HTTP libraries and mail-security products
MACHINE_USER_AGENT = re.compile(
    r"bot\b|crawler|spider|scanner|preview|python-requests|python-urllib|curl/|wget/|"
    r"go-http-client|java/|libwww|httpclient|okhttp|headless|phantomjs|barracuda|mimecast|"
    r"proofpoint|symantec|trendmicro|forcepoint|sophos|fortiguard|safelinks|"
    r"microsoft office|ms-office|skypeuripreview|facebookexternalhit|slackbot",
    re.IGNORECASE,
)
# address ranges of privacy proxies and mail-security scanners, by product
MACHINE_NETWORKS = {
    name: tuple(ipaddress.ip_network(network) for network in networks)
    for name, networks in {
        "Apple Mail Privacy Protection": ["17.0.0.0/8"],
        "Microsoft Defender / Safe Links": [
            "40.92.0.0/15",
            "40.107.0.0/16",
            "52.100.0.0/14",
            "104.47.0.0/17",
        ],
        "Mimecast": ["205.139.110.0/24", "207.211.30.0/24", "91.220.42.0/24"],
        "Proofpoint": ["148.163.128.0/19", "67.231.144.0/20"],
        "Barracuda": ["64.235.144.0/20", "209.222.80.0/21"],
    }.items()
}
# a click less than this many seconds after sending is a scanner's
MACHINE_CLICK_SECONDS = 10
# a click at most this many seconds after a click on another link of the
# same email is a scanner following every link
MACHINE_BURST_SECONDS = 5

# reason codes
NO_USER_AGENT = "no_user_agent"
USER_AGENT = "user_agent"  # detail: the part of the user agent that matched
NETWORK = "network"  # detail: the name of the product whose network it is
HONEYPOT = "honeypot"
CLICK_AFTER_SENDING = "click_after_sending"  # detail: whole seconds since sending
CLICK_BURST = "click_burst"


class MachineReason(NamedTuple):
    """Why an event is a machine's: one of the reason codes above, and what
    the message about it shows (or None)."""

    code: str
    detail: str | int | None = None


def client_machine_reason(user_agent, ip):
    """Return the :class:`MachineReason` of a request whose client is a
    machine, from its ``user_agent`` and its ``ip`` address, or None.

    A request without user agent is a machine's; an unreadable or missing IP
    address proves nothing.
    """
    if not user_agent:
        return MachineReason(NO_USER_AGENT)
    if match := MACHINE_USER_AGENT.search(user_agent):
        return MachineReason(USER_AGENT, match.group(0))
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return None
    for name, networks in MACHINE_NETWORKS.items():
        if any(address in network for network in networks):
            return MachineReason(NETWORK, name)
    return None


def click_machine_reason(seconds_since_sent=None, seconds_since_other_click=None):
    """Return the :class:`MachineReason` of a click that came too fast for a
    person, or None.

    :param float seconds_since_sent: seconds between the sending of the email
        and the click (None: unknown)
    :param float seconds_since_other_click: seconds since the latest click on
        another link of the same email (None: there is none)
    """
    if seconds_since_sent is not None and seconds_since_sent < MACHINE_CLICK_SECONDS:
        return MachineReason(CLICK_AFTER_SENDING, int(seconds_since_sent))
    if seconds_since_other_click is not None and (
        seconds_since_other_click <= MACHINE_BURST_SECONDS
    ):
        return MachineReason(CLICK_BURST)
    return None


def machine_reason(
    user_agent,
    ip,
    *,
    click=False,
    honeypot=False,
    seconds_since_sent=None,
    seconds_since_other_click=None,
):
    """Return the :class:`MachineReason` of an open (``click`` false) or a
    click, or None when a person made it: the hidden honeypot link first,
    then the client, then, for clicks, the timing."""
    if honeypot:
        return MachineReason(HONEYPOT)
    reason = client_machine_reason(user_agent, ip)
    if not reason and click:
        reason = click_machine_reason(seconds_since_sent, seconds_since_other_click)
    return reason
