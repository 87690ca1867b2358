def uninstall_hook(env):
    """The triggers 'Abandoned cart' and 'Browse abandonment' go away with
    this addon: the journeys they started fall back to the default trigger,
    manual enrollment (archived journeys included)."""
    journeys = (
        env["mail.journey"]
        .with_context(active_test=False)
        .search([("trigger", "in", ("abandoned_cart", "browse_abandonment"))])
    )
    journeys.write({"trigger": "manual"})
