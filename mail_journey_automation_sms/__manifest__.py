{
    "name": "Customer Journeys - SMS",
    "summary": "Journey steps that send an SMS through the database's SMS provider, with "
    "tracked links, the phone blacklist, delivery reports and per-channel caps",
    "version": "19.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/mail-journey/mail_journey_automation",
    "author": "Mail Journey Automation contributors",
    "license": "LGPL-3",
    "depends": ["mail_journey_automation", "sms"],
    "data": [
        "views/mail_journey_step_views.xml",
        "views/mail_journey_trace_views.xml",
    ],
    "auto_install": True,
    "uninstall_hook": "uninstall_hook",
}
