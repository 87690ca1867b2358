{
    "name": "Customer Journeys - eCommerce",
    "summary": "Abandoned cart and browse abandonment journeys, with the viewed products "
    "in the emails",
    "version": "19.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/mail-journey/mail_journey_automation",
    "author": "Mail Journey Automation contributors",
    "license": "LGPL-3",
    "depends": ["mail_journey_automation_website", "website_sale"],
    "data": [
        "data/ir_cron_data.xml",
        "data/mail_template_data.xml",
        "data/mail_journey_data.xml",
        "views/mail_journey_views.xml",
        "views/crm_lead_views.xml",
    ],
    "auto_install": True,
    "uninstall_hook": "uninstall_hook",
}
