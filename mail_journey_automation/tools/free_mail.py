"""Free-mail providers.

An address at a free-mail provider tells nothing about the contact's company:
such domains never make an account (the contacts of one company whose
journeys pause or stop together) nor a domain for the per-domain sending
caps. The built-in list below is completed by a comma-separated system
parameter, read by the model (``_journey_get_free_mail_domains``).
"""

FREE_MAIL_DOMAINS = frozenset(
    {
        "126.com",
        "139.com",
        "163.com",
        "aol.com",
        "foxmail.com",
        "gmail.com",
        "gmx.de",
        "gmx.net",
        "googlemail.com",
        "hotmail.com",
        "icloud.com",
        "live.com",
        "mail.ru",
        "me.com",
        "msn.com",
        "naver.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "qq.com",
        "sina.com",
        "sohu.com",
        "web.de",
        "yahoo.com",
        "yandex.ru",
        "ymail.com",
    }
)


def free_mail_domains(extra=""):
    """Return the free-mail domains: the built-in ones and those of
    ``extra``, a comma-separated list (blanks ignored, lowercased)."""
    return FREE_MAIL_DOMAINS | {
        domain.strip().lower() for domain in (extra or "").split(",") if domain.strip()
    }


def business_domain(email, free_domains=FREE_MAIL_DOMAINS):
    """Return the domain of ``email`` (a normalized address), or False when
    it has none or it is one of ``free_domains``."""
    _name, at, domain = (email or "").rpartition("@")
    return domain if at and domain and domain not in free_domains else False
