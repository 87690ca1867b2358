from . import (
    mail_journey_whatsapp_account,
    mail_journey_whatsapp_template,
    mail_journey_whatsapp_variable,
    mail_journey,
    mail_journey_step,
    mail_journey_event,
    mail_journey_trace,
    crm_lead,
)
