"""Reference renderer for SPEC.md §3 (file names) and §4 (CSV and JSON).

An independent Python implementation written from the SPEC text only. The
integration tests use it as the oracle: what smartsheetfs serves for a sheet
must equal, byte for byte, what this module renders from the same sheet.

Input is a sheet as ``GET /2.0/sheets/{id}?level=2&include=objectValue``
returns it (a dict from ``json.loads``; Python keeps integer ids exact), e.g.
the body the fake server (fake_smartsheet.py) serves.

Public functions:

  render_csv(sheet, display=False, crlf=False) -> bytes
  render_json(sheet) -> bytes
  file_stems(list_items) -> {id: stem}     (file name without .csv/.json)
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
"""

import json
import math

__all__ = [
    "MISSING", "cell_json_value", "cell_text", "file_stems",
    "number_to_js", "render_csv", "render_json", "sanitize_name",
]

NAME_MAX = 255          # bytes in one file name (NAME_MAX on Linux)
LONGEST_EXT = ".json"   # the longer of the two extensions decides the cut


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


def _cells_by_column(row):
    return {c.get("columnId"): c for c in row.get("cells") or []}


def render_csv(sheet, display=False, crlf=False):
    """The .csv file of a sheet (SPEC §4 CSV), as bytes (UTF-8, no BOM)."""
    eol = "\r\n" if crlf else "\n"
    columns = sheet.get("columns") or []
    out = [",".join(_csv_field(c.get("title", "")) for c in columns) + eol]
    for row in sheet.get("rows") or []:
        cells = _cells_by_column(row)
        out.append(",".join(
            _csv_field(cell_text(cells.get(c["id"]), display))
            for c in columns) + eol)
    return "".join(out).encode("utf-8")


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
        return number_to_js(v)
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


def json_cell_keys(columns):
    """{column id: key in "cells"}: a title seen before gets " (<id>)"."""
    seen = set()
    keys = {}
    for c in columns:
        title = c.get("title", "")
        keys[c["id"]] = title + " (%d)" % c["id"] if title in seen else title
        seen.add(title)
    return keys


def render_json(sheet):
    """The .json file of a sheet (SPEC §4 JSON), as bytes.

    Line 1: everything up to "rows":[ ; then one row object per line, each
    but the last followed by ","; then "]}" and a final LF.
    """
    columns = sheet.get("columns") or []
    cols = []
    for c in columns:
        s = ('{"id":' + _jint(c["id"])
             + ',"title":' + _jstr(c.get("title", ""))
             + ',"type":' + _jstr(c.get("type", "")))
        if c.get("primary") is True:
            s += ',"primary":true'
        if c.get("hidden") is True:
            s += ',"hidden":true'
        cols.append(s + "}")
    head = ('{"id":' + _jint(sheet.get("id"))
            + ',"name":' + _jopt_str(sheet.get("name"))
            + ',"version":' + _jint(sheet.get("version"))
            + ',"permalink":' + _jopt_str(sheet.get("permalink"))
            + ',"modifiedAt":' + _jopt_str(sheet.get("modifiedAt"))
            + ',"columns":[' + ",".join(cols) + '],"rows":[')
    keys = json_cell_keys(columns)
    lines = []
    for pos, row in enumerate(sheet.get("rows") or []):
        cells = _cells_by_column(row)
        parts = []
        for c in columns:
            v = cell_json_value(cells.get(c["id"]))
            if v is MISSING:
                continue
            parts.append(_jstr(keys[c["id"]]) + ":" + _jvalue(v))
        number = row.get("rowNumber")
        lines.append('{"id":' + _jint(row.get("id"))
                     + ',"rowNumber":' + _jint(pos + 1 if number is None
                                               else number)
                     + ',"parentId":' + _jint(row.get("parentId"))
                     + ',"cells":{' + ",".join(parts) + "}}")
    body = head + "\n" + "".join(
        line + ("," if i + 1 < len(lines) else "") + "\n"
        for i, line in enumerate(lines)) + "]}\n"
    return body.encode("utf-8")


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
    clean = [(item["id"], sanitize_name(item.get("name")))
             for item in list_items]
    count = {}
    for _, name in clean:
        count[name] = count.get(name, 0) + 1
    stems = {}
    for sid, name in clean:
        too_long = len(name.encode("utf-8")) + len(LONGEST_EXT) > NAME_MAX
        if count[name] > 1 or too_long:
            suffix = " (%d)" % sid
            room = NAME_MAX - len(LONGEST_EXT) - len(suffix.encode("utf-8"))
            stems[sid] = _utf8_prefix(name, room) + suffix
        else:
            stems[sid] = name
    return stems
