{
    "name": "Customer Journeys - Inventory",
    "summary": "Journeys follow the deliveries: delivered when the pickings are done, "
    "and a partial delivery signal",
    "version": "19.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/mail-journey/mail_journey_automation",
    "author": "Mail Journey Automation contributors",
    "license": "LGPL-3",
    "depends": ["mail_journey_automation", "sale_stock"],
    "auto_install": True,
    "uninstall_hook": "uninstall_hook",
}
