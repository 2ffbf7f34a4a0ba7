"""The rules asset: rules/*.yml validated and written as tables for the dbt models."""

from pathlib import Path

import dagster as dg

from orchestration.resources import Folders, Warehouse
from orchestration.rules import RULE_TABLE_TYPES, RulesError, load_rules, rule_tables

RULE_TABLE_NAMES = tuple(RULE_TABLE_TYPES)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["rules", name],
            group_name="rules",
            kinds={"duckdb", "yaml"},
            # business hours need the owners' time zones from the CRM
            deps=[["raw", "crm_users"]] if name == "business_calendar" else [],
        )
        for name in RULE_TABLE_NAMES
    ],
    name="rules_tables",
)
def rules_tables(context: dg.AssetExecutionContext, warehouse: Warehouse, folders: Folders):
    """Validate rules/*.yml and replace the rule tables (schema `rules`) in one transaction."""
    try:
        rules = load_rules(Path(folders.rules_dir))
    except RulesError as exc:
        raise dg.Failure(description=str(exc)) from None
    with warehouse.connect() as connection:
        time_zones = _owner_time_zones(connection)
        tables = rule_tables(rules, extra_time_zones=time_zones)
        connection.execute("begin transaction")
        connection.execute("create schema if not exists rules")
        for name in RULE_TABLE_NAMES:
            frame = tables[name]
            connection.register("rule_frame", frame)
            typed = ", ".join(
                f"cast({column} as {kind}) as {column}"
                for column, kind in RULE_TABLE_TYPES[name].items()
            )
            connection.execute(
                f"create or replace table rules.{name} as select {typed} from rule_frame"
            )
            connection.unregister("rule_frame")
        connection.execute("commit")
    context.log.info(f"rules version {rules.version}")
    for name in RULE_TABLE_NAMES:
        yield dg.MaterializeResult(
            asset_key=["rules", name],
            metadata={"rows": len(tables[name]), "rules_version": rules.version},
        )


def _owner_time_zones(connection) -> list[str]:
    exists = connection.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'raw' and table_name = 'crm_users'"
    ).fetchone()[0]
    if not exists:
        return []
    rows = connection.execute(
        "select distinct trim(time_zone) from raw.crm_users where nullif(trim(time_zone), '') is not null"
    ).fetchall()
    return sorted(row[0] for row in rows)
