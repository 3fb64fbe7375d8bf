"""Table names in the warehouse: how a user writes them and how SQL quotes them.

A name is ``table`` (in the ``main`` schema) or ``schema.table``. Names go into SQL only
quoted as identifiers, so any text is safe; the ``_batch`` schema is the warehouse's own
(stored watermarks) and no task may write into it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidInput

#: the schema of jupyter-batch's own tables, hidden from listings
INTERNAL_SCHEMA = "_batch"
DEFAULT_SCHEMA = "main"


def quote(identifier: str) -> str:
    """``a"b`` → ``"a""b"``: an identifier DuckDB reads back exactly."""
    return '"' + identifier.replace('"', '""') + '"'


@dataclass(frozen=True)
class TableName:
    schema: str
    table: str

    @classmethod
    def parse(cls, text: str) -> TableName:
        """``orders`` or ``sales.orders``; InvalidInput for an empty part."""
        schema, dot, table = text.strip().rpartition(".")
        if not table or (dot and not schema):
            raise InvalidInput(f"table name {text!r} must be TABLE or SCHEMA.TABLE")
        return cls(schema or DEFAULT_SCHEMA, table)

    @property
    def sql(self) -> str:
        return f"{quote(self.schema)}.{quote(self.table)}"

    def __str__(self) -> str:
        return self.table if self.schema == DEFAULT_SCHEMA else f"{self.schema}.{self.table}"


def writable(text: str, what: str = "target") -> TableName:
    """A table a task may write: any but one in jupyter-batch's own schema."""
    name = TableName.parse(text)
    if name.schema.lower() == INTERNAL_SCHEMA:
        raise InvalidInput(f"{what}: the {INTERNAL_SCHEMA} schema is jupyter-batch's own")
    return name
