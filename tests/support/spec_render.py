"""Reference renderer for SPEC.md §3 and §7 (file names) and §4 (CSV,
JSON, NDJSON) of sheets and (§7) reports.

An independent Python implementation written from the SPEC text only. The
integration tests use it as the oracle: what smartsheetfs serves for a sheet
must equal, byte for byte, what this module renders from the same sheet.

Input is a sheet as ``GET /2.0/sheets/{id}?level=2&include=objectValue``
returns it (a dict from ``json.loads``; Python keeps integer ids exact), e.g.
the body the fake server (fake_smartsheet.py) serves; for reports, the
report as ``GET /2.0/reports/{id}?level=3&include=objectValue`` returns it,
all pages' rows in one "rows" list.

Public functions:

  render_csv(sheet, display=False, crlf=False) -> bytes
  render_json(sheet) -> bytes
  render_ndjson(sheet) -> bytes
  render_report_csv(report, display=False, crlf=False) -> bytes
  render_report_json(report) -> bytes
  render_report_ndjson(report) -> bytes
  file_stems(list_items) -> {id: stem}     (file name without .csv/.json)
  entry_names(entries, ndjson=False) -> {(kind, id): name}
                                            (§7: one folder's entries)
  sanitize_name(name) -> str                (§3 character rules only)
  number_to_js(x) -> str                    (ECMAScript Number#toString)
  cell_text(cell, display=False) -> str     (one CSV field, before quoting)
  cell_json_value(cell) -> object | MISSING (one JSON cell, before encoding)

JSON strings are escaped as Python's json module does (see _jstr): the C
renderer must escape the same way for the bytes to match.

Choices where the SPEC is silent (kept out of the fixtures on purpose, so
they do not decide any test; listed so nobody mistakes them for contract):
  - A value or displayValue that is JSON null counts as absent; an empty
    string is a value like any other ("" in JSON, an empty CSV field).
  - A multi-contact entry without an email leaves "email" out as well.
  - Sheet fields missing from the input (version, permalink, modifiedAt)
    render as null; a row without rowNumber gets its 1-based position.
  - Cells whose columnId is not a column of the sheet are ignored; if a row
    holds two cells for one column, the last one wins.

Readings of the SPEC where its text allows more than one (the C renderer
must make the same ones; listed in the report to the lead):
  - Report JSON (§7 "as for a sheet, but ..."): a report has no version, so
    the first line is {"id","name","totalRowCount","permalink",
    "modifiedAt","columns":[...],"rows":[ : totalRowCount takes the place
    of version. A column is {"virtualId","title","type"} (+ primary,
    hidden as for a sheet; no sheetNameColumn key). A row is
    {"id","rowNumber","sheetId","cells"}: sheetId takes parentId's place,
    as _sheetId takes _parentId's in NDJSON.
  - Report cells are matched to columns by virtualColumnId; duplicate
    titles (and NDJSON's reserved keys) use the virtualId as the id.
  - NDJSON: the reserved keys are the three a file writes: _rowId,
    _rowNumber, _parentId for a sheet, _rowId, _rowNumber, _sheetId for a
    report. A column whose title is one of them, or a title seen before
    in the sheet, is keyed "<title> (<column id>)".
  - Names in a folder (§7): two entries clash when any file name of one
    equals any name of the other: a sheet or report is <stem>.csv and
    <stem>.json (and <stem>.ndjson with -o ndjson), a folder is its name.
    Every entry of a clash gets " (<id>)": a file before its extension
    (so both of its files, the stem is shared), a folder at the end. A
    folder named "." or ".." also gets " (<id>)" (no directory can have
    that name). The 255-byte cut counts the longest extension in use
    (.ndjson with -o ndjson: the three files share one stem); a folder
    name over 255 bytes is cut the same way, with no extension.
    A name made unique by " (<id>)" is not checked again against the
    other names (as §3 does for sheets).
"""

import json
import math

__all__ = [
    "MISSING", "cell_json_value", "cell_text", "entry_names", "file_stems",
    "number_to_js", "number_to_json", "render_csv", "render_json", "render_ndjson",
    "render_report_csv", "render_report_json", "render_report_ndjson",
    "sanitize_name",
]

NAME_MAX = 255          # bytes in one file name (NAME_MAX on Linux)
FILE_EXTS = (".csv", ".json")
NDJSON_EXT = ".ndjson"
FILE_KINDS = ("sheet", "report")      # entries that are files
SHEET_KEYS = ("id", "columnId", "parentId", "_parentId")
REPORT_KEYS = ("virtualId", "virtualColumnId", "sheetId", "_sheetId")


class _Missing:
    """Marker for 'this cell is empty: leave it out of the JSON object'."""

    def __repr__(self):
        return "MISSING"


MISSING = _Missing()


# ---------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------

def number_to_js(x):
    """Format a number the way ECMAScript's Number.prototype.toString does.

    ECMA-262 Number::toString(x) with radix 10: take the shortest digit
    string s (k digits) and exponent n with s * 10**(n-k) == x that reads
    back to the same double. Python's repr() yields exactly those digits
    (shortest round-trip, nearest on ties); only the layout differs:

      k <= n <= 21   -> digits then n-k zeros        (1e20 -> 1000...0)
      0 < n <= 21    -> digits with a point inside    (123.456)
      -6 < n <= 0    -> "0." then -n zeros, digits    (1e-6 -> 0.000001)
      otherwise      -> d[.ddd]e(+|-)(n-1)            (1e21 -> 1e+21,
                                                       1.5e-7 -> 1.5e-7)
    -0 prints as "0". Integers are treated as doubles (as a C program that
    holds cell numbers in a double would). Booleans are refused.
    """
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError("number_to_js: not a number: %r" % (x,))
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"                      # also -0
    if x < 0:
        return "-" + number_to_js(-x)
    mant, _, exp = repr(x).partition("e")
    ipart, _, fpart = mant.partition(".")
    digits = ipart + fpart
    point = len(ipart) + (int(exp) if exp else 0)   # x = 0.digits * 10**point
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k, n = len(digits), point
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    sign = "+" if e >= 0 else "-"
    if k == 1:
        return digits + "e" + sign + str(abs(e))
    return digits[0] + "." + digits[1:] + "e" + sign + str(abs(e))


def number_to_json(x):
    """A number of the JSON and NDJSON files: as number_to_js, except that
    an integer of 2**63 or more (below 1e21) takes the exponent form
    ("1e+20"): JSON readers that keep integers in 64 bits (pandas) refuse
    longer integer literals. (A reading of SPEC §4, which says only that
    values keep their JSON types.)"""
    text = number_to_js(x)
    ax = abs(float(x))
    if 2.0 ** 63 <= ax < 1e21 and "e" not in text and "." not in text:
        digits = text.lstrip("-").rstrip("0")
        e = len(text.lstrip("-")) - 1
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return ("-" if text.startswith("-") else "") + mant + "e+" + str(e)
    return text


def _scalar_text(v):
    """A cell value or displayValue as CSV text (§4 CSV)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return number_to_js(v)
    if isinstance(v, str):
        return v
    raise TypeError("cell value of unexpected type: %r" % (v,))


# ---------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------

def cell_text(cell, display=False):
    """The text of one cell in a CSV record, before quoting.

    values=raw: value, else displayValue, else empty.
    values=display: displayValue, else value, else empty.
    """
    if cell is None:
        return ""
    value = cell.get("value")
    shown = cell.get("displayValue")
    first, second = (shown, value) if display else (value, shown)
    if first is not None:
        return _scalar_text(first)
    if second is not None:
        return _scalar_text(second)
    return ""


def cell_json_value(cell):
    """The JSON value of one cell, or MISSING for an empty cell (§4 JSON).

    Multi-picklist (objectValue MULTI_PICKLIST) -> list of strings;
    multi-contact (objectValue MULTI_CONTACT) -> list of {"name","email"}
    with "name" left out when the contact has none; otherwise the value
    with its JSON type; with no value the displayValue string.
    """
    if cell is None:
        return MISSING
    ov = cell.get("objectValue")
    if isinstance(ov, dict):
        kind = ov.get("objectType")
        if kind == "MULTI_PICKLIST":
            return [v if isinstance(v, str) else _scalar_text(v)
                    for v in ov.get("values") or []]
        if kind == "MULTI_CONTACT":
            out = []
            for c in ov.get("values") or []:
                item = {}
                if c.get("name") is not None:
                    item["name"] = c["name"]
                if c.get("email") is not None:
                    item["email"] = c["email"]
                out.append(item)
            return out
    value = cell.get("value")
    if value is not None:
        return value
    shown = cell.get("displayValue")
    if shown is not None:
        return shown
    return MISSING


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------

def _csv_field(text):
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _cells_by_column(row, key="columnId"):
    return {c.get(key): c for c in row.get("cells") or []}


def _csv(table, keys, display, crlf):
    col_id, cell_col = keys[0], keys[1]
    eol = "\r\n" if crlf else "\n"
    columns = table.get("columns") or []
    out = [",".join(_csv_field(c.get("title", "")) for c in columns) + eol]
    for row in table.get("rows") or []:
        cells = _cells_by_column(row, cell_col)
        out.append(",".join(
            _csv_field(cell_text(cells.get(c[col_id]), display))
            for c in columns) + eol)
    return "".join(out).encode("utf-8")


def render_csv(sheet, display=False, crlf=False):
    """The .csv file of a sheet (SPEC §4 CSV), as bytes (UTF-8, no BOM)."""
    return _csv(sheet, SHEET_KEYS, display, crlf)


def render_report_csv(report, display=False, crlf=False):
    """The .csv file of a report (SPEC §7): its columns in order (the
    "Sheet Name" column too when it has one), cells as in §4."""
    return _csv(report, REPORT_KEYS, display, crlf)


# ---------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------

def _jstr(s):
    """A JSON string, escaped as Python's json module does with
    ensure_ascii=False: \\" \\\\ \\b \\f \\n \\r \\t, other characters below
    0x20 as \\u00xx (lowercase hex); everything else raw UTF-8 ('/' and DEL
    included) except U+2028/U+2029, written \\u2028/\\u2029."""
    return (json.dumps(s, ensure_ascii=False)
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _jint(v):
    """An id or counter: an exact integer (never via a double), or null."""
    if v is None:
        return "null"
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError("expected an integer id, got %r" % (v,))
    return str(v)


def _jvalue(v):
    """A cell value: numbers as ECMAScript prints them, non-finite -> null."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        if isinstance(v, float) and not math.isfinite(v):
            return "null"
        return number_to_json(v)
    if isinstance(v, str):
        return _jstr(v)
    if isinstance(v, list):
        return "[" + ",".join(_jvalue(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(_jstr(k) + ":" + _jvalue(x)
                              for k, x in v.items()) + "}"
    raise TypeError("cell value of unexpected type: %r" % (v,))


def _jopt_str(v):
    return "null" if v is None else _jstr(v)


def json_cell_keys(columns, id_key="id", reserved=()):
    """{column id: key in "cells"}: a title seen before, or one of the
    reserved keys (NDJSON), gets " (<id>)"."""
    seen = set()
    keys = {}
    for c in columns:
        title = c.get("title", "")
        clash = title in seen or title in reserved
        keys[c[id_key]] = title + " (%d)" % c[id_key] if clash else title
        seen.add(title)
    return keys


def _json_columns(columns, id_key):
    cols = []
    for c in columns:
        s = ('{"' + id_key + '":' + _jint(c[id_key])
             + ',"title":' + _jstr(c.get("title", ""))
             + ',"type":' + _jstr(c.get("type", "")))
        if c.get("primary") is True:
            s += ',"primary":true'
        if c.get("hidden") is True:
            s += ',"hidden":true'
        cols.append(s + "}")
    return "[" + ",".join(cols) + "]"


def _cell_members(row, columns, names, keys):
    """'"name":value' for each non-empty cell of row, in column order
    (keys: SHEET_KEYS or REPORT_KEYS; names: from json_cell_keys)."""
    cells = _cells_by_column(row, keys[1])
    parts = []
    for c in columns:
        v = cell_json_value(cells.get(c[keys[0]]))
        if v is not MISSING:
            parts.append(_jstr(names[c[keys[0]]]) + ":" + _jvalue(v))
    return parts


def _json_rows(table, keys):
    """The row lines of the JSON file (SPEC §4), third member keys[2]."""
    columns = table.get("columns") or []
    names = json_cell_keys(columns, keys[0])
    lines = []
    for pos, row in enumerate(table.get("rows") or []):
        number = row.get("rowNumber")
        lines.append('{"id":' + _jint(row.get("id"))
                     + ',"rowNumber":' + _jint(pos + 1 if number is None
                                               else number)
                     + ',"' + keys[2] + '":' + _jint(row.get(keys[2]))
                     + ',"cells":{'
                     + ",".join(_cell_members(row, columns, names, keys))
                     + "}}")
    return "".join(line + ("," if i + 1 < len(lines) else "") + "\n"
                   for i, line in enumerate(lines))


def render_json(sheet):
    """The .json file of a sheet (SPEC §4 JSON), as bytes.

    Line 1: everything up to "rows":[ ; then one row object per line, each
    but the last followed by ","; then "]}" and a final LF.
    """
    head = ('{"id":' + _jint(sheet.get("id"))
            + ',"name":' + _jopt_str(sheet.get("name"))
            + ',"version":' + _jint(sheet.get("version"))
            + ',"permalink":' + _jopt_str(sheet.get("permalink"))
            + ',"modifiedAt":' + _jopt_str(sheet.get("modifiedAt"))
            + ',"columns":' + _json_columns(sheet.get("columns") or [], "id")
            + ',"rows":[')
    return (head + "\n" + _json_rows(sheet, SHEET_KEYS)
            + "]}\n").encode("utf-8")


def render_report_json(report):
    """The .json file of a report (SPEC §7; the readings are in the module
    docstring): as a sheet's, with totalRowCount for version, virtualId
    for a column's id, sheetId for a row's parentId."""
    head = ('{"id":' + _jint(report.get("id"))
            + ',"name":' + _jopt_str(report.get("name"))
            + ',"totalRowCount":' + _jint(report.get("totalRowCount"))
            + ',"permalink":' + _jopt_str(report.get("permalink"))
            + ',"modifiedAt":' + _jopt_str(report.get("modifiedAt"))
            + ',"columns":' + _json_columns(report.get("columns") or [],
                                            "virtualId")
            + ',"rows":[')
    return (head + "\n" + _json_rows(report, REPORT_KEYS)
            + "]}\n").encode("utf-8")


# ---------------------------------------------------------------------------
# NDJSON (§4, -o ndjson)
# ---------------------------------------------------------------------------

def _ndjson(table, keys):
    columns = table.get("columns") or []
    reserved = ("_rowId", "_rowNumber", keys[3])
    names = json_cell_keys(columns, keys[0], reserved)
    out = []
    for pos, row in enumerate(table.get("rows") or []):
        number = row.get("rowNumber")
        members = ['"_rowId":' + _jint(row.get("id")),
                   '"_rowNumber":' + _jint(pos + 1 if number is None
                                           else number),
                   '"' + keys[3] + '":' + _jint(row.get(keys[2]))]
        members += _cell_members(row, columns, names, keys)
        out.append("{" + ",".join(members) + "}\n")
    return "".join(out).encode("utf-8")


def render_ndjson(sheet):
    """The .ndjson file of a sheet (SPEC §4 NDJSON): one flat object per
    row, "_rowId", "_rowNumber", "_parentId", then the cells as in the
    JSON file; an empty sheet is an empty file."""
    return _ndjson(sheet, SHEET_KEYS)


def render_report_ndjson(report):
    """The .ndjson file of a report: as a sheet's, "_sheetId" instead of
    "_parentId"."""
    return _ndjson(report, REPORT_KEYS)


# ---------------------------------------------------------------------------
# Names (§3)
# ---------------------------------------------------------------------------

def sanitize_name(name):
    """'/' -> U+FF0F, control characters (0x00-0x1F, 0x7F) -> '_',
    an empty name -> '_'."""
    out = []
    for ch in name or "":
        if ch == "/":
            out.append("\uff0f")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("_")
        else:
            out.append(ch)
    return "".join(out) or "_"


def _utf8_prefix(s, max_bytes):
    """The longest prefix of s whose UTF-8 encoding fits in max_bytes."""
    used = 0
    for i, ch in enumerate(s):
        used += len(ch.encode("utf-8"))
        if used > max_bytes:
            return s[:i]
    return s


def file_stems(list_items):
    """{sheet id: file stem} for the sheets of a list (§3 Names).

    list_items: dicts with "id" and "name" (the GET /sheets data items).
    Names are sanitized; where two or more sanitized names are equal, each
    of those sheets gets " (<id>)"; a name that would pass 255 bytes with
    ".json" becomes "<cut> (<id>)" with <cut> its longest prefix ending on a
    character boundary such that "<cut> (<id>).json" fits in 255 bytes.
    """
    names = entry_names([dict(item, kind="sheet") for item in list_items])
    return {item["id"]: names[("sheet", item["id"])] for item in list_items}


def entry_names(entries, ndjson=False):
    """{(kind, id): name} for the entries of one folder (§3, §7).

    entries: dicts with "kind" ("sheet" and "report" are files; "folder"
    and "workspace" are folders), "id" and "name". A file's name is its
    stem (without .csv/.json/.ndjson), a folder's its whole name. The
    readings behind the rules are in the module docstring: names are
    sanitized; entries whose names clash (any file name of one equals any
    name of another) and folders named "." or ".." get " (<id>)"; a name
    too long for 255 bytes (with the longest extension, for a file) is cut
    at a character boundary and gets " (<id>)".
    """
    exts = FILE_EXTS + ((NDJSON_EXT,) if ndjson else ())
    longest = max(len(e) for e in exts)
    clean = []
    for e in entries:
        name = sanitize_name(e.get("name"))
        is_file = e["kind"] in FILE_KINDS
        owned = {name + x for x in exts} if is_file else {name}
        clean.append((e, name, is_file, owned))
    count = {}
    for _, _, _, owned in clean:
        for n in owned:
            count[n] = count.get(n, 0) + 1
    out = {}
    for e, name, is_file, owned in clean:
        ext = longest if is_file else 0
        clash = any(count[n] > 1 for n in owned) or \
            (not is_file and name in (".", ".."))
        if clash or len(name.encode("utf-8")) + ext > NAME_MAX:
            suffix = " (%d)" % e["id"]
            room = NAME_MAX - ext - len(suffix.encode("utf-8"))
            name = _utf8_prefix(name, room) + suffix
        out[(e["kind"], e["id"])] = name
    return out
