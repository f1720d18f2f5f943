"""Rows made from other rows inside the database (``INSERT … SELECT``, which the ORM lacks).

Ordering a whole company's cart turns thousands of drafts into workplaces, order items and
username claims. ``bulk_create`` builds each of them as a Python object and sends every
value back to the database; this copies them in one statement, whatever their number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, models
from django.db.models.fields import AutoFieldMixin


def _expression(field: models.Field, value: Any):
    return (
        value if hasattr(value, "resolve_expression") else models.Value(value, output_field=field)
    )


def _columns(model: type[models.Model], values: Mapping[str, Any]) -> dict[models.Field, Any]:
    """Each column the insert writes, with its expression: the given one, else its plain
    default (a text field's is ""); a nullable column without either is left to NULL."""
    known = {name for f in model._meta.concrete_fields for name in (f.name, f.attname)}
    if unknown := set(values) - known:
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    columns = {}
    for field in model._meta.concrete_fields:
        if isinstance(field, AutoFieldMixin):
            continue
        for name in (field.name, field.attname):
            if name in values:
                columns[field] = _expression(field, values[name])
                break
        else:
            # A callable default (a code, a time) would be one value for every row.
            callable_default = field.has_default() and callable(field.default)
            default = None if callable_default else field.get_default()
            if default is not None:
                columns[field] = _expression(field, default)
            elif not field.null:
                raise TypeError(f"{model.__name__}.{field.name} needs a value")
    return columns


def insert_from(model: type[models.Model], rows: models.QuerySet, **values: Any) -> list[int]:
    """Insert one ``model`` row per row of ``rows``, in their order; the new primary keys,
    ascending (so in that order too).

    ``values`` gives the new rows' fields: expressions over ``rows``' model (``F("city")``,
    ``Subquery(…)``, ``UUID4()``) or plain values. A field left out takes its default when
    that is a plain value, else NULL; one with neither, or with a callable default (a code,
    a time), must be given. Like ``bulk_create``: no ``save()``, no signals.
    """
    columns = _columns(model, values)
    aliases = {f"insert_{i}": expression for i, expression in enumerate(columns.values())}
    try:
        sql, params = rows.annotate(**aliases).values_list(*aliases).query.sql_with_params()
    except EmptyResultSet:  # ``rows`` can have none (``pk__in=[]``)
        return []
    q = connection.ops.quote_name
    names = ", ".join(q(field.column) for field in columns)
    pk = q(model._meta.pk.column)
    with connection.cursor() as cursor:
        # Names quoted from the model's metadata; every value is a parameter of ``sql``.
        cursor.execute(
            f"INSERT INTO {q(model._meta.db_table)} ({names}) {sql} RETURNING {pk}",
            params,
        )
        # Keys come in the order of the rows; RETURNING need not keep it, the sequence does.
        return sorted(pk for (pk,) in cursor.fetchall())
