def uninstall_hook(env):
    """The step action 'Send an SMS' goes away with this addon: its steps
    become to-dos for the salesperson and their journeys are paused for
    their manager to review (archived and ready-made journeys included)."""
    env["mail.journey.step"].search([("action", "=", "sms")])._journey_drop_sms()
