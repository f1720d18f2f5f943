"""Substring searches that an index serves on PostgreSQL (pg_trgm), unchanged on SQLite.

The searches use Django's ``icontains`` (PostgreSQL: ``UPPER(col::text) LIKE UPPER('%…%')``)
and ``startswith``/``contains`` (``col::text LIKE '…%'``). A trigram GIN index on exactly that
expression (``UPPER(col)`` or the column) lets the planner find the few matching rows instead
of reading every row of the customer. The indexes live only in migrations, not in the models'
``Meta``: SQLite has no GIN, and a model state with them would make SQLite rebuild them.
"""

from __future__ import annotations

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations
from django.db.models import Lookup

__all__ = ["AnyOf", "TrigramExtension", "trigram_index"]


def trigram_index(name: str, table: str, expression: str) -> migrations.RunPython:
    """A migration operation: ``CREATE INDEX name ON table USING gin (expression
    gin_trgm_ops)`` on PostgreSQL (after ``TrigramExtension``); nothing on other databases."""

    def run(sql: str):
        def apply(apps, schema_editor) -> None:
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(sql)

        return apply

    create = f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (({expression}) gin_trgm_ops)"
    return migrations.RunPython(run(create), run(f"DROP INDEX IF EXISTS {name}"), elidable=False)


class AnyOf(Lookup):
    """``AnyOf(F(field), subquery)``: the rows of ``field__in=subquery``. On PostgreSQL it
    is written ``field = ANY(ARRAY(subquery))``: the subquery runs once, and the comparison
    can be an index scan inside an OR of other index scans (a BitmapOr), where ``IN
    (subquery)`` in an OR makes the planner read every row and test it against the subquery."""

    lookup_name = "any_of"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        if not rhs.startswith("("):
            rhs = f"({rhs})"
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)
        return f"{lhs} IN {rhs}", (*lhs_params, *rhs_params)
