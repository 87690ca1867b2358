def uninstall_hook(env):
    """The trigger 'Website form submitted' goes away with this addon: the
    journeys it started fall back to the default trigger, manual enrollment
    (archived and ready-made journeys included)."""
    journeys = (
        env["mail.journey"]
        .with_context(active_test=False)
        .search([("trigger", "=", "website_form")])
    )
    journeys.write({"trigger": "manual"})
