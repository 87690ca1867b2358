def migrate(cr, version):
    """The six reports became three: the SQL views of the former lift report
    and weekly stage snapshot are no longer any model's (their rows now come
    from ``mail.journey.impact.report`` and ``mail.journey.stage.report``)."""
    cr.execute("DROP VIEW IF EXISTS mail_journey_lift_report")
    cr.execute("DROP VIEW IF EXISTS mail_journey_stage_snapshot")
