from odoo import api, models


class IrCron(models.Model):
    _inherit = "ir.cron"

    @api.model
    def _journey_trigger_workers(self, model_name, code, at=None):
        """Wake every active cron of ``model_name`` that runs ``code`` (the
        journey executors, the journey senders: a duplicated cron is one more
        worker, an archived one none) at ``at``; return whether there was one
        (the crons themselves stay with this superuser lookup)."""
        # crons are admin records; any user's journey may need them woken
        crons = self.sudo().search([("model_id.model", "=", model_name), ("code", "=", code)])
        for cron in crons:
            cron._trigger(at)
        return bool(crons)
