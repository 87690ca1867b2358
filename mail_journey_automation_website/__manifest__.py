{
    "name": "Customer Journeys - Website Forms",
    "summary": "Leads from website forms enter their welcome journey, with their UTM "
    "source and the segmentation the form collected",
    "version": "19.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/mail-journey/mail_journey_automation",
    "author": "Mail Journey Automation contributors",
    "license": "LGPL-3",
    "depends": ["mail_journey_automation", "website_crm"],
    "data": [
        "data/website_form_data.xml",
        "data/mail_template_data.xml",
        "data/mail_journey_templates.xml",
        "views/mail_journey_views.xml",
        "views/crm_lead_views.xml",
    ],
    "auto_install": True,
    "uninstall_hook": "uninstall_hook",
}
