"""What a kind of file is, declared: its columns, its rules, what it stores and how a row is identified.

One :class:`KindSpec` per kind (see :mod:`pingan.store.importers.kinds`); the engine
(:mod:`pingan.store.importers.engine`) turns a spec into a handful of DuckDB statements over the staged
file, so every rule runs vectorised over all rows at once.

Inside a spec, SQL refers to columns by their names:

* ``Rule.when`` / ``Rule.detail`` see the *typed* values: each :class:`Column` converted from the file's
  text to its type (``time`` columns are ``TIMESTAMPTZ``, ``plate`` columns are normalised and come with
  ``<name>_raw``, ``<name>_valid``), plus the columns of ``KindSpec.joins``.
* ``KindSpec.stored`` maps each column of the table to an expression over the typed values.
* ``Key.columns`` and ``KindSpec.order_by`` name stored columns (or ``helpers``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

ColumnType = Literal["text", "lower", "double", "int", "time", "plate", "list"]
TYPES: tuple[str, ...] = ("text", "lower", "double", "int", "time", "plate", "list")

#: Reason categories the engine itself gives (rules of a spec add their own).
MISSING = "missing value"
EMPTY_PLATE = "empty plate"
UNPARSEABLE = {"double": "not a number", "int": "not a whole number", "time": "unparseable time"}
DUPLICATE = "duplicate in the file"
CONFLICT = "already stored with other values"
ALREADY = "already stored"
MALFORMED = "malformed CSV line"


def quote(name: str) -> str:
    """``name`` as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """``text`` as a DuckDB string literal."""
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Column:
    """A column of the file: its name in the contract, its type, whether it must have a value."""

    name: str
    type: ColumnType = "text"
    required: bool = False
    #: Strip surrounding whitespace from text (identifiers must be; free text of millions of reads needn't
    #: pay for it: it is then stored as given, an empty value as NULL).
    trim: bool = True

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"Column type '{self.type}' is not one of {list(TYPES)}")


@dataclass(frozen=True)
class Rule:
    """A row is set aside for ``reason`` when the SQL condition ``when`` is true.

    ``detail`` is an SQL expression giving the text after ``reason: `` in the stored reason (it names the
    offending values); ``reason`` alone is what the import report counts.
    """

    reason: str
    when: str
    detail: str | None = None


@dataclass(frozen=True)
class Key:
    """A natural key: no two stored rows share it. ``when`` limits the rows it applies to.

    ``prune`` names key columns whose range in the file bounds the look-up of stored rows, so that DuckDB's
    zone maps skip the rest of a large table.
    """

    columns: tuple[str, ...]
    when: str | None = None
    prune: tuple[str, ...] = ()


@dataclass(frozen=True)
class KindSpec:
    """One kind of file (contract section 1) and how it is stored."""

    kind: str
    table: str
    columns: tuple[Column, ...]
    stored: dict[str, str]
    rules: tuple[Rule, ...] = ()
    keys: tuple[Key, ...] = ()
    #: What a row whose key is already stored is: ``compare`` — already stored when every stored column
    #: is equal, set aside when any differs; ``skip`` — already stored, whatever its other values.
    on_stored: Literal["compare", "skip"] = "compare"
    #: LEFT JOIN clauses whose columns the rules may use (e.g. the cameras a read refers to).
    joins: tuple[str, ...] = ()
    #: Extra columns kept beside the stored ones in the checked rows (e.g. a sort key, an event time).
    helpers: dict[str, str] = field(default_factory=dict)
    order_by: tuple[str, ...] = ()
    #: Unknown columns of the file: ``keep`` them in the ``extra`` JSON column, or ``ignore`` them.
    extra: Literal["keep", "ignore"] = "keep"
    formats: tuple[str, ...] = ("csv", "parquet")
    #: Called inside the import's transaction after the accepted rows are stored:
    #: ``after(con, checked_table, batch_id, context)``.
    after: Callable[[Any, str, int, dict[str, Any]], None] | None = None
    description: str = ""

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def optional(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if not c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


# --- from the file's values to typed values ---------------------------------------------------------

_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
            "UBIGINT", "FLOAT", "DOUBLE", "DECIMAL")


def text_sql(ref: str, staged_type: str, trim: bool = True) -> str:
    """The value as (trimmed) text, NULL when empty."""
    if staged_type == "VARCHAR":
        return f"nullif(trim({ref}), '')" if trim else f"nullif({ref}, '')"
    if staged_type.endswith("[]"):
        return f"nullif(array_to_string({ref}, ';'), '')"
    return f"nullif(trim(CAST({ref} AS VARCHAR)), '')"


def native(column: Column, staged_type: str) -> bool:
    """Is the staged value already of the column's type (so it cannot fail to parse)?"""
    base = staged_type.split("(")[0]
    if column.type == "double":
        return base in _NUMERIC
    if column.type == "int":
        return base in _NUMERIC[:9]
    if column.type == "time":
        return base.startswith("TIMESTAMP") or base == "DATE"
    return False


def typed_sql(column: Column, ref: str, staged_type: str) -> str:
    """The value of ``column`` (staged as ``ref`` of DuckDB type ``staged_type``) converted to its type."""
    text = text_sql(ref, staged_type, column.trim)
    kind = column.type
    if kind == "text":
        return text
    if kind == "lower":
        return f"lower({text})"
    # Numbers and times are parsed straight from the text: DuckDB's casts allow surrounding spaces, and
    # trim() costs more than the cast (it walks every character).
    raw = ref if staged_type == "VARCHAR" else f"CAST({ref} AS VARCHAR)"
    if kind == "double":
        if native(column, staged_type):
            return f"CAST({ref} AS DOUBLE)"
        return f"TRY_CAST({raw} AS DOUBLE)"
    if kind == "int":
        if native(column, staged_type):
            return f"CAST({ref} AS BIGINT)"
        number = f"TRY_CAST({raw} AS DOUBLE)"
        return f"CASE WHEN {number} = round({number}) AND abs({number}) < 9e18 THEN CAST({number} AS BIGINT) END"
    if kind == "time":
        if native(column, staged_type):
            # A naive timestamp is local time of the deployment (the session time zone); an aware one is
            # an instant as given.
            return f"CAST({ref} AS TIMESTAMPTZ)"
        return f"TRY_CAST({raw} AS TIMESTAMPTZ)"
    if kind == "list":
        if staged_type.endswith("[]"):
            items = f"list_filter(list_transform(CAST({ref} AS VARCHAR[]), lambda x: trim(x)), lambda x: x <> '')"
        else:
            items = (f"list_filter(list_transform(string_split(replace({text}, '；', ';'), ';'), lambda x: trim(x)), "
                     "lambda x: x <> '')")
        return f"CASE WHEN len({items}) > 0 THEN {items} END"
    raise ValueError(kind)  # plate columns are typed by the engine (through the plate map)
