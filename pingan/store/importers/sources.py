"""Getting a file into a staging table: format, text encoding, header, and the CSV reader's own rejects.

* **Format** from the first bytes (Parquet starts with ``PAR1``), else from the suffix.
* **Encoding** (CSV): UTF-8 (with or without a byte-order mark) is read by DuckDB as it is. Anything else
  — GBK/GB18030 from Chinese systems, UTF-16, or the ``encoding`` asked for — is transcoded to a temporary
  UTF-8 file in chunks, so memory stays flat. Detection: the first MiB decodes as UTF-8 → UTF-8, else
  GB18030 (a superset of GBK and GB2312). A file that cannot be decoded is a :class:`BadFile` naming the
  byte offset.
* **Header**: parsed here (so the delimiter and the column names are known and DuckDB needs no guessing);
  names are matched to the contract's case-insensitively.
* **Rows DuckDB's CSV reader cannot split** (too few or too many fields, a stray quote) are not dropped:
  they come back as :attr:`Staged.rejected` with their row number and the line as it arrived.

Every value of a CSV is staged as text (``all_varchar``); Parquet keeps its types (the engine converts).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import duckdb

from pingan.errors import BadFile, BadInput
from pingan.store.importers.progress import Meter
from pingan.store.importers.spec import KindSpec, literal, quote

SAMPLE_BYTES = 1 << 20
CHUNK_BYTES = 8 << 20
DELIMITERS = ",\t;|"
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass
class Staged:
    """A file staged as the temp table ``table``, one row per data row, in file order."""

    table: str
    format: str
    encoding: str | None
    size: int
    #: Staged column name → DuckDB type, in file order. Contract columns carry their contract names.
    columns: dict[str, str]
    #: The file's own names of the columns (for messages), in file order.
    found: list[str]
    #: SQL for the 1-based row number of the staged row ``s``.
    row_sql: str = "s.rowid + 1"
    #: SQL for the row as it arrived, as JSON text (default: every file column as text).
    raw_sql: str | None = None
    #: Rows the CSV reader could not split: (row number, what was wrong, the line as it arrived).
    rejected: list[tuple[int, str, str]] = field(default_factory=list)
    sha256: str | None = None
    #: The file's SHA-256 while it is still being computed in the background.
    hasher: Any = None

    def digest(self) -> str | None:
        """The file's SHA-256 (waits for the background hash if needed)."""
        if self.hasher is not None:
            self.sha256 = self.hasher.result()
            self.hasher = None
        return self.sha256

    @property
    def file_columns(self) -> list[str]:
        return [c for c in self.columns if not c.startswith("_pa_")]


def detect_format(path: Path) -> str:
    """``parquet``, ``geojson`` or ``csv``, from the first bytes, else the suffix."""
    with path.open("rb") as f:
        head = f.read(64)
    if head.startswith(b"PAR1"):
        return "parquet"
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".parquet", ".pq", ".parq"):
        return "parquet"
    if suffixes and suffixes[-1] in (".geojson", ".json"):
        return "geojson"
    if head.lstrip(codecs.BOM_UTF8 + b" \t\r\n").startswith(b"{") and ".csv" not in suffixes:
        return "geojson"
    return "csv"


# --- hashing the file (provenance), in the background --------------------------------------------------

class _Hasher(threading.Thread):
    """SHA-256 of a file, computed beside DuckDB's work (hashlib releases the GIL)."""

    def __init__(self, path: Path) -> None:
        super().__init__(name="pingan-sha256", daemon=True)
        self.path = path
        self.digest: str | None = None

    def run(self) -> None:
        h = hashlib.sha256()
        try:
            with self.path.open("rb") as f:
                while chunk := f.read(CHUNK_BYTES):
                    h.update(chunk)
        except OSError:
            return
        self.digest = h.hexdigest()

    def result(self) -> str | None:
        self.join()
        return self.digest


def sha256_in_background(path: Path) -> _Hasher:
    hasher = _Hasher(path)
    hasher.start()
    return hasher


# --- text encodings ------------------------------------------------------------------------------------

def _open_bytes(path: Path) -> IO[bytes]:
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _encoding_name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise BadInput(f"The encoding '{encoding}' is not known; use a name such as utf-8, gb18030, gbk "
                       "or big5.") from None


def _utf8_error_offset(path: Path) -> int | None:
    """Byte offset of the first byte that is not valid UTF-8 (None when the whole file is valid)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    fed = 0
    with _open_bytes(path) as f:
        while True:
            chunk = f.read(CHUNK_BYTES)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                return fed - (len(exc.object) - len(chunk)) + exc.start
            if not chunk:
                return None
            fed += len(chunk)


def transcode(path: Path, encoding: str, target: Path, meter: Meter, hasher: Any = None) -> None:
    """Write ``path`` (in ``encoding``) to ``target`` as UTF-8, in chunks; BadFile at the first bad byte."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    total = max(path.stat().st_size, 1)
    fed = 0
    with _open_bytes(path) as src, target.open("w", encoding="utf-8", newline="") as out:
        while True:
            chunk = src.read(CHUNK_BYTES)
            if hasher is not None and chunk:
                hasher.update(chunk)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                offset = fed - (len(exc.object) - len(chunk)) + exc.start
                raise UnicodeDecodeError(exc.encoding, exc.object, exc.start, exc.end,
                                         f"offset {offset}") from None
            if fed == 0 and text.startswith("\ufeff"):
                text = text[1:]
            out.write(text)
            if not chunk:
                break
            fed += len(chunk)
            meter.within(fed / total)


def chosen_set(asked: str | None, sample: bytes) -> bool:
    """Is the encoding settled without looking at the text (asked for, or given by a byte-order mark)?"""
    return bool(asked) or sample.startswith(codecs.BOM_UTF8) or sample.startswith(_UTF16_BOMS)


def _offset_of(exc: UnicodeDecodeError) -> int:
    match = re.search(r"offset (\d+)", exc.reason)
    return int(match.group(1)) if match else exc.start


# --- the header ----------------------------------------------------------------------------------------

def _read_header(path: Path, shown: Path) -> tuple[list[str], str]:
    """The header's column names and the delimiter, from the UTF-8 file ``path`` (``shown`` in messages)."""
    with _open_bytes(path) as f:
        sample = f.read(SAMPLE_BYTES)
    text = sample.decode("utf-8", errors="replace").lstrip("\ufeff")
    if not text.strip():
        raise BadFile(f"The file {shown} is empty; a CSV file needs a header row naming its columns.")
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first_line.count) if any(d in first_line for d in DELIMITERS) else ","
    reader = csv.reader(io.StringIO(text.lstrip("\r\n")), delimiter=delimiter, quotechar='"')
    try:
        names = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise BadFile(f"The header row of {shown} cannot be read ({exc}); the first row must name the "
                      "columns.") from None
    return [n.strip() for n in names], delimiter


def canonical_names(spec: KindSpec, names: list[str], path: Path) -> list[str]:
    """The staged name of each column: the contract's name when it matches (case-insensitive), else the
    file's own name (made unique)."""
    contract = {c.name.lower(): c.name for c in spec.columns}
    seen: dict[str, str] = {}
    out: list[str] = []
    for i, name in enumerate(names):
        name = name.strip().lstrip("\ufeff") or f"column{i + 1}"
        staged = contract.get(name.lower(), name)
        if staged.lower() in seen:
            if staged in contract.values():
                raise BadFile(f"The file {path} has the column {staged} twice (as '{seen[staged.lower()]}' and "
                              f"'{name}'); keep one of them.")
            n = 2
            while f"{staged}_{n}".lower() in seen:
                n += 1
            staged = f"{staged}_{n}"
        if staged.startswith("_pa_"):
            staged = staged[1:]
        seen[staged.lower()] = name
        out.append(staged)
    return out


def check_columns(spec: KindSpec, staged_names: list[str], found: list[str], path: Path) -> None:
    """BadFile naming the required columns the file lacks, and the columns it has."""
    missing = [c for c in spec.required if c not in staged_names]
    if missing:
        has = ", ".join(found) if found else "none"
        raise BadFile(
            f"The {spec.kind} file {path} lacks the required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}; it has the columns {has} (a {spec.kind} file needs "
            f"{', '.join(spec.required)}).")


# --- staging -------------------------------------------------------------------------------------------

def _first_line(message: str) -> str:
    return str(message).strip().splitlines()[0] if str(message).strip() else type(message).__name__


def _csv_reader(path: Path, names: list[str], delimiter: str, rejects: tuple[str, str] | None) -> str:
    columns = "{" + ", ".join(f"{literal(n)}: 'VARCHAR'" for n in names) + "}"
    sql = (f"read_csv({literal(str(path))}, auto_detect = false, header = true, delim = {literal(delimiter)}, "
           f"quote = '\"', escape = '\"', columns = {columns}, max_line_size = 8388608")
    if rejects:
        sql += (f", store_rejects = true, rejects_table = {literal(rejects[0])}, "
                f"rejects_scan = {literal(rejects[1])}")
    return sql + ")"


def _stage_csv_once(con: duckdb.DuckDBPyConnection, table: str, path: Path, names: list[str], delimiter: str,
                    meter: Meter, rejects: tuple[str, str] | None = None) -> None:
    meter.execute(con, f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM "
                       f"{_csv_reader(path, names, delimiter, rejects)}")


def _number_rows_around_rejects(con: duckdb.DuckDBPyConnection, staged: Staged, rejected_rows: list[int]) -> None:
    """Give staged rows their row numbers in the file, counting the rows the CSV reader rejected.

    The k-th staged row comes after every rejected row r_i (i-th, sorted) with r_i - i < k, so its row
    number is k plus the number of those: one ASOF join on a table of (r_i - i, i).
    """
    gaps: dict[int, int] = {}
    for i, r in enumerate(sorted(set(rejected_rows)), start=1):
        gaps[r - i] = i
    values = ", ".join(f"({g}, {i})" for g, i in gaps.items())
    shifted = staged.table + "_rows"
    cols = ", ".join(f"s.{quote(c)}" for c in staged.columns)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {shifted} AS
        SELECT {cols}, s._pa_k + coalesce(g.i, 0) AS _pa_row
        FROM (SELECT *, rowid + 1 AS _pa_k FROM {staged.table}) s
        ASOF LEFT JOIN (SELECT * FROM (VALUES {values}) v(gap, i)) g ON s._pa_k > g.gap
    """)
    con.execute(f"DROP TABLE {staged.table}")
    con.execute(f"ALTER TABLE {shifted} RENAME TO {staged.table.split('.')[-1]}")
    staged.row_sql = "s._pa_row"


_REJECT_WORDS = {
    "MISSING COLUMNS": "too few fields",
    "TOO MANY COLUMNS": "too many fields",
    "UNQUOTED VALUE": "a quote is not closed or is misplaced",
    "INVALID ENCODING": "bytes that are not valid UTF-8",
    "LINE SIZE OVER MAXIMUM": "the line is too long",
}


def stage_csv(con: duckdb.DuckDBPyConnection, spec: KindSpec, path: Path, table: str, *, encoding: str | None,
              meter: Meter, workdir: Path) -> Staged:
    """Stage a CSV file (any encoding) as text columns."""
    size = path.stat().st_size
    with _open_bytes(path) as f:
        sample = f.read(SAMPLE_BYTES)
        whole = len(f.read(1)) == 0
    if not sample.strip(b" \t\r\n" + codecs.BOM_UTF8):
        raise BadFile(f"The file {path} is empty; a {spec.kind} file needs a header row with the columns "
                      f"{', '.join(spec.required)}.")
    hasher: _Hasher | None = None
    digest = hashlib.sha256()
    readable = path  # the UTF-8 file DuckDB reads
    asked = _encoding_name(encoding) if encoding else None
    chosen = "utf-8"
    if asked in ("utf-8", "ascii", "utf-8-sig"):
        chosen = "utf-8"
    elif asked:
        chosen = asked
    elif sample.startswith(codecs.BOM_UTF8):
        chosen = "utf-8"
    elif sample.startswith(_UTF16_BOMS):
        chosen = "utf-16"
    utf8_offset: int | None = None
    if not chosen_set(asked, sample):
        try:
            codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=whole)
            chosen = "utf-8"
        except UnicodeDecodeError as exc:
            chosen, utf8_offset = "gb18030", exc.start

    def to_utf8(source_encoding: str) -> Path:
        target = workdir / "utf8.csv"
        meter.band(0.0, 0.25)
        try:
            transcode(path, source_encoding, target, meter, digest)
        except UnicodeDecodeError as exc:
            offset = _offset_of(exc)
            if asked or utf8_offset is None:
                raise BadFile(f"Cannot read {path} as {source_encoding}: the bytes at offset {offset} are not valid "
                              f"{source_encoding}; give the file's encoding with --encoding (for example "
                              f"--encoding gb18030, gbk or big5).") from None
            raise BadFile(f"Cannot read {path} as text: it is neither UTF-8 (invalid bytes at offset {utf8_offset}) "
                          f"nor GB18030 (invalid bytes at offset {offset}); give the file's encoding with --encoding "
                          f"(for example --encoding big5).") from None
        return target

    if chosen != "utf-8":
        readable = to_utf8(chosen)
    else:
        hasher = sha256_in_background(path)
    names_in_file, delimiter = _read_header(readable, path)
    names = canonical_names(spec, names_in_file, path)
    check_columns(spec, names, names_in_file, path)
    staged = Staged(table=table, format="csv", encoding=chosen, size=size, columns={n: "VARCHAR" for n in names},
                    found=names_in_file)
    meter.band(0.25 if chosen != "utf-8" else 0.0, 0.55)
    try:
        _stage_csv_once(con, table, readable, names, delimiter, meter)
    except duckdb.Error as exc:
        message = str(exc)
        if "Invalid unicode" in message and chosen == "utf-8":
            utf8_offset = _utf8_error_offset(path)
            if asked or not sample.isascii():
                where = f"the bytes at offset {utf8_offset}" if utf8_offset is not None else "some bytes"
                raise BadFile(f"Cannot read {path} as UTF-8: {where} are not valid UTF-8; give the file's encoding "
                              f"with --encoding (for example --encoding gb18030).") from None
            # Plain ASCII at the start, something else later: most likely GBK/GB18030 text further down.
            if hasher is not None:
                hasher.join()
                hasher = None
            chosen = "gb18030"
            readable = to_utf8(chosen)
            staged.encoding = chosen
            meter.band(0.25, 0.55)
            _stage_with_rejects_if_needed(con, staged, readable, names, delimiter, meter, path)
        elif "CSV Error" in message or "Error when sniffing" in message:
            _stage_with_rejects(con, staged, readable, names, delimiter, meter, path)
        else:
            raise BadFile(f"Cannot read the CSV file {path}: {_first_line(message)}.") from None
    if hasher is not None:
        staged.hasher = hasher
    else:
        staged.sha256 = digest.hexdigest()
    return staged


def _stage_with_rejects_if_needed(con: duckdb.DuckDBPyConnection, staged: Staged, readable: Path, names: list[str],
                                  delimiter: str, meter: Meter, path: Path) -> None:
    try:
        _stage_csv_once(con, staged.table, readable, names, delimiter, meter)
    except duckdb.Error as exc:
        if "CSV Error" not in str(exc):
            raise BadFile(f"Cannot read the CSV file {path}: {_first_line(str(exc))}.") from None
        _stage_with_rejects(con, staged, readable, names, delimiter, meter, path)


def _stage_with_rejects(con: duckdb.DuckDBPyConnection, staged: Staged, readable: Path, names: list[str],
                        delimiter: str, meter: Meter, path: Path) -> None:
    """Stage again, letting DuckDB set aside the lines it cannot split; number the rows around them."""
    errors, scans = staged.table + "_rej", staged.table + "_rejscan"
    try:
        _stage_csv_once(con, staged.table, readable, names, delimiter, meter, (errors, scans))
        rows = con.execute(
            f"SELECT line, arg_min(error_type, column_idx), arg_min(csv_line, column_idx), "
            f"arg_min(error_message, column_idx) FROM {errors} GROUP BY line ORDER BY line").fetchall()
    except duckdb.Error as exc:
        raise BadFile(f"Cannot read the CSV file {path}: {_first_line(str(exc))}.") from None
    finally:
        for t in (errors, scans):
            con.execute(f"DROP TABLE IF EXISTS {t}")
    # DuckDB counts records from 1 with the header as record 1: data row = line - 1.
    staged.rejected = [
        (int(line) - 1, _REJECT_WORDS.get(str(kind), _first_line(str(msg))).rstrip("."), str(raw).rstrip("\r\n"))
        for line, kind, raw, msg in rows
    ]
    if staged.rejected:
        _number_rows_around_rejects(con, staged, [r[0] for r in staged.rejected])


def parquet_error(path: Path, exc: BaseException) -> BadFile:
    return BadFile(f"Cannot read {path} as Parquet ({_first_line(str(exc))}); the file may be truncated or "
                   f"corrupt: export it again.")


def stage_parquet(con: duckdb.DuckDBPyConnection, spec: KindSpec, path: Path, table: str) -> Staged:
    """Stage a Parquet file as a view (Parquet is read fast enough not to copy it), keeping its types;
    contract columns are renamed to their contract names."""
    size = path.stat().st_size
    if size == 0:
        raise BadFile(f"The file {path} is empty; export the {spec.kind} again.")
    hasher = sha256_in_background(path)
    source = f"read_parquet({literal(str(path))}, file_row_number = true)"
    try:
        described = con.execute(f"DESCRIBE SELECT * EXCLUDE (file_row_number) FROM {source}").fetchall()
    except duckdb.Error as exc:
        hasher.join()
        raise parquet_error(path, exc) from None
    found = [str(r[0]) for r in described]
    names = canonical_names(spec, found, path)
    check_columns(spec, names, found, path)
    select = ", ".join(f"{quote(f)} AS {quote(n)}" for f, n in zip(found, names, strict=True))
    con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT file_row_number + 1 AS _pa_row, {select} "
                f"FROM {source}")
    types = {n: str(r[1]) for n, r in zip(names, described, strict=True)}
    return Staged(table=table, format="parquet", encoding=None, size=size, columns=types, found=found,
                  row_sql="s._pa_row", hasher=hasher)


def stage_arrow(con: duckdb.DuckDBPyConnection, table: str, arrow: Any, *, fmt: str, size: int, found: list[str],
                raw_sql: str | None, sha256: str | None) -> Staged:
    """Stage an Arrow table built in Python (GeoJSON features)."""
    view = table + "_arrow"
    con.register(view, arrow)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {view}")
    finally:
        con.unregister(view)
    types = {str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE {table}").fetchall()}
    return Staged(table=table, format=fmt, encoding="utf-8", size=size, columns=types, found=found, raw_sql=raw_sql,
                  sha256=sha256)


def row_as_json(staged: Staged) -> str:
    """SQL for the staged row ``s`` as it arrived: a JSON object of every file column as text."""
    if staged.raw_sql:
        return staged.raw_sql
    cols = staged.file_columns
    if not cols:
        return "'{}'"
    fields = ", ".join(f"{quote(c)} := CAST(s.{quote(c)} AS VARCHAR)" for c in cols)
    return f"CAST(to_json(struct_pack({fields})) AS VARCHAR)"


def reject_json(raw_line: str) -> str:
    """A line the CSV reader could not split, as the JSON stored for it."""
    return json.dumps({"_line": raw_line}, ensure_ascii=False)
