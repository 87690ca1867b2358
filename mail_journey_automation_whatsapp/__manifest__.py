{
    "name": "Customer Journeys - WhatsApp",
    "summary": "WhatsApp steps in journeys (Cloud API templates and replies), delivery and "
    "read receipts as engagement, inbound messages as journey events",
    "version": "19.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/mail-journey/mail_journey_automation",
    "author": "Mail Journey Automation contributors",
    "license": "LGPL-3",
    "depends": ["mail_journey_automation"],
    "data": [
        "security/mail_journey_whatsapp_security.xml",
        "security/ir.model.access.csv",
        "views/mail_journey_whatsapp_account_views.xml",
        "views/mail_journey_whatsapp_template_views.xml",
        "views/mail_journey_step_views.xml",
        "views/mail_journey_views.xml",
        "views/crm_lead_views.xml",
        "views/mail_journey_whatsapp_menus.xml",
    ],
    "auto_install": True,
}
