def uninstall_hook(env):
    """The partial delivery signal goes away with this addon: the journeys
    it triggers, and those with a step it conditions, are paused for their
    manager to review (archived and ready-made journeys included)."""
    journeys = (
        env["mail.journey"]
        .with_context(active_test=False)
        .search([("quotation_signal", "=", "partial_delivery")])
    )
    journeys._journey_drop_partial_delivery()
    steps = env["mail.journey.step"].search([("quotation_signal", "=", "partial_delivery")])
    steps._journey_drop_partial_delivery()
