from odoo import api, models, tools
from odoo.tools import SQL


class MailJourneyRatioMixin(models.AbstractModel):
    """SQL-view reports whose rates and averages are ratios of sums in every
    group of a pivot or graph, never sums or averages of the rows' ratios.

    A report lists its ratio fields in ``_ratios`` (field: numerator,
    denominator, factor) and builds its rows in ``_base_query``; the view adds
    each row's own ratio, so that lists and exports agree with the groups."""

    _name = "mail.journey.ratio.mixin"
    _description = "Report with Ratios of Sums"
    _ratios = {}

    def _read_group_select(self, aggregate_spec, query):
        fname, __, func = aggregate_spec.partition(":")
        if fname not in self._ratios or func not in ("sum", "avg", "sum_currency"):
            return super()._read_group_select(aggregate_spec, query)
        numerator, denominator, factor = self._ratios[fname]
        if func == "sum_currency":
            # the web client asks for it for a monetary measure whose group
            # mixes currencies: the numerator's sum converted into the
            # company's currency
            numerator_sum = super()._read_group_select(f"{numerator}:sum_currency", query)
        else:
            numerator_sum = SQL("SUM(%s)", self._field_to_sql(self._table, numerator, query))
        return SQL(
            "COALESCE(%s * %s / NULLIF(SUM(%s), 0), 0)",
            factor,
            numerator_sum,
            self._field_to_sql(self._table, denominator, query),
        )

    @api.model
    def _base_query(self):
        raise NotImplementedError

    @api.model
    def _create_ratio_view(self):
        ratios = SQL(",").join(
            SQL(
                "COALESCE(%s * %s / NULLIF(%s, 0), 0) AS %s",
                factor,
                SQL.identifier("report", numerator),
                SQL.identifier("report", denominator),
                SQL.identifier(fname),
            )
            for fname, (numerator, denominator, factor) in self._ratios.items()
        )
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (SELECT report.*, %s FROM (%s) AS report)",
                SQL.identifier(self._table),
                ratios,
                self._base_query(),
            )
        )
