"""Hive SQL to DuckDB, statement by statement: what sqlglot translates, what we add
(bound ``${name}`` parameters, INSERT OVERWRITE, skipped session settings), and a clear
refusal naming what cannot be translated."""

from __future__ import annotations

import pytest

from jupyter_batch.errors import InvalidInput
from jupyter_batch.warehouse.hive import Translated, split, translate


def test_statements_are_cut_at_semicolons_outside_quotes_and_comments() -> None:
    text = "SELECT 'a;b';\n-- not; here\nSELECT `x;y` FROM t;\n\n"
    assert split(text) == [(1, "SELECT 'a;b'"), (3, "SELECT `x;y` FROM t")]


def test_hive_functions_and_identifiers_become_duckdb_ones() -> None:
    [one] = translate("SELECT NVL(a, 0), collect_set(b) FROM `db`.`t` "
                      "LATERAL VIEW explode(xs) e AS x")
    assert one.sql == ('SELECT COALESCE(a, 0), LIST(DISTINCT b) FILTER(WHERE NOT b IS NULL) '
                       'FROM "db"."t" CROSS JOIN UNNEST(xs) AS e(x)')


def test_hive_variables_become_bound_parameters() -> None:
    [one] = translate("SELECT * FROM t WHERE ds = ${hivevar:ds} AND r = ${region} "
                      "AND c = ${hiveconf:country}")
    assert one.sql == "SELECT * FROM t WHERE ds = $ds AND r = $region AND c = $country"


def test_insert_overwrite_becomes_delete_then_insert() -> None:
    [one] = translate("INSERT OVERWRITE TABLE db.t SELECT * FROM s")
    assert one.sql == "DELETE FROM db.t;\nINSERT INTO db.t SELECT * FROM s"


def test_session_settings_are_skipped_with_a_note() -> None:
    assert translate("SET hive.exec.dynamic.partition=true;\nSELECT 1") == [
        Translated(1, 1, "SET hive.exec.dynamic.partition=true", None,
                   "skipped: a Hive session setting"),
        Translated(2, 2, "SELECT 1", "SELECT 1")]


@pytest.mark.parametrize(("hql", "problem"), [
    ("CREATE TABLE t (a INT) PARTITIONED BY (ds STRING) STORED AS ORC",
     "PARTITIONED BY (ds STRING) is not supported; STORED AS ORC is not supported"),
    ("ADD JAR udfs.jar", "ADD JAR has no equivalent"),
    ("INSERT OVERWRITE TABLE t PARTITION (ds='1') SELECT 1",
     "INSERT OVERWRITE of a partition or directory"),
    ("SELECT * FROM t WHERE ds = '${ds}'", "the placeholder in '${ds}' is inside quotes"),
    ("SELECT (", "cannot parse it: "),
])
def test_what_cannot_be_translated_is_named_with_its_statement(hql: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        translate(f"SELECT 1;\n{hql}")
    assert str(caught.value).startswith(
        f"hql statement 2 (line 2) cannot be translated to the warehouse's SQL: {problem}")
    assert str(caught.value).endswith(f"\n    {hql}")


def test_unreadable_hql_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="cannot read the hql"):
        translate("SELECT 'unterminated")
