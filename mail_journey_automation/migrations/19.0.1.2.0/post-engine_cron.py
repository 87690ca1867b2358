from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """The executing cron moved from the trace model to the engine
    (``mail.journey.engine._cron_execute``); its record is noupdate."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref("mail_journey_automation.ir_cron_mail_journey_execute", raise_if_not_found=False)
    if cron:
        cron.model_id = env["ir.model"]._get("mail.journey.engine")
