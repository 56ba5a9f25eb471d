"""Validate rows a chunk at a time, column by column: the import's CPU budget is a few microseconds per row.

For CSV (every cell a str) three strategies avoid a Python call per cell: low-cardinality columns (flags, classes,
region, tags…) are memoised by their raw text and looked up with map(); plain text is stripped and length-checked
with map()/max(); codes are normalised with map() and only a failed quick check calls the full parser. XLSX cells
(numbers, dates, booleans) always take the per-cell parser, which openpyxl's own cost dwarfs anyway.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat
from typing import Any, Sequence

from api.directory.specs import Columns, Context, Field, Spec
from api.directory.values import Invalid, cell_text
from domain.codes import is_registry_number_shape

MEMO_LIMIT = 50_000  # distinct raw values remembered per column
_MISS = object()


@dataclass
class Chunk:
    """What a chunk of rows became: the valid rows (values in `present` order) and the rejected ones."""

    lines: list[int]
    rows: list[tuple]
    rejected: list[tuple[int, str, str]]  # (line, key as written, reason)


class _Column:
    def __init__(self, field: Field, ctx: Context) -> None:
        self.field, self.parse = field, field.make_parser(ctx)
        self.memo: dict[str, Any] = {}
        self.memo_has_errors = False

    def values(self, raw: Sequence[Any], all_text: bool, errors: dict[int, list[str]]) -> list[Any]:
        """The parsed column; cells that fail add '<label><reason>' to errors[position]."""
        if not all_text or self.field.strategy == "scalar":
            return self._scalar(raw, range(len(raw)), [None] * len(raw), errors)
        if self.field.strategy == "memo":
            return self._memo(raw, errors)
        if self.field.strategy == "code":
            out = list(map(str.upper, map(str.strip, raw)))
            suspects = [i for i, code in enumerate(out) if not is_registry_number_shape(code)]  # shape only:
            # whether the code fits the subject's kind (check character…) is a whole-row rule (Spec.check_columns)
            return self._scalar(raw, suspects, out, errors) if suspects else out
        out = list(map(str.strip, raw))  # "text"
        limit, required = self.field.text or (0, False)
        if (out and max(map(len, out)) > limit) or (required and "" in out):
            return self._scalar(raw, range(len(raw)), out, errors)
        return out

    def _scalar(self, raw: Sequence[Any], positions: Any, out: list[Any], errors: dict[int, list[str]]) -> list[Any]:
        parse, label = self.parse, self.field.label
        for i in positions:
            try:
                out[i] = parse(raw[i])
            except Invalid as exc:
                errors.setdefault(i, []).append(f"{label}{exc}")
        return out

    def _memo(self, raw: Sequence[str], errors: dict[int, list[str]]) -> list[Any]:
        memo = self.memo
        out = list(map(memo.get, raw, repeat(_MISS)))
        if out.count(_MISS):
            for i, value in enumerate(out):
                if value is _MISS:
                    try:
                        value = self.parse(raw[i])
                    except Invalid as exc:  # remembered without its traceback (which would pin the chunk)
                        value, self.memo_has_errors = Invalid(str(exc)), True
                    if len(memo) < MEMO_LIMIT:
                        memo[raw[i]] = value
                    out[i] = value
        if self.memo_has_errors:
            for i, value in enumerate(out):
                if isinstance(value, Invalid):
                    errors.setdefault(i, []).append(f"{self.field.label}{value}")
        return out


class ChunkParser:
    """Parses chunks of (line, cells) for one import: the fields the header gives, in the spec's order."""

    def __init__(self, spec: Spec, columns: Columns, present: tuple[str, ...], ctx: Context, all_text: bool) -> None:
        self.spec, self.ctx, self.present, self.all_text = spec, ctx, present, all_text
        self.columns = [(columns.indexes[f.name], _Column(f, ctx)) for f in spec.fields if f.name in columns.indexes]
        self.fill = [f for f in present if f not in columns.indexes]  # derived by check_row
        self.key_index = columns.indexes[spec.key]
        self.width = columns.width

    def parse(self, lines: list[int], cells: list[Sequence[Any]]) -> Chunk:
        width = self.width
        if set(map(len, cells)) != {width}:
            cells = [list(c[:width]) + [""] * (width - len(c)) if len(c) != width else c for c in cells]
        transposed = list(zip(*cells))
        errors: dict[int, list[str]] = {}
        parsed = {column.field.name: column.values(transposed[index], self.all_text, errors)
                  for index, column in self.columns}
        for name in self.fill:
            parsed[name] = [""] * len(cells)
        if self.spec.check_columns is not None:
            self.spec.check_columns(parsed, self.ctx, errors)
        rows = list(zip(*(parsed[f] for f in self.present)))
        if self.spec.check_row is not None and self.spec.check_columns is None:
            self._check_rows(rows, errors)
        if not errors:
            return Chunk(lines, rows, [])
        keys = transposed[self.key_index]
        rejected = [(lines[i], cell_text(keys[i])[:64], "；".join(errors[i])) for i in sorted(errors)]
        return Chunk([n for i, n in enumerate(lines) if i not in errors],
                     [r for i, r in enumerate(rows) if i not in errors], rejected)

    def _check_rows(self, rows: list[tuple], errors: dict[int, list[str]]) -> None:
        """Whole-row rules (inspectors: gender against the ID, own department); they may fill derived fields."""
        check = self.spec.check_row
        for i, values in enumerate(rows):
            if i in errors:
                continue
            row = dict(zip(self.present, values))
            reason = check(row, self.ctx)  # type: ignore[misc]
            if reason:
                errors[i] = [reason]
            else:
                rows[i] = tuple(row[f] for f in self.present)
