{
    "name": "Customer Journeys - Inventory",
    "summary": "Journey stages follow the deliveries: an order is delivered when its pickings are done",
    "version": "19.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/mail-journey/mail_journey_automation",
    "author": "Mail Journey Automation contributors",
    "license": "LGPL-3",
    "depends": ["mail_journey_automation", "sale_stock"],
    "auto_install": True,
}
