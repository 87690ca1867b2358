"""The segmentation fields of leads take the addon's prefix (19.0.1.2.0):
company_size, industry_id and interest_ids become journey_company_size,
journey_industry_id and journey_interest_ids (industry_id clashed with OCA
crm_industry's field of that name).

Runs before the new code is loaded: the columns, their index and foreign key,
the field and selection records and their XML ids are renamed, so that the
values, their tracking history and the translations survive; then the stored
references to the old names are rewritten: this addon's views of leads,
journey audiences and goals, segments, step conditions, saved filters, export
lists and automation rules of leads, the leads' (and orders', through their
opportunity) email templates, and website forms creating leads.

A field another module defines too (crm_industry's industry_id) stays theirs,
with its history: its values are copied into the new column, and the stored
references keep pointing at it.

The interests' relation table, crm_lead_mail_journey_interest_rel, is named
after the two models, not after the field: it stays as it is.
"""

import json
import logging
import re

from odoo.tools import SQL, sql

_logger = logging.getLogger(__name__)

MODULE = "mail_journey_automation"
RENAMED = {
    "company_size": "journey_company_size",
    "industry_id": "journey_industry_id",
    "interest_ids": "journey_interest_ids",
}
COLUMNS = ("company_size", "industry_id")  # interest_ids lives in its relation table
# a website form creating leads, in a view's arch (a jsonb text: quotes may be escaped)
LEAD_FORM = r'data-model_name=\\?"crm\.lead\\?"'


def migrate(cr, version):
    if not version:
        return
    shared = _shared_fields(cr)
    for old, new in RENAMED.items():
        if old in shared:
            _copy_field(cr, old, new)
        else:
            _rename_field(cr, old, new)
    moved = [old for old in RENAMED if old not in shared]
    if moved:
        for pattern, table, columns, where in _references(moved):
            for column in columns:
                _rewrite(cr, pattern, table, column, where)
    _logger.info("crm.lead: %s renamed to %s", ", ".join(RENAMED), ", ".join(RENAMED.values()))


def _shared_fields(cr):
    """The old fields another module defines as well."""
    cr.execute(
        SQL(
            """SELECT name FROM ir_model_data
                WHERE model = 'ir.model.fields' AND name IN %s AND module != %s""",
            tuple(f"field_crm_lead__{old}" for old in RENAMED),
            MODULE,
        )
    )
    return {name.removeprefix("field_crm_lead__") for (name,) in cr.fetchall()}


def _rename_field(cr, old, new):
    if old in COLUMNS and sql.column_exists(cr, "crm_lead", old):
        sql.rename_column(cr, "crm_lead", old, new)
        old_index, new_index = (sql.make_index_name("crm_lead", name) for name in (old, new))
        if sql.index_exists(cr, old_index):
            cr.execute(
                SQL(
                    "ALTER INDEX %s RENAME TO %s",
                    SQL.identifier(old_index),
                    SQL.identifier(new_index),
                )
            )
        # the foreign key keeps its name: give it the one a new database has
        old_fkey, new_fkey = f"crm_lead_{old}_fkey", f"crm_lead_{new}_fkey"
        if sql.constraint_definition(cr, "crm_lead", old_fkey):
            cr.execute(
                SQL(
                    "ALTER TABLE crm_lead RENAME CONSTRAINT %s TO %s",
                    SQL.identifier(old_fkey),
                    SQL.identifier(new_fkey),
                )
            )
            cr.execute(
                SQL(
                    """UPDATE ir_model_constraint SET name = %s
                        WHERE name = %s
                          AND module = (SELECT id FROM ir_module_module WHERE name = %s)""",
                    new_fkey,
                    old_fkey,
                    MODULE,
                )
            )
    # the field keeps its id: tracking values, translated labels and the
    # website form whitelist stay attached to it
    cr.execute(
        SQL(
            "UPDATE ir_model_fields SET name = %s WHERE model = 'crm.lead' AND name = %s",
            new,
            old,
        )
    )
    # field_crm_lead__<name> and selection__crm_lead__<name>__<value>
    for prefix in ("field_crm_lead__", "selection__crm_lead__"):
        cr.execute(
            SQL(
                """UPDATE ir_model_data SET name = %s || substr(name, %s)
                    WHERE module = %s AND (name = %s OR name LIKE %s)""",
                prefix + new,
                len(prefix + old) + 1,
                MODULE,
                prefix + old,
                f"{prefix}{old}\\_\\_%",
            )
        )


def _copy_field(cr, old, new):
    if old in COLUMNS and sql.column_exists(cr, "crm_lead", old):
        column_type = sql.table_columns(cr, "crm_lead")[old]["udt_name"]
        sql.create_column(cr, "crm_lead", new, column_type)
        cr.execute(
            SQL(
                "UPDATE crm_lead SET %s = %s WHERE %s IS NOT NULL",
                SQL.identifier(new),
                SQL.identifier(old),
                SQL.identifier(old),
            )
        )
    # the field and its selection values are the other module's from now on
    cr.execute(
        SQL(
            "DELETE FROM ir_model_data WHERE module = %s AND (name = %s OR name LIKE %s)",
            MODULE,
            f"field_crm_lead__{old}",
            f"selection\\_\\_crm\\_lead\\_\\_{old}\\_\\_%",
        )
    )


def _references(moved):
    """(pattern, table, columns, condition) of every stored reference to rewrite."""
    names = "|".join(moved)
    # a field path starting with an old name, quoted in a domain, a context, a
    # sort or a view's field; through the opportunity, in those of orders
    lead_path = re.compile(rf"(?<=['\"])({names})\b")
    order_path = re.compile(rf"(?<=['\"]opportunity_id\.)({names})\b")
    export_path = re.compile(rf"^({names})\b")  # "industry_id/name"
    lead_expression = re.compile(rf"(?<=\bobject\.)({names})\b")  # in email templates
    order_expression = re.compile(rf"(?<=\bobject\.opportunity_id\.)({names})\b")
    form_input = re.compile(rf"(?<=\bname=\")({names})(?=\")")  # in website forms

    lead_journeys = SQL("SELECT id FROM mail_journey WHERE model = 'crm.lead'")
    order_journeys = SQL("SELECT id FROM mail_journey WHERE model = 'sale.order'")
    our_views = SQL(
        "SELECT res_id FROM ir_model_data WHERE model = 'ir.ui.view' AND module LIKE %s",
        f"{MODULE}%",
    )
    return [
        (
            lead_path,
            "ir_ui_view",
            ("arch_db",),
            SQL("model = 'crm.lead' AND id IN (%s)", our_views),
        ),
        (lead_path, "mail_journey", ("domain", "goal_domain"), SQL("model = 'crm.lead'")),
        (order_path, "mail_journey", ("domain", "goal_domain"), SQL("model = 'sale.order'")),
        (lead_path, "mail_journey_segment", ("domain",), SQL("model = 'crm.lead'")),
        (order_path, "mail_journey_segment", ("domain",), SQL("model = 'sale.order'")),
        (
            lead_path,
            "mail_journey_step",
            ("condition_domain",),
            SQL("journey_id IN (%s)", lead_journeys),
        ),
        (
            order_path,
            "mail_journey_step",
            ("condition_domain",),
            SQL("journey_id IN (%s)", order_journeys),
        ),
        (lead_path, "ir_filters", ("domain", "context", "sort"), SQL("model_id = 'crm.lead'")),
        (order_path, "ir_filters", ("domain", "context", "sort"), SQL("model_id = 'sale.order'")),
        (
            export_path,
            "ir_exports_line",
            ("name",),
            SQL("export_id IN (SELECT id FROM ir_exports WHERE resource = 'crm.lead')"),
        ),
        (
            lead_path,
            "base_automation",
            ("filter_domain", "filter_pre_domain"),
            SQL("model_id IN (SELECT id FROM ir_model WHERE model = 'crm.lead')"),
        ),
        (lead_expression, "mail_template", ("subject", "body_html"), SQL("model = 'crm.lead'")),
        (order_expression, "mail_template", ("subject", "body_html"), SQL("model = 'sale.order'")),
        (form_input, "ir_ui_view", ("arch_db",), SQL("arch_db::text ~ %s", LEAD_FORM)),
    ]


def _rewrite(cr, pattern, table, column, where):
    """Prefix the old names ``pattern`` finds in ``table.column`` (a text or a
    translated jsonb column) on the rows matching ``where``."""
    if not sql.column_exists(cr, table, column):
        return  # an optional module (base_automation) is not installed
    cr.execute(
        SQL(
            "SELECT id, %(column)s FROM %(table)s WHERE %(column)s::text ~ %(names)s AND %(where)s",
            column=SQL.identifier(column),
            table=SQL.identifier(table),
            names="|".join(RENAMED),
            where=where,
        )
    )
    for record_id, value in cr.fetchall():
        if isinstance(value, dict):  # translated: one value per language
            new_value = {lang: _replace(pattern, text) for lang, text in value.items()}
            new_sql = SQL("%s::jsonb", json.dumps(new_value))
        else:
            new_value = _replace(pattern, value)
            new_sql = SQL("%s", new_value)
        if new_value == value:
            continue
        cr.execute(
            SQL(
                "UPDATE %s SET %s = %s WHERE id = %s",
                SQL.identifier(table),
                SQL.identifier(column),
                new_sql,
                record_id,
            )
        )
        _logger.info("%s %s: %s now uses the renamed lead fields", table, record_id, column)


def _replace(pattern, text):
    return pattern.sub(lambda match: RENAMED[match[1]], text) if text else text
