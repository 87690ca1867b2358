{
    "name": "Customer Journeys - Ready-made Journeys",
    "summary": "Ready-made journeys to copy: welcome series, post-purchase feedback, "
    "win-back, and playbooks for a manufacturer, an exporter and a bank",
    "version": "19.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/mail-journey/mail_journey_automation",
    "author": "Mail Journey Automation contributors",
    "license": "LGPL-3",
    "depends": ["mail_journey_automation"],
    "data": [
        "data/mail_template_data.xml",
        "data/mail_journey_playbook_data.xml",
        "data/mail_journey_template_data.xml",
        "views/crm_lead_views.xml",
    ],
    "auto_install": True,
}
