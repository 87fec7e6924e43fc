"""Row writes for the fake Smartsheet server (fake_smartsheet.py).

POST, PUT and DELETE /2.0/sheets/{id}/rows as smartsheet-api.md §4.8 and
§9.3 and the OpenAPI description (rows-addToSheet, update-rows, delete-rows,
the tags rowsRelated "Specify Row Location" and cellsRelated "Cell Value
Parsing", the error-code table) describe them. The rules, the order in which
they are checked and the readings made where the documents are silent are in
fake_smartsheet.py's module docstring ("Row writes"); this module is the
engine: pure functions on a sheet body (its "columns" and "rows"), no HTTP,
no locks (the caller holds the sheet's lock).

Every request is all-or-nothing: the functions work on a new list of rows
(rows they change are copies) and store it in body["rows"] only when nothing
failed. A refusal raises RowError (HTTP status, errorCode, message, detail).

Python 3.11 standard library only.
"""

import datetime
import json
import re

MAX_ROWS = 500                  # rows per POST/PUT (OAS "Limitations")
MAX_CELL_CHARS = 4000           # longer strings are cut, silently
NUMBER_LIMIT = 9007199254740992  # |n| above: 1148 (strict) or text
WRITE_LEVELS = ("OWNER", "ADMIN", "EDITOR_SHARE", "EDITOR")
LOCK_EXEMPT = ("OWNER", "ADMIN")    # they edit locked rows and columns
SYSTEM_COLUMNS = ("AUTO_NUMBER", "CREATED_DATE", "CREATED_BY",
                  "MODIFIED_DATE", "MODIFIED_BY")
MULTI_TYPES = ("MULTI_PICKLIST", "MULTI_CONTACT_LIST")

ROW_ATTRS = frozenset(("toTop", "toBottom", "parentId", "siblingId", "above",
                       "expanded", "format", "locked", "cells"))
PUT_ONLY_ROW_ATTRS = frozenset(("id", "indent", "outdent"))
# Attributes a GET answers with: sending them back is refused (1032).
READ_ONLY_ROW_ATTRS = frozenset((
    "rowNumber", "createdAt", "modifiedAt", "createdBy", "modifiedBy",
    "version", "sheetId", "permalink", "permaLink", "lockedForUser",
    "filteredOut", "inCriticalPath", "accessLevel", "conditionalFormat",
    "attachments", "discussions", "columns", "parentRowNumber"))
CELL_ATTRS = frozenset(("columnId", "value", "objectValue", "formula",
                        "strict", "displayValue", "hyperlink",
                        "linkInFromCell", "format", "image",
                        "overrideValidation"))
READ_ONLY_CELL_ATTRS = frozenset(("columnType", "conditionalFormat",
                                  "linksOutToCells", "virtualColumnId"))
# The location shapes the docs allow ("Specify Row Location").
LOCATIONS = (frozenset(), frozenset(("toTop",)), frozenset(("toBottom",)),
             frozenset(("parentId",)), frozenset(("parentId", "toBottom")),
             frozenset(("siblingId",)), frozenset(("siblingId", "above")),
             frozenset(("indent",)), frozenset(("outdent",)))
# The location attributes and the values each takes.
LOCATION_VALUES = {
    "toTop": lambda v: v is True, "toBottom": lambda v: v is True,
    "above": lambda v: v is True,
    "parentId": lambda v: is_int(v), "siblingId": lambda v: is_int(v),
    "indent": lambda v: is_int(v) and v == 1,
    "outdent": lambda v: is_int(v) and v == 1}
# objectValue.objectType each column type takes.
OBJECT_TYPES = {"MULTI_PICKLIST": "MULTI_PICKLIST",
                "MULTI_CONTACT_LIST": "MULTI_CONTACT",
                "CONTACT_LIST": "CONTACT", "PREDECESSOR": "PREDECESSOR_LIST",
                "DURATION": "DURATION"}

# The error-code table of the OpenAPI description ({n}: arguments).
MESSAGES = {
    1006: "Not Found",
    1008: "Unable to parse request. The following error occurred: {0}",
    1009: "A required parameter is missing from your request: {0}.",
    1012: "A required object attribute is missing from your request: {0}.",
    1018: "The value {0} was not valid for the parameter {1}.",
    1024: "The HTTP request body is required for this Method.",
    1031: "The value {0} was not valid for the attribute {1}.",
    1032: "The attribute(s) {0} are not allowed for this operation.",
    1036: "The columnId {0} is invalid.",
    1037: "The columnId {0} is included more than once in a single row.",
    1038: "Invalid Cell value. Must be numeric or a string.",
    1039: "Cannot edit a locked column {0}.",
    1042: "The value for cell in column {0}, {1}, did not conform to the "
          "strict requirements for type {2}.",
    1046: "Cells containing system values cannot be inserted or updated "
          "through the API, columnId : {0}.",
    1050: "You cannot edit a locked row.",
    1061: "Max count exceeded for field {0}.",
    1062: "Invalid row location.",
    1063: "Invalid parentId: {0}.",
    1064: "Invalid siblingId: {0}.",
    1092: "You cannot delete this row. Either it or one or more of its "
          "children are locked.",
    1109: "Only one of cell.hyperlink or cell.linkInFromCell may be non-null.",
    1111: "Only one of cell.hyperlink.sheetId and cell.hyperlink.reportId "
          "may be non-null.",
    1112: "cell.hyperlink.url must be null for sheet or report hyperlinks.",
    1113: "cell.value must be a string when the cell is a hyperlink.",
    1117: "One of the following cell.hyperlink fields must be non-null: "
          "url, sheetId, or reportId.",
    1123: "Specifying multiple row locations is not yet supported. Each row "
          "must use the same row location attribute and value (toBottom, "
          "toTop, parentId, siblingId, above).",
    1130: "One of cell.value or objectValue may be set, but not both.",
    1131: "cell.{0} for column {1} was of the wrong object type. Allowed "
          "types: {2}.",
    1137: "Input collection contains multiple instances of the same element.",
    1146: "Unsupported operation: {0}.",
    1148: "Numeric cell values must be between {0} and {1}.",
    1162: "A formula must always start with an equal sign (=).",
    # As the SDK scenario "Add Rows - Invalid - Assign Value and Formulae"
    # answers (the table's 1163 text speaks of images).
    1163: "If cell.formula is specified, then value, objectValue, image, "
          "hyperlink, and linkInFromCell must not be specified.",
    1185: "Cannot create a child of a parent row that has no data in it.",
    1283: "Unrecognized JSON property.",
    1302: "Cannot edit column formula cells.",
}
STATUS = {1006: 404, 1039: 403, 1050: 403, 1092: 403}

DATE_RE = re.compile(r"^\d{4}-\d\d-\d\d$")
DATETIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ?$")
EMAIL_RE = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
NUMBER_TEXT_RE = re.compile(r"^-?\d+(\.\d+)?$")
_UNIT = r"\d+(?:\.\d+)?(?:ms|w|d|h|m|s)"
DURATION_RE = re.compile(r"^-?e?%s(?:\s+e?%s)*$" % (_UNIT, _UNIT))
_PRED = r"\d+(?:FS|SS|FF|SF)?(?:\s*[+-]\s*%s(?:\s+%s)*)?" % (_UNIT, _UNIT)
PREDECESSOR_RE = re.compile(r"^%s(?:\s*,\s*%s)*$" % (_PRED, _PRED))
DURATION_UNITS = (("w", "weeks"), ("d", "days"), ("h", "hours"),
                  ("m", "minutes"), ("s", "seconds"),
                  ("ms", "milliseconds"))


class RowError(Exception):
    """A refused write: HTTP status, errorCode, message, detail."""

    def __init__(self, code, *args):
        message = MESSAGES[code]
        for i, a in enumerate(args):
            message = message.replace("{%d}" % i, str(a))
        super().__init__(message)
        self.status = STATUS.get(code, 400)
        self.code = code
        self.message = message
        self.detail = None

    def at(self, index, row_id=None):
        """The same error with detail {index[, rowId]} (the bulk rule:
        which row of the request failed)."""
        if self.detail is None:
            self.detail = {"index": index}
            if row_id is not None:
                self.detail["rowId"] = row_id
        return self


class Ctx:
    """What a write needs besides the body: the new modifiedAt text, the
    sheet's accessLevel, the user (for CREATED_BY / MODIFIED_BY) and a
    source of new row ids."""

    def __init__(self, now, access, user_email, user_name, new_row_id):
        self.now = now
        self.access = access
        self.user_email = user_email
        self.user_name = user_name
        self.new_row_id = new_row_id


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def number_text(v):
    """A number's displayValue (no locale formatting)."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e21:
        return str(int(v))
    return str(v) if is_int(v) else repr(v)


def locked_for_user(obj, access):
    """A row or column the requester may not edit."""
    return bool(obj.get("lockedForUser")) or (
        bool(obj.get("locked")) and access not in LOCK_EXEMPT)


def datetime_display(text):
    """A DATETIME system cell's displayValue, e.g. "05/21/24 2:02 PM"."""
    t = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    hour = t.hour % 12 or 12
    return "%02d/%02d/%02d %d:%02d %s" % (t.month, t.day, t.year % 100, hour,
                                          t.minute, "AM" if t.hour < 12
                                          else "PM")


def has_data(row):
    return any(k in c for c in row.get("cells") or []
               for k in ("value", "objectValue", "formula"))


# ---------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------

def valid_date(text, with_time):
    try:
        if DATE_RE.match(text):
            datetime.date.fromisoformat(text)
            return True
        if with_time and DATETIME_RE.match(text):
            datetime.datetime.fromisoformat(text.rstrip("Z"))
            return True
    except ValueError:
        pass
    return False


def duration_object(text):
    """{"objectType": "DURATION", "days": 4, ...} for "4d 6h"; None when
    the text is not a plain duration."""
    out = {"objectType": "DURATION"}
    if text.startswith("-"):
        out["negative"] = True
        text = text[1:]
    for part in text.split():
        if part.startswith("e"):
            out["elapsed"] = True
            part = part[1:]
        m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|w|d|h|m|s)", part)
        if not m:
            return None
        n = float(m.group(1))
        field = dict(DURATION_UNITS)[m.group(2)]
        out[field] = int(n) if n.is_integer() else n
    return out


def contact_cell(email, name):
    ov = {"objectType": "CONTACT", "email": email}
    if name:
        ov["name"] = name
    return {"value": email, "displayValue": name or email, "objectValue": ov}


def text_cell(text):
    return {"value": text, "displayValue": text}


def value_cell(col, v, strict, shown):
    """The stored keys (without columnId) for a "value" write; raises
    RowError 1038/1042/1148. v is neither None nor ""."""
    ctype = col.get("type")
    cid = col["id"]

    def refuse():
        raise RowError(1042, cid, _json_text(v), ctype)

    if isinstance(v, (dict, list)):
        raise RowError(1038)
    number = isinstance(v, (int, float)) and not isinstance(v, bool)
    if isinstance(v, str) and len(v) > MAX_CELL_CHARS:
        v = v[:MAX_CELL_CHARS]
    if number and abs(v) > NUMBER_LIMIT and ctype in (
            "TEXT_NUMBER", "PICKLIST"):
        if strict:
            raise RowError(1148, -NUMBER_LIMIT, NUMBER_LIMIT)
        return text_cell(number_text(v))
    if ctype in MULTI_TYPES:
        refuse()                    # objectValue only
    if ctype == "CHECKBOX":
        if isinstance(v, bool):
            return {"value": v}
        if not strict and isinstance(v, str) and \
                v.lower() in ("true", "false"):
            return {"value": v.lower() == "true"}
        if strict:
            refuse()
        return text_cell(v if isinstance(v, str) else number_text(v))
    if isinstance(v, bool):
        if strict:
            refuse()
        v = "true" if v else "false"
        number = False
    if ctype == "TEXT_NUMBER":
        if number:
            return {"value": v, "displayValue": number_text(v)}
        if not strict and NUMBER_TEXT_RE.match(v):
            n = float(v)
            n = int(n) if n.is_integer() and abs(n) < 1e15 else n
            return {"value": n, "displayValue": number_text(n)}
        return text_cell(v)
    if ctype == "PICKLIST":
        options = col.get("options")
        if strict and (number or (options and v not in options)):
            refuse()
        if number:
            return {"value": v, "displayValue": number_text(v)}
        return text_cell(v)
    text = number_text(v) if number else v
    if ctype in ("DATE", "ABSTRACT_DATETIME", "DATETIME"):
        if not number and valid_date(text, ctype != "DATE"):
            if ctype == "ABSTRACT_DATETIME":
                return {"value": text, "objectValue": {
                    "objectType": "ABSTRACT_DATETIME", "value": text}}
            return {"value": text}
        if strict:
            refuse()
        return text_cell(text)
    if ctype == "CONTACT_LIST":
        if not number and EMAIL_RE.match(text):
            return contact_cell(text, shown if isinstance(shown, str)
                                else None)
        if strict:
            refuse()
        return text_cell(text)
    if ctype == "DURATION":
        if number and not strict:
            text += "d"
        ov = None if number and strict else \
            (duration_object(text) if DURATION_RE.match(text) else None)
        if ov is None:
            if strict:
                refuse()
            return text_cell(text)
        return {"value": text, "displayValue": text, "objectValue": ov}
    if ctype == "PREDECESSOR":
        if strict and (number or not PREDECESSOR_RE.match(text)):
            refuse()
        return text_cell(text)
    return text_cell(text)              # unknown types: as text


def object_cell(col, ov, strict, rows):
    """The stored keys for an "objectValue" write (raises RowError)."""
    ctype = col.get("type")
    cid = col["id"]
    want = OBJECT_TYPES.get(ctype)
    if not isinstance(ov, dict) or ov.get("objectType") != want:
        raise RowError(1131, "objectValue", cid, want or "none")

    def refuse():
        raise RowError(1042, cid, _json_text(ov), ctype)

    if want == "MULTI_PICKLIST":
        values = ov.get("values")
        if not isinstance(values, list) or \
                not all(isinstance(x, str) for x in values):
            refuse()
        options = col.get("options") or []
        if strict and any(x not in options for x in values):
            refuse()
        if not values:
            return {}
        return {"displayValue": ", ".join(values),
                "objectValue": {"objectType": "MULTI_PICKLIST",
                                "values": list(values)}}
    if want == "MULTI_CONTACT":
        values = ov.get("values")
        if not isinstance(values, list):
            refuse()
        people = []
        for c in values:
            if not isinstance(c, dict) or not isinstance(c.get("email"), str) \
                    or not EMAIL_RE.match(c["email"]) or \
                    not isinstance(c.get("name", ""), str):
                refuse()
            people.append(contact_cell(c["email"], c.get("name"))
                          ["objectValue"])
        if not people:
            return {}
        return {"displayValue": ", ".join(p.get("name") or p["email"]
                                          for p in people),
                "objectValue": {"objectType": "MULTI_CONTACT",
                                "values": people}}
    if want == "CONTACT":
        email = ov.get("email")
        if not isinstance(email, str) or not EMAIL_RE.match(email) or \
                not isinstance(ov.get("name", ""), str):
            refuse()
        return contact_cell(email, ov.get("name"))
    if want == "DURATION":
        parts = []
        for unit, field in DURATION_UNITS:
            n = ov.get(field)
            if n is None:
                continue
            if not isinstance(n, (int, float)) or isinstance(n, bool):
                refuse()
            parts.append(number_text(n) + unit)
        if not parts:
            refuse()
        text = ("-" if ov.get("negative") else "") + " ".join(parts)
        return {"value": text, "displayValue": text, "objectValue": dict(ov)}
    # PREDECESSOR_LIST: rowIds must be rows of the sheet.
    numbers = {r["id"]: r.get("rowNumber") for r in rows}
    preds = ov.get("predecessors")
    if not isinstance(preds, list):
        refuse()
    texts, stored = [], []
    for p in preds:
        if not isinstance(p, dict) or p.get("rowId") not in numbers or \
                p.get("type", "FS") not in ("FS", "SS", "FF", "SF"):
            refuse()
        p = dict(p, rowNumber=numbers[p["rowId"]])
        kind = p.get("type", "FS")
        text = str(p["rowNumber"])
        lag = p.get("lag")
        lag_text = ""
        if isinstance(lag, dict):
            lag_text = object_cell({"id": cid, "type": "DURATION"},
                                   dict(lag, objectType="DURATION"),
                                   True, rows)["value"]
            lag_text = " " + ("-" if lag_text.startswith("-") else "+") + \
                lag_text.lstrip("-")
        if kind != "FS" or lag_text:
            text += kind
        texts.append(text + lag_text)
        stored.append(p)
    if not texts:
        return {}
    text = ", ".join(texts)
    return {"value": text, "displayValue": text,
            "objectValue": {"objectType": "PREDECESSOR_LIST",
                            "predecessors": stored}}


def _json_text(v):
    return json.dumps(v, ensure_ascii=False)


def check_hyperlink(cell, post):
    """Raise RowError for a bad hyperlink / linkInFromCell combination."""
    link = cell.get("hyperlink")
    cell_link = cell.get("linkInFromCell")
    if link is not None and cell_link is not None:
        raise RowError(1109)
    if cell_link is not None:
        if post:
            raise RowError(1032, "cell.linkInFromCell")
        raise RowError(1146, "cell.linkInFromCell (not in this fake)")
    if link is None:
        return
    if not isinstance(link, dict):
        raise RowError(1031, _json_text(link), "cell.hyperlink")
    targets = [k for k in ("sheetId", "reportId", "sightId")
               if link.get(k) is not None]
    if len(targets) > 1:
        raise RowError(1111)
    if targets and link.get("url") is not None:
        raise RowError(1112)
    if not targets and link.get("url") is None:
        raise RowError(1117)
    v = cell.get("value")
    if v is not None and v != "" and not isinstance(v, str):
        raise RowError(1113)


def stored_cell(cell, columns, seen, access, rows, post):
    """Check one request cell; return (column, stored cell). The checks, in
    order: shape, attributes, columnId, value/objectValue/formula
    combination, links, the column (system, column formula, locked), the
    value against the column type."""
    if not isinstance(cell, dict):
        raise RowError(1008, "a cell must be a JSON object")
    for k in cell:
        if k in READ_ONLY_CELL_ATTRS:
            raise RowError(1032, "cell." + k)
        if k not in CELL_ATTRS:
            raise RowError(1283)
    cid = cell.get("columnId")
    if cid is None:
        raise RowError(1012, "cell.columnId")
    col = columns.get(cid) if is_int(cid) else None
    if col is None:
        raise RowError(1036, cid)
    if cid in seen:
        raise RowError(1037, cid)
    seen.add(cid)
    if "formula" in cell and any(cell.get(k) is not None for k in (
            "value", "objectValue", "image", "hyperlink", "linkInFromCell")):
        raise RowError(1163)
    if cell.get("value") is not None and cell.get("objectValue") is not None:
        raise RowError(1130)
    if not any(k in cell for k in ("value", "objectValue", "formula")):
        raise RowError(1012, "cell.value")
    check_hyperlink(cell, post)
    strict = cell.get("strict", True)
    if not isinstance(strict, bool):
        raise RowError(1031, _json_text(strict), "cell.strict")
    if col.get("systemColumnType") in SYSTEM_COLUMNS:
        raise RowError(1046, cid)
    if col.get("formula"):
        raise RowError(1302)
    if locked_for_user(col, access):
        raise RowError(1039, cid)
    out = {"columnId": cid}
    if "formula" in cell:
        f = cell["formula"]
        if not isinstance(f, str) or not f.startswith("="):
            raise RowError(1162)
        out["formula"] = f
        return col, out
    if cell.get("objectValue") is not None:
        out.update(object_cell(col, cell["objectValue"], strict, rows))
    else:
        v = cell.get("value")
        if v is None or v == "":
            if col.get("type") == "CHECKBOX":
                out["value"] = False
        else:
            out.update(value_cell(col, v, strict, cell.get("displayValue")))
    if cell.get("hyperlink") is not None and len(out) > 1:
        out["hyperlink"] = dict(cell["hyperlink"])
    return col, out


def request_cells(req, columns, access, rows, post):
    cells = req.get("cells")
    if cells is None:
        return []
    if not isinstance(cells, list):
        raise RowError(1008, "row.cells must be an array")
    seen = set()
    return [stored_cell(c, columns, seen, access, rows, post)[1]
            for c in cells]


def put_cell(cells, new):
    """Replace the cell of new's column in cells (or append it)."""
    for k, old in enumerate(cells):
        if old.get("columnId") == new["columnId"]:
            cells[k] = new
            return
    cells.append(new)


def system_cells(columns, rows, ctx, created):
    """The cells Smartsheet fills in on a row it adds (created) or
    changes: AUTO_NUMBER and CREATED_* only on add, MODIFIED_* always."""
    out = []
    for col in columns:
        kind = col.get("systemColumnType")
        if kind not in SYSTEM_COLUMNS or (
                not created and not kind.startswith("MODIFIED")):
            continue
        if kind.endswith("_DATE"):
            keys = {"value": ctx.now,
                    "displayValue": datetime_display(ctx.now)}
        elif kind.endswith("_BY"):
            keys = contact_cell(ctx.user_email, ctx.user_name)
        else:
            keys = next_auto_number(col, rows)
        out.append(dict({"columnId": col["id"]}, **keys))
    return out


def next_auto_number(col, rows):
    fmt = col.get("autoNumberFormat") or {}
    prefix, suffix = fmt.get("prefix", ""), fmt.get("suffix", "")
    width = len(fmt.get("fill", ""))
    top = fmt.get("startingNumber", 1) - 1
    for row in rows:
        for c in row.get("cells") or []:
            v = c.get("value")
            if c.get("columnId") == col["id"] and isinstance(v, str) and \
                    v.startswith(prefix) and v.endswith(suffix):
                digits = v[len(prefix):len(v) - len(suffix)]
                if digits.isdigit():
                    top = max(top, int(digits))
    text = prefix + str(top + 1).zfill(width) + suffix
    return {"value": text, "displayValue": text}


# ---------------------------------------------------------------------------
# Rows and locations
# ---------------------------------------------------------------------------

def payload_rows(payload):
    """(single, [row dicts]) from a request body; raises 1008 / 1061."""
    single = isinstance(payload, dict)
    rows = [payload] if single else payload
    if not isinstance(rows, list) or not rows:
        raise RowError(1008, "expected a Row object or a non-empty array "
                             "of Row objects")
    if len(rows) > MAX_ROWS:
        raise RowError(1061, "rows (at most %d)" % MAX_ROWS)
    return single, rows


def check_row_attrs(req, put):
    if not isinstance(req, dict):
        raise RowError(1008, "a row must be a JSON object")
    for k in req:
        if k in READ_ONLY_ROW_ATTRS or (not put and k in PUT_ONLY_ROW_ATTRS):
            raise RowError(1032, "row." + k)
        if k not in ROW_ATTRS and k not in PUT_ONLY_ROW_ATTRS:
            raise RowError(1283)
    for k in ("expanded", "locked"):
        if req.get(k) is not None and not isinstance(req[k], bool):
            raise RowError(1031, _json_text(req[k]), "row." + k)


def location_of(req):
    """The row's location as a dict (absent keys, null and false left
    out); raises 1031 (bad value) or 1062 (a combination the docs
    forbid)."""
    loc = {}
    for k, ok in LOCATION_VALUES.items():
        v = req.get(k)
        if v is None or v is False:
            continue
        if not ok(v):
            raise RowError(1031, _json_text(v), "row." + k)
        loc[k] = v
    if frozenset(loc) not in LOCATIONS:
        raise RowError(1062)
    return loc


def subtree_end(rows, i):
    """The index just past rows[i]'s last descendant."""
    ids = {rows[i]["id"]}
    j = i + 1
    while j < len(rows) and rows[j].get("parentId") in ids:
        ids.add(rows[j]["id"])
        j += 1
    return j


def index_of(rows, rid):
    for i, r in enumerate(rows):
        if r["id"] == rid:
            return i
    return -1


def set_parent(row, parent):
    if parent is None:
        row.pop("parentId", None)
    else:
        row["parentId"] = parent


def anchor(rows, loc):
    """(insert index, parent id) for the first row of a request."""
    if "parentId" in loc:
        pid = loc["parentId"]
        i = index_of(rows, pid)
        if i < 0:
            raise RowError(1063, pid)
        if not has_data(rows[i]):
            raise RowError(1185)
        return (subtree_end(rows, i) if "toBottom" in loc else i + 1), pid
    if "siblingId" in loc:
        sid = loc["siblingId"]
        i = index_of(rows, sid)
        if i < 0:
            raise RowError(1064, sid)
        parent = rows[i].get("parentId")
        return (i if "above" in loc else subtree_end(rows, i)), parent
    if "toTop" in loc:
        return 0, None
    return len(rows), None              # toBottom, or no location (add)


def place_blocks(rows, blocks, loc):
    """Insert the blocks (each a row and its descendants) at loc, in order:
    the first at the location, each next one right after the one before
    (so the request's order is kept). Raises 1063/1064/1185."""
    at, parent = anchor(rows, loc)
    for block in blocks:
        block[0] = dict(block[0])
        set_parent(block[0], parent)
        rows[at:at] = block
        at += len(block)


def indent(rows, rid):
    """The row becomes the last child of the sibling above it; position
    and children stay. No sibling above: 1062."""
    i = index_of(rows, rid)
    parent = rows[i].get("parentId")
    for j in range(i - 1, -1, -1):
        if rows[j]["id"] == parent:
            break                       # reached the parent: no sibling
        if rows[j].get("parentId") == parent:
            rows[i] = dict(rows[i])
            set_parent(rows[i], rows[j]["id"])
            return
    raise RowError(1062)


def outdent(rows, rid):
    """The row moves up one level, in place; the siblings that followed it
    become its last children (Smartsheet's hierarchy is positional). A
    top-level row: 1062."""
    i = index_of(rows, rid)
    parent = rows[i].get("parentId")
    if parent is None:
        raise RowError(1062)
    p = index_of(rows, parent)
    end = subtree_end(rows, p)
    rows[i] = dict(rows[i])
    set_parent(rows[i], rows[p].get("parentId"))
    for j in range(subtree_end(rows, i), end):
        if rows[j].get("parentId") == parent:
            rows[j] = dict(rows[j])
            rows[j]["parentId"] = rid


def normalize(rows):
    """rowNumber, parentId and siblingId recomputed from the order; a row
    whose numbers change is rebuilt (id, rowNumber, parentId, siblingId
    first, the rest in its order), the others stay as they are."""
    last = {}
    for n, row in enumerate(rows, 1):
        parent = row.get("parentId")
        sibling = last.get(parent)
        last[parent] = row["id"]
        if row.get("rowNumber") == n and row.get("siblingId") == sibling:
            continue
        new = {"id": row["id"], "rowNumber": n}
        if parent is not None:
            new["parentId"] = parent
        if sibling is not None:
            new["siblingId"] = sibling
        for k, v in row.items():
            if k not in new and k not in ("parentId", "siblingId"):
                new[k] = v
        rows[n - 1] = new


def check_all(reqs, put, known):
    """Per row, in order: attributes, id (PUT), location, same location as
    the first row (1123). Returns the common location."""
    first = None
    ids = set()
    for index, req in enumerate(reqs):
        rid = req.get("id") if isinstance(req, dict) else None
        try:
            check_row_attrs(req, put)
            if put:
                if rid is None:
                    raise RowError(1012, "row.id")
                if not is_int(rid):
                    raise RowError(1031, _json_text(rid), "row.id")
                if rid not in known:
                    raise RowError(1006)
                if rid in ids:
                    raise RowError(1137)
                ids.add(rid)
            loc = location_of(req)
            if first is None:
                first = loc
            elif loc != first:
                raise RowError(1123)
        except RowError as e:
            raise e.at(index, rid if put and is_int(rid) else None)
    return first


def add_rows(body, payload, ctx):
    """POST /sheets/{id}/rows. Returns the "result" (a row, or a list)."""
    single, reqs = payload_rows(payload)
    loc = check_all(reqs, False, ())
    old = body.get("rows") or []
    columns = {c["id"]: c for c in body.get("columns") or []}
    order = [c["id"] for c in body.get("columns") or []]
    blocks = []
    for index, req in enumerate(reqs):
        try:
            cells = request_cells(req, columns, ctx.access, old, True)
        except RowError as e:
            raise e.at(index)
        given = {c["columnId"]: c for c in cells}
        for c in system_cells(body.get("columns") or [],
                              old + [b[0] for b in blocks], ctx, True):
            given[c["columnId"]] = c
        row = {"id": ctx.new_row_id(), "rowNumber": 0,
               "expanded": req.get("expanded", True)}
        if req.get("locked") is not None:
            row["locked"] = req["locked"]
        if req.get("format") is not None:
            row["format"] = req["format"]
        row["createdAt"] = row["modifiedAt"] = ctx.now
        row["cells"] = [given.get(cid, {"columnId": cid}) for cid in order]
        blocks.append([row])
    rows = list(old)
    try:
        place_blocks(rows, blocks, loc)
    except RowError as e:
        raise e.at(0)
    normalize(rows)
    body["rows"] = rows
    return result_of(rows, [b[0]["id"] for b in blocks], single)


def result_of(rows, ids, single):
    by_id = {r["id"]: r for r in rows}
    out = [by_id[i] for i in ids]
    return out[0] if single else out


def update_rows(body, payload, ctx):
    """PUT /sheets/{id}/rows: cells first, then locations (in request
    order). Returns the "result"."""
    single, reqs = payload_rows(payload)
    old = body.get("rows") or []
    known = {r["id"]: i for i, r in enumerate(old)}
    loc = check_all(reqs, True, known)
    columns = {c["id"]: c for c in body.get("columns") or []}
    rows = list(old)
    for index, req in enumerate(reqs):
        rid = req["id"]
        i = known[rid]
        try:
            if locked_for_user(rows[i], ctx.access):
                raise RowError(1050)
            cells = request_cells(req, columns, ctx.access, old, False)
        except RowError as e:
            raise e.at(index, rid)
        row = dict(rows[i])
        row["cells"] = [dict(c) for c in row.get("cells") or []]
        for c in cells + system_cells(body.get("columns") or [], old, ctx,
                                      False):
            put_cell(row["cells"], c)
        for k in ("expanded", "locked", "format"):
            if req.get(k) is not None:
                row[k] = req[k]
        row["modifiedAt"] = ctx.now
        rows[i] = row
    if loc:
        move_rows(rows, [r["id"] for r in reqs], loc)
    normalize(rows)
    body["rows"] = rows
    return result_of(rows, [r["id"] for r in reqs], single)


def move_rows(rows, ids, loc):
    """Move the rows (with their descendants) of a PUT to loc."""
    for index, rid in enumerate(ids):
        try:
            if "indent" in loc:
                indent(rows, rid)
                continue
            if "outdent" in loc:
                outdent(rows, rid)
                continue
            target = loc.get("parentId", loc.get("siblingId"))
            i = index_of(rows, rid)
            j = subtree_end(rows, i)
            if target is not None and \
                    any(r["id"] == target for r in rows[i:j]):
                raise RowError(1062)
        except RowError as e:
            raise e.at(index, rid)
    if "indent" in loc or "outdent" in loc:
        return
    blocks = []
    for rid in ids:
        i = index_of(rows, rid)
        if i < 0:           # inside a block taken out already: keep it there
            continue
        j = subtree_end(rows, i)
        blocks.append(rows[i:j])
        del rows[i:j]
    try:
        place_blocks(rows, blocks, loc)
    except RowError as e:
        raise e.at(0, ids[0])


def delete_rows(body, ids, ignore_not_found, ctx):
    """DELETE /sheets/{id}/rows: the rows and their descendants. Returns
    (the deleted ids in sheet order, whether anything changed)."""
    rows = body.get("rows") or []
    where = {r["id"]: i for i, r in enumerate(rows)}
    if not ignore_not_found and any(i not in where for i in ids):
        raise RowError(1006)
    doomed = set()
    for rid in ids:
        if rid in where and rid not in doomed:
            i = where[rid]
            doomed.update(r["id"] for r in rows[i:subtree_end(rows, i)])
    if any(locked_for_user(r, ctx.access) for r in rows
           if r["id"] in doomed):
        raise RowError(1092)
    if not doomed:
        return [], False
    gone = [r["id"] for r in rows if r["id"] in doomed]
    keep = [r for r in rows if r["id"] not in doomed]
    normalize(keep)
    body["rows"] = keep
    return gone, True
