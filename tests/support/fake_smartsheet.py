#!/usr/bin/python3
"""A fake Smartsheet API server for smartsheetfs' integration tests and demo.

It serves the part of Smartsheet's API 2.0 that smartsheetfs uses: sheets,
workspaces, folders and reports to read, row writes (fake_rows.py holds
their rules), from hand-written fixtures (or from the official SDK test
scenarios), and Smartsheet's OAuth 2.0 (the authorize page and POST /token,
for one registered app), on 127.0.0.1 only, plus a control API through which
tests change sheets, the tree, reports, tokens, OAuth settings, rate limits
and settings, and inject faults. Python 3.11 standard library only.
Everything is deterministic (ids, names, generated content, paging) except
refIds, tokens and times taken from the clock.

Command line
------------
  fake_smartsheet.py [options]

  --port-file PATH       bind 127.0.0.1:0 and, once listening, write the port
                         number (decimal, then LF) to PATH (atomically: a
                         reader never sees a partial file)
  --port N               listen on 127.0.0.1:N instead (the demo uses this)
  --fixtures DIR         fixture folder (default: fixtures/ beside this file):
                         DIR/sheets/*.json (one full sheet each),
                         DIR/user.json (GET /users/me) and DIR/tree.json
                         (optional: workspaces, folders, reports; below)
  --account default|sdk  default: the fixture sheets. sdk: the account is built
                         from the Smartsheet SDK scenario files (see below)
  --scenarios DIR        SDK scenario folder (default:
                         ../../../shared/smartsheet-sdk-scenarios from here)
  --log PATH             append one JSON line per API request (same objects
                         as GET /_control/log)
  --token T              an accepted access token; repeatable. Default: one
                         token, "test-token-0123456789"
  --client-id ID         the registered OAuth app (default "test-client-id")
  --client-secret S      its app secret (default
                         "test-client-secret-0123456789")
  --redirect-uri URI     its registered redirect URL (default
                         "http://localhost:33333/callback")
  --code-ttl-ms N        authorization codes live N ms (default 599135)
  --access-ttl N         OAuth access tokens live N seconds (default 604799)
  --max-page-size N      cap on pageSize in list answers (default 100)
  --rate-per-min N       requests a minute per token, sliding 60 s window
                         (default 0 = unlimited); beyond it: 429
                         {"errorCode":4003,"message":"Rate limit exceeded."}
                         (requests answered 429 do not count)
  --generate N           add N small sheets "Generated 0001".. (3 cols, 5 rows)
  --generate-medium N    add N sheets "Medium 0001".. of 200 rows x 10 cols
  --big ROWSxCOLS        add one sheet "Big" (id 7900000000000001) of mixed
                         column types, generated deterministically from
                         --seed; its JSON (and gzip) bytes are built once per
                         version, in the background right at start
  --generate-tree W,F,S  add W workspaces "Tree Workspace 001".. (ids
                         7400000000000000 + w), each with F folders
                         "Folder 001".. (ids 7300000000000000 + n), each
                         with S small sheets "Tree www-fff-sss" (ids
                         7200000000000000 + n, 5 rows x 3 cols); at most
                         100000 sheets. 20,10,10 is the benchmark's tree.
  --big-folder N         add workspace "Wide Workspace" (7600000000000001)
                         with folder "Wide Folder" (7600000000000002)
                         holding N small sheets "Wide 0001".. (ids
                         7500000000000000 + i); N <= 10000
  --big-report ROWS      add report "Big Report" (7810000000000001; Sheet
                         Name column + the 10 generated column kinds) over
                         5 generated sheets "Big Report Source 1..5" (ids
                         7800000000000001..5, ROWS/5 rows each); ROWS <=
                         50000 (Smartsheet's limit). Its pages of 10000
                         rows are built in the background at start.
  --max-children-page N  cap on the page size (maxItems) of the children
                         lists (default 100)
  --children-page-pattern LIST  page sizes of the children lists and of
                         the token-paged workspace list, cycled by page
                         number (each capped by maxItems), 0 = an EMPTY
                         page that still has a lastKey when more items
                         follow; e.g. 0,1,3 (default: none, full pages)
  --max-report-page N    cap on pageSize of GET /reports/{id} (default and
                         most 10000)
  --write-delay-ms N     every row write takes N ms more (default 0; the
                         control setting write_delay_ms), so tests can
                         overlap two writes
  --seed N               seed for generated sheets (default 1)
  --throttle-bytes-per-sec N  send bodies in chunks paced to N bytes/s
                         (default 0 = unlimited; 10000000 models 10 MB/s)
  --max-seconds N        exit by itself after N seconds (default 3600)
  --parent-pid PID       also exit when that process (our parent) dies
  --verbose              log every request to stderr

The fixture sheets and what each one covers: fixtures/README.md.

Generated sheet ids: "Generated i" = 7000000000000000 + i, "Medium i" =
7100000000000000 + i, "Big" = 7900000000000001. Generated rows are a pure
function of (seed, sheet, row index); every 50th row is a parent of the rows
after it.

API (under /2.0; every answer is Content-Type application/json;charset=UTF-8
unless a fault says otherwise)
---
Lists are sorted by name (case-insensitive), then (children lists) by
resourceType, then by id.
  GET /2.0/sheets          page (default 1), pageSize (default 100, capped by
                           --max-page-size), includeAll=true (everything, no
                           pageSize in the answer), include=sheetVersion (adds
                           "version"). IndexResult {pageNumber, pageSize,
                           totalPages, totalCount, data: [{id, name,
                           accessLevel, permalink, createdAt, modifiedAt}]},
                           sorted by name (case-insensitive), then id.
                           totalPages = ceil(count / pageSize), at least 1; a
                           page past the end answers the last page.
  GET /2.0/sheets/{id}     the full sheet, all rows. Full form only with
                           level >= 2 AND include containing objectValue;
                           otherwise degraded as the real API does: columns
                           MULTI_PICKLIST / MULTI_CONTACT_LIST report type
                           TEXT_NUMBER, every cell loses objectValue, and those
                           columns' cells get value = displayValue.
                           ifVersionAfter=N: {"version": V} only, when N >= V.
  GET /2.0/sheets/{id}/version   {"version": V}
  POST|PUT|DELETE /2.0/sheets/{id}/rows   row writes: see "Row writes"
  GET /2.0/workspaces      offset paging as GET /sheets (page, pageSize,
                           includeAll; capped by --max-page-size) of
                           {id, name, accessLevel, permalink}; with
                           paginationType=token: token paging as the
                           children lists (maxItems, lastKey; no cap).
  GET /2.0/workspaces/{id}/children, GET /2.0/folders/{id}/children
                           the immediate children: {"data": [{
                           resourceType ("folder" | "sheet" | "report" |
                           "sight" | "template"), id, name, accessLevel,
                           permalink}], "lastKey": K}. A folder's
                           accessLevel is its workspace's; a sheet's and a
                           report's their own. childrenResourceTypes: a
                           comma list of sheets, reports, folders, sights,
                           templates (default: all five); an unknown name,
                           an empty list or templates without sheets: 400
                           1018. maxItems (default 100, at least 1; capped
                           by --max-children-page / max_children_page).
                           lastKey: from the page before (opaque; it
                           names the last item given and the next page's
                           number, and only works for the same list: else
                           400 1018); absent on the last page. A page may
                           hold fewer items than maxItems, or none, while
                           more follow (children_page_pattern): follow
                           lastKey, do not count items. Unknown or deleted
                           workspace or folder: 404 1006; one set to
                           noAccess: 403 1004.
  GET /2.0/reports         offset paging as GET /sheets of {id, name,
                           accessLevel, permalink} (reports the token may
                           not read are listed too).
  GET /2.0/reports/{id}    the Report: {id, name, totalRowCount,
                           accessLevel, permalink, createdAt, modifiedAt,
                           columns: [{virtualId, version, index, title,
                           type, primary (one column at most), options,
                           symbol, sheetNameColumn: true (the "Sheet Name"
                           column only), validation, width}], rows: [{id,
                           sheetId, rowNumber, expanded, accessLevel,
                           createdAt, modifiedAt, cells: [{columnId (the
                           source sheet's; absent in the "Sheet Name"
                           column and where the source sheet has no column
                           of that title), virtualColumnId, value,
                           displayValue, objectValue, formula...}]}]}; no
                           parentId or siblingId. pageSize (default 100;
                           capped at 10000 and by --max-report-page /
                           max_report_page), page (1-based; past the end:
                           "rows": [] with the same totalRowCount). Full
                           form only with level >= 3 AND include
                           containing objectValue, else multi columns are
                           TEXT_NUMBER and cells lose objectValue, as for
                           sheets. Unknown: 404 1006; noAccess: 403 1004.
    A report is computed from its definition at each request: its source
    sheets (in order; a deleted or noAccess source adds no rows), its
    columns (titles: a title's type, options and primary come from the
    first source sheet that has a column of that title; each source row's
    cell is that of its sheet's first column of that title), and whether
    it has the "Sheet Name" column (first; its cells hold the sheet's
    name). Rows: every row of each source, in sheet order, source after
    source; rowNumber = the place in the report (1-based). virtualId is a
    stable function of (report id, title). totalRowCount = the rows of the
    readable sources; modifiedAt = the latest of the definition's and the
    sources' modifiedAt, so changing a source changes the report. Pages
    are cached per state of the definition and the sources.
  Deprecated tree endpoints (Smartsheet deprecated them on 2025-08-04):
    /2.0/home, /2.0/home/folders, /2.0/folders/personal,
    /2.0/workspaces/{id}, /2.0/workspaces/{id}/folders, /2.0/folders/{id},
    /2.0/folders/{id}/folders (any method, loadAll or not): 410
    {"errorCode": 4005, "message": "GET <path> is deprecated ... use ..."};
    their log entries carry "deprecated": true.
  GET /2.0/users/me        the user (fixtures/user.json)
  POST /2.0/token          OAuth token request (no bearer; see OAuth below)
  DELETE /2.0/token        revoke the bearer token (an OAuth access token
                           takes its refresh token with it; a --token token
                           is forgotten); deleteAllForApiClient=true: every
                           OAuth pair of that token's client. Answers
                           {"message": "SUCCESS", "resultCode": 0}.

  Errors ({"errorCode", "message", "refId"}, refId 12 random [a-z0-9]):
    no Authorization header      401 1001 "An Access Token is required."
    unknown token                401 1002 "Your Access Token is invalid."
    expired token                401 1003 "Your Access Token has expired."
    sheet with "_noAccess"       403 1004 (listed, but not readable)
    unknown / non-numeric id,
    unknown path                 404 1006 "Not Found"
    known path, other method     405 1122
    bad number in a parameter    400 1018
    a deprecated tree endpoint   410 4005 (see above)
  Accepted bearers: the --token tokens (every scope) and live, unexpired
  OAuth access tokens (the scope of their code); an OAuth access token
  past its access_ttl_s (checked on each request) or expired through the
  control API answers 1003, one that was rotated away or revoked answers
  1002.
  Order of checks: fault, then auth, then rate limit, then the route.
  HTTP/1.1 with Content-Length on every answer, so connections stay open
  (keep-alive) unless the client says "Connection: close".
  Bodies over 1 KiB are gzip-compressed when Accept-Encoding has "gzip"
  (Content-Encoding: gzip). Keys starting with "_" in fixtures are private
  and never served. Fixture flag "_asciiOnly": serve that sheet with every
  non-ASCII character \\u-escaped (surrogate pairs for emoji).

Row writes (smartsheet-api.md §4.8, §9.3; fake_rows.py)
---
  POST /2.0/sheets/{id}/rows    add: a Row object or an array of them
  PUT /2.0/sheets/{id}/rows     update (each row needs "id")
  DELETE /2.0/sheets/{id}/rows?ids=1,2&ignoreRowsNotFound=false
  Success: 200 {"message": "SUCCESS", "resultCode": 0, "result": R,
  "version": V}: R the rows as stored (ids given, rowNumber, parentId and
  siblingId as the sheet now has them, all cells) in request order (one
  object when the body was one object), for DELETE every deleted id (the
  children of a deleted row too) in sheet order; V the sheet's version,
  + 1 per request that changed something (a DELETE of only unknown ids
  with ignoreRowsNotFound=true changes nothing), and modifiedAt moves (as
  for control updates; changed rows get the same modifiedAt). GET
  /sheets/{id}, /version, the list, the reports and GET
  /_control/sheets/{id} show the new state. A generated sheet becomes a
  plain one at its first write.
  Checks, in order (a request is all-or-nothing: the first problem is
  answered, nothing is changed; "detail": {"index": i} names the row of
  the request, with "rowId" on PUT):
    sheet unknown / noAccess                     404 1006 / 403 1004
    sheet accessLevel not OWNER, ADMIN, EDITOR_SHARE, EDITOR, or an OAuth
    token without WRITE_SHEETS                   403 1004
    DELETE: ids missing 400 1009, not ids 400 1018; ignoreRowsNotFound
    not true/false 400 1018
    POST/PUT: no body 400 1024; not JSON 400 1008
    another write of the same token to this sheet still running
        500 4004 "Request failed because sheetId <id> is currently being
        updated by another request that uses the same access token. ..."
        (writes of other tokens wait their turn)
    then the write delay (write_delay_ms), then, with the sheet locked:
    POST/PUT: not a Row or a non-empty array 400 1008; more than 500 rows
        400 1061 "Max count exceeded for field rows (at most 500)." (the
        docs name no code: our choice)
    per row, in order: not an object 1008; a read-only attribute
        (rowNumber, createdAt, modifiedAt, createdBy, modifiedBy, version,
        sheetId, permalink, lockedForUser, accessLevel, ...; on POST also
        id, indent, outdent) 400 1032 "The attribute(s) row.X are not
        allowed..."; any other unknown attribute 400 1283; expanded or
        locked not boolean 400 1031; PUT: id missing 400 1012, not a
        number 400 1031, not a row of the sheet 404 1006 (our choice
        between 1006 and 1034), twice 400 1137;
        the location: toTop / toBottom / above must be true (false =
        absent), parentId / siblingId numbers, indent / outdent exactly 1
        (else 400 1031); allowed: none, toTop, toBottom, parentId,
        parentId+toBottom, siblingId, siblingId+above, indent, outdent
        (PUT); any other combination (parentId with siblingId too) 400
        1062; a location (attributes AND values, absence included) other
        than the first row's 400 1123
    per row, its locked state (PUT: a row locked for the user 403 1050),
    then per cell, in order: not an object 1008; a read-only attribute
        (columnType, virtualColumnId, ...) 1032, unknown 1283; columnId
        missing 1012, unknown 1036, twice in the row 1037; formula with
        value / objectValue / hyperlink / linkInFromCell / image 1163;
        value and objectValue both 1130; none of value, objectValue,
        formula 1012; hyperlink and linkInFromCell 1109; linkInFromCell
        (POST 1032; PUT 1146: cell links are not in this fake);
        hyperlink with two targets 1111, url and a target 1112, nothing
        1117, a non-string value 1113; strict not boolean 1031;
        the column: a system column (AUTO_NUMBER, CREATED_DATE,
        CREATED_BY, MODIFIED_DATE, MODIFIED_BY) 400 1046; a column
        formula (column "formula") 400 1302; a column locked for the user
        403 1039;
        the value ("strict" default true; 1042 = "The value for cell in
        column <id>, <value as JSON>, did not conform to the strict
        requirements for type <type>."): objects or arrays as value 1038;
        TEXT_NUMBER numbers within +-2^53 (else strict 1148, lenient:
        text), booleans 1042 (lenient: "true"/"false" text; lenient
        digit strings become numbers); CHECKBOX only JSON booleans
        (lenient: "true"/"false" strings, else text); DATE "YYYY-MM-DD"
        (a real date); ABSTRACT_DATETIME and DATETIME that or
        "YYYY-MM-DDTHH:MM:SS[Z]"; PICKLIST a string among the options
        (any string when there are none); CONTACT_LIST an email
        (displayValue sets the name); DURATION "4d 6h 30m" style
        (w, d, h, m, s, ms; lenient numbers are days); PREDECESSOR
        "2FS +1d, 3SS" style; MULTI_PICKLIST and MULTI_CONTACT_LIST only
        through objectValue (a value: 1042, strict or not); lenient
        values that do not parse are stored as text.
        objectValue: the type's objectType (MULTI_PICKLIST values among
        the options when strict, MULTI_CONTACT contacts with emails,
        CONTACT, DURATION, PREDECESSOR_LIST with rowIds of the sheet),
        else 1131 (wrong objectType) or 1042. A formula must start with
        "=" (1162); it is stored, not computed (the cell keeps no value).
    then the location's target: parentId not a row 1063, a parent row
        with no data 1185, siblingId not a row 1064; a PUT moving a row
        under or beside itself or its own descendant 1062; indent with no
        sibling above, outdent of a top-level row 1062.
  Applying: "" or null clears a cell (a CHECKBOX becomes false); a cell
  not sent stays as it was; a string over 4000 characters is cut to
  4000, silently; a written cell loses its old formula, hyperlink and
  objectValue (a cell formula may be overwritten with a value: the docs
  forbid only column formulas, system columns and locked cells). New rows
  get a cell for every column, expanded (default true), createdAt =
  modifiedAt = the new sheet modifiedAt, and the system columns: the
  next AUTO_NUMBER (autoNumberFormat prefix, fill, suffix), CREATED_DATE /
  MODIFIED_DATE = that time, CREATED_BY / MODIFIED_BY = the user of
  GET /users/me; updated rows get new MODIFIED_* cells. Column formulas
  are not computed. Locations: toBottom (and, on POST, none) the end of
  the sheet, top level; toTop the top; parentId the parent's first child,
  +toBottom its last; siblingId right below the sibling (after its
  descendants), +above right above it, at the sibling's level; the rows of
  one request stay in request order, each moved row with its descendants;
  indent: the row becomes the last child of the sibling above it; outdent:
  it moves one level up in place and the siblings below it become its
  children (the hierarchy is positional). PUT applies cells first, then
  locations. A row locked for the user: "lockedForUser": true, or
  "locked": true when the sheet's accessLevel is not OWNER or ADMIN (the
  same for columns). DELETE: an unknown id with ignoreRowsNotFound=false
  404 1006 and nothing is deleted; a deleted row takes its descendants
  with it; any of them locked for the user 403 1092. Not modelled:
  allowPartialSuccess, overrideValidation, cell links, numericDates,
  formats (stored as sent), the 414 of a too long URL.

OAuth (smartsheet-api.md section 3; one registered app: --client-id,
--client-secret, --redirect-uri, or POST /_control/oauth)
---
  GET|POST /b/authorize    the web app's consent page (no /2.0 prefix, no
                           bearer; logged like API requests). Parameters
                           (query, or a form body for POST): response_type,
                           client_id, scope (space-separated), state.
                           redirect_uri is ignored (the registered one is
                           used). Checks, in order:
      client_id unknown or missing  400 text/html page, no redirect
      response_type != "code"       302 ...?error=unsupported_response_type
      scope empty or a name not among the 17 scopes
                                    302 ...?error=invalid_scope
      the "error" setting           302 ...?error=<that error>
      the "deny" setting            302 ...?error=access_denied
      else (the user clicks Allow)  302 Location: <redirect_uri>?code=C&
                                    expires_in=<code_ttl_ms>[&state=S]
    A "state" parameter is echoed in every redirect; values URL-encoded;
    "&" instead of "?" when the redirect URI has a query. A code is 16
    random [a-z0-9], bound to the client and scope, valid for code_ttl_ms,
    single-use.
  POST /2.0/token          Content-Type application/x-www-form-urlencoded;
                           parameters from the form body and ALSO from the
                           URL query (as the Java/JS/C# SDKs send them; the
                           body wins; the log entry then says
                           "token_params_in_query": true). Empty values
                           count as missing. Checks, in order (HTTP,
                           errorCode, OAuth error):
      Content-Type not a form              400 1070 invalid_request
      an Authorization header at all       400 1292 invalid_request
      grant_type missing                   400 1070 invalid_request
      grant_type not authorization_code / refresh_token
                                           400 1068 unsupported_grant_type
      client_id missing                    400 1070 invalid_request
      client_id not the registered one     401 1067 invalid_client
      neither hash nor client_secret       400 1236 invalid_request
      both hash and client_secret          400 1237 invalid_request
      client_secret wrong                  400 1238 invalid_client
      code (or refresh_token) missing      400 1070 invalid_request
      hash != lowercase hex SHA-256(secret + "|" + code or refresh_token)
                                           400 1072 invalid_grant
      redirect_uri (or redirect_url) given and not the registered one
                                           400 1073 invalid_request
      code unknown or already used, refresh token unknown, rotated away
      or revoked                           400 1071 invalid_grant
      code expired                         400 1069 invalid_grant
    Error body: {"errorCode": n, "error": "<oauth error>",
    "error_description": text, "message": text, "refId": 12 [a-z0-9]}.
    Success: 200 {"access_token", "token_type": "bearer", "refresh_token",
    "expires_in": access_ttl_s}. A code is used up by its first success
    only (a failed check leaves it usable). A refresh rotates: the old
    refresh token and the old access token of that pair die at once.
    Tokens: 26 (access) / 20 (refresh) random [a-z0-9]. Faults apply to
    /2.0/token and /b/authorize like to any path. One lock serialises
    every token request.
    The request log never holds a /token request's body or parameter
    values: its "query" is {} (deleteAllForApiClient excepted), and
    --verbose cuts the query out of /2.0/token URLs.

Control API (under /_control; no auth; never in the request log; JSON in,
JSON out; bad input -> 400 {"error": "..."})
---
  POST   /_control/reset     faults, request log and rate windows cleared;
                             sheets, the tree, reports, settings, tokens and
                             the rate back to the start;
                             OAuth settings back to the command line's, all
                             codes and OAuth tokens forgotten, counts zero
  GET    /_control/log       [{"method", "path", "query": {k: v}, "auth": bool
                             (an Authorization header was sent), "status": int
                             (0 = connection reset), "t": time.time() when the
                             request arrived, "fault": kind or null,
                             "accept_encoding": str, "user_agent": str,
                             and for /2.0/token only
                             "token_params_in_query": bool; for any other
                             request with a body "body": the JSON it sent
                             (else its text; over 4 MiB {"bytes": n});
                             and "content_type": its Content-Type
                             header ("" when none);
                             for DELETE .../rows "ids": [the ids of the
                             URL, as numbers]; for a deprecated endpoint
                             "deprecated": true}, ...];
                             ?since=N returns entries N.. only
  DELETE /_control/log       clear the request log only
  GET    /_control/stats     {"requests": n, "by_path": {path: n},
                              "by_status": {"200": n, ...}}
  POST   /_control/fault     {"path": regex (re.search on the URL path, e.g.
                             "^/2.0/sheets/42$"), "method": "GET" (optional),
                             "times": 1 (default; -1 = until cleared),
                             "kind": one of
                               "status"  (default) answer "status" (500) with
                                         {"errorCode": 4004, "message": ...}
                               "reset"   close the socket with no answer (RST:
                                         SO_LINGER 0)
                               "reset_after" do the work (a write is
                                         applied), then close the socket
                                         with no answer (RST), as a
                                         server that dies before it can
                                         answer
                               "answer"  answer "status" (200) with
                                         "body" (a string, sent as it is,
                                         as JSON): any answer a test needs
                               "truncate" headers with the full Content-Length,
                                         half the body, then close
                               "malformed" 200 with a body that is not JSON
                               "html"    "status" (502) text/html Bad Gateway
                               "wrong_shape" 200 with JSON of the wrong
                                         shape: {"id":"not-a-number",
                                         "rows":"x"}
                               "deep_nesting" 200: 100,000 nested arrays
                               "huge_string" 200: a 70 MB string value
                               "missing_fields" 200: keys missing, wrong
                                         types
                               "delay"   sleep "delay_ms" then answer normally
                               "slow"    do the work (a /token refresh rotates
                                         the pair), then sleep "delay_ms"
                                         before the answer is sent}
                             "skip": n (optional) lets the first n
                             matching requests through before the fault
                             applies: {"path": "/rows$", "method": "POST",
                             "skip": 1} fails the 2nd POST of rows only.
                             Faults queue; the first matching one with times
                             left (and no skip left) applies. Faults apply
                             to every API path, writes included (a write
                             answered by a fault changes nothing, except
                             "slow", "delay" and "reset_after", which do
                             the work).
                             Answers {"faults": count}.
  DELETE /_control/fault     clear all faults
  POST   /_control/sheets/{id}/update  {"name": new name (optional),
                             "cells": [{"row": i0, "column": j0, "value": v,
                             "displayValue": s (optional), "objectValue": o
                             (optional)}] (value null clears the cell),
                             "add_rows": n (optional)} -> version + 1,
                             modifiedAt = now (UTC, seconds, strictly later
                             than before). Answers {"version": V}.
                             A set cell drops its old objectValue/formula;
                             displayValue defaults to the value as text (none
                             for booleans). New rows get new ids and
                             "New row <n>" in the primary column.
  GET    /_control/sheets    [{"id", "name", "version", "modifiedAt", "rows"}]
  POST   /_control/sheets    body: a full sheet JSON (needs "id") -> added;
                             answers {"id": id, "version": V}
  GET    /_control/sheets/{id}   the sheet as stored: its fields (no "_"
                             keys), "columns", "rows" (all, as GET
                             /sheets/{id} would give them), "parent":
                             {"workspace"|"folder": id} or null
  DELETE /_control/sheets/{id}   remove the sheet (from its folder too)
  POST   /_control/sheets/{id}/move  {"parent": {"workspace": id} |
                             {"folder": id} | null (in no workspace)}
  GET    /_control/tree      {"workspaces": [{resourceType "workspace", id,
                             name, accessLevel, permalink, "noAccess": true
                             (when set), children: [entries as the
                             children lists give them, folders with their
                             "children"]}], "unplaced": {"sheets": [ids],
                             "reports": [ids]}}
  POST   /_control/workspaces  {"name", "accessLevel" (default OWNER),
                             "id" (optional)} -> {"id"}: a new, empty one
  POST   /_control/workspaces/{id}  {"name", "accessLevel"} (either):
                             rename, change the access level
  DELETE /_control/workspaces/{id}  the workspace and everything in it:
                             its folders, and its sheets and reports,
                             which leave the account (GET /sheets too)
  POST   /_control/folders   {"name", "parent": {"workspace"|"folder": id},
                             "id" (optional)} -> {"id"}
  POST   /_control/folders/{id}  {"name", "parent"} (either): rename, move
                             (not into itself or below itself)
  DELETE /_control/folders/{id}  as for a workspace
  GET    /_control/reports   [{"id", "name", "accessLevel", "sources",
                             "columns", "sheetNameColumn", "noAccess",
                             "modifiedAt"}] (the definitions)
  POST   /_control/reports   {"name", "sources": [sheet ids], "columns":
                             [distinct titles], "sheetNameColumn": bool,
                             "accessLevel" (default OWNER), "parent"
                             (optional, or null), "id" (optional)} -> {"id"}
  POST   /_control/reports/{id}  any of "name", "accessLevel", "parent",
                             "sources", "columns", "sheetNameColumn":
                             rename, move, redefine (modifiedAt moves)
  DELETE /_control/reports/{id}  remove the report
  POST   /_control/access    {"sheet"|"report"|"folder"|"workspace": id,
                             "noAccess": bool, "accessLevel": level}
                             (either; folders take noAccess only): with
                             noAccess true, GET of the sheet or report, or
                             of the folder's or workspace's children,
                             answers 403 1004 from then on (it stays
                             listed); accessLevel changes what lists show
                             and, for sheets, whether writes are allowed
  GET    /_control/settings  {"max_children_page", "children_page_pattern",
                             "max_report_page", "write_delay_ms"}
  POST   /_control/settings  any of those (ranges: 1..100000, a list of
                             sizes >= 0 with one > 0 or [], 1..10000,
                             0..60000) -> the settings; reset restores the
                             command line's
  POST   /_control/tokens    {"add": [...], "expire": [...], "remove": [...]}
                             (expire: 1003 from then on; remove: 1002)
  POST   /_control/rate      {"per_minute": N} (0 = unlimited)
  GET    /_control/oauth     {"client_id", "redirect_uri",
                             "live_refresh_tokens": [...] (every live pair),
                             "live_access_tokens": [...] (live, unexpired),
                             "expired_access_tokens": [...] (live pairs whose
                             access token answers 1003), "exchanges": n,
                             "refreshes": n (successes), "failures":
                             {"1071": n, ...} (/token refusals by errorCode;
                             {} when none), "codes_issued": n,
                             "revocations": n (DELETE /2.0/token)}
  POST   /_control/oauth     {"client_id", "client_secret", "redirect_uri",
                             "code_ttl_ms", "access_ttl_s", "deny": bool,
                             "error": str or null} (all optional: only the
                             keys given change; the TTLs apply to codes and
                             tokens issued later) -> {"ok": true}
  POST   /_control/oauth/code  {"scope": "READ_SHEETS" (default)} -> {"code",
                             "expires_in": ms}: a code as the page would
                             give, without the page
  POST   /_control/oauth/revoke  {"refresh_token": T} | {"access_token": T} |
                             {"all": true}: the pair (or every OAuth pair)
                             dies: its access token then answers 1002, its
                             refresh token invalid_grant 1071. -> {"revoked":
                             n}
  POST   /_control/oauth/expire  {"access_token": T} | {"all": true}: the
                             access token(s) answer 1003 from now on; the
                             refresh token still works. -> {"expired": n}
  POST   /_control/shutdown  answer, then exit

The sdk account (--account sdk)
---
Built from the scenario files (all *.json in --scenarios, searched by
scenario name): the list is the data items of "List Sheets - No Params"
(ids 1 and 2); the jsonBody of "Assume User - Can Be Set" (sheet 123) is
served in full as GET /sheets/123 and listed too; GET /users/me is
"Serialization - UserProfile". A listed sheet with no full body is served as
a generated minimal sheet: its list fields, version 1, one primary
TEXT_NUMBER column "Name" (id = 10 * sheet id + 1), no rows.
Sheet 123 is served as Smartsheet wrote it, quirks included: its
totalRowCount says 6 while it carries 1 row. (Everywhere else, and for any
sheet changed through the control API, totalRowCount is the row count.)

The default account's tree (fixtures/tree.json; README.md there lists it)
---
  {"workspaces": [{"id", "name", "accessLevel", "permalink" (optional),
  "children": [C...]}], "reports": [{"id", "name", "accessLevel",
  "permalink", "createdAt", "modifiedAt", "sources": [sheet ids],
  "columns": [titles], "sheetNameColumn": bool, "_noAccess": bool}]}, a
  child C being {"sheet": id}, {"report": id} or {"folder" | "sight" |
  "template": {"id", "name", "accessLevel" (not folders), "permalink"
  (optional), "children": [C...] (folders), "_noAccess" (folders)}}. A sheet
  or report named nowhere is in no workspace (shared with the user); every
  sheet is in GET /sheets wherever it is. A name that does not exist stops
  the server at start. The sdk account has no workspaces and no reports.

Exit: SIGTERM/SIGINT, --max-seconds, the parent's death (--parent-pid), or
POST /_control/shutdown. Exit status 0.
"""

import argparse
import base64
import bisect
import calendar
import collections
import copy
import glob
import gzip
import hashlib
import hmac
import json
import math
import os
import random
import re
import secrets
import signal
import socket
import ssl
import string
import struct
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import fake_rows

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_TOKEN = "test-token-0123456789"
JSON_CT = "application/json;charset=UTF-8"
INT64_MAX = 2 ** 63 - 1
GZIP_MIN = 1024
MAX_REQUEST_BODY = 64 * 1024 * 1024
LOG_BODY_MAX = 4 * 1024 * 1024

GENERATED_BASE = 7000000000000000
MEDIUM_BASE = 7100000000000000
TREE_SHEET_BASE = 7200000000000000      # --generate-tree
TREE_FOLDER_BASE = 7300000000000000
TREE_WS_BASE = 7400000000000000
WIDE_SHEET_BASE = 7500000000000000      # --big-folder
WIDE_WS_ID = 7600000000000001
WIDE_FOLDER_ID = 7600000000000002
REPORT_SOURCE_BASE = 7800000000000000   # --big-report
BIG_REPORT_ID = 7810000000000001
BIG_REPORT_SOURCES = 5
BIG_ID = 7900000000000001
MAX_REPORT_ROWS = 50000                 # Smartsheet's limit per report
MAX_REPORT_PAGE = 10000                 # rows per GET /reports/{id}

MESSAGES = {
    1001: "An Access Token is required.",
    1002: "Your Access Token is invalid.",
    1003: "Your Access Token has expired.",
    1004: "You are not authorized to perform this action.",
    1006: "Not Found",
    1068: "Unsupported grant type.",
    1122: "Requested URL does not support this method: {0}.",
    4000: "An unexpected error has occurred. Please contact "
          "api@smartsheet.com for assistance.",
    4001: "Smartsheet.com is currently offline for system maintenance. "
          "Please check back again shortly.",
    4002: "Server timeout exceeded. Request has failed.",
    4003: "Rate limit exceeded.",
    4004: "An unexpected error has occurred. Please retry your request. If "
          "you encounter this error repeatedly, please contact "
          "api@smartsheet.com for assistance.",
}
MESSAGES.update((k, v) for k, v in fake_rows.MESSAGES.items()
                if k not in MESSAGES)

# 4004's other text (the table gives both): two overlapping writes of one
# token to one sheet.
BUSY_MESSAGE = ("Request failed because sheetId {0} is currently being "
                "updated by another request that uses the same access token. "
                "Please retry your request once the previous request has "
                "completed.")

# OAuth (smartsheet-api.md §3). The registered app's defaults.
DEFAULT_CLIENT_ID = "test-client-id"
DEFAULT_CLIENT_SECRET = "test-client-secret-0123456789"
DEFAULT_REDIRECT_URI = "http://localhost:33333/callback"
DEFAULT_CODE_TTL_MS = 599135
DEFAULT_ACCESS_TTL_S = 604799
SCOPES = frozenset((
    "ADMIN_SHEETS", "ADMIN_SIGHTS", "ADMIN_USERS", "ADMIN_WEBHOOKS",
    "ADMIN_WORKSPACES", "CREATE_SHEETS", "CREATE_SIGHTS", "DELETE_SHEETS",
    "DELETE_SIGHTS", "READ_CONTACTS", "READ_EVENTS", "READ_SHEETS",
    "READ_SIGHTS", "READ_USERS", "SHARE_SHEETS", "SHARE_SIGHTS",
    "WRITE_SHEETS"))
FORM_CT = "application/x-www-form-urlencoded"
HTML_CT = "text/html;charset=UTF-8"
# The parameters of POST /token (redirect_url: the spec's spelling).
TOKEN_PARAMS = ("grant_type", "client_id", "client_secret", "hash", "code",
                "refresh_token", "redirect_uri", "redirect_url")
# errorCode -> (HTTP status, OAuth error, message) for /token.
OAUTH_ERRORS = {
    1067: (401, "invalid_client", "Invalid client_id"),
    1068: (400, "unsupported_grant_type", "Unsupported grant type."),
    1069: (400, "invalid_grant",
           "Invalid Request. The authorization_code has expired."),
    1070: (400, "invalid_request",
           "Invalid Request. Required parameter is missing: {0}."),
    1071: (400, "invalid_grant", "Invalid Grant. The authorization code or "
           "refresh token provided was invalid."),
    1072: (400, "invalid_grant", "Invalid hash value. The hash provided did "
           "not match the expected value."),
    1073: (400, "invalid_request",
           "The redirect_uri did not match the expected value."),
    1236: (400, "invalid_request", "OAuth missing client auth."),
    1237: (400, "invalid_request", "OAuth redundant client auth."),
    1238: (400, "invalid_client", "OAuth invalid secret."),
    1292: (400, "invalid_request", "The grant_type is inconsistent with the "
           "API request type for authentication."),
}
SECRET_CHARS = string.ascii_lowercase + string.digits

FAULT_KINDS = ("status", "reset", "truncate", "malformed", "html",
               "wrong_shape", "deep_nesting", "huge_string", "missing_fields",
               "delay", "slow", "reset_after", "answer")
# 100,000 nested arrays; a 70 MB string (past a client's 64 MB cap); an
# object with the right keys missing and the wrong types.
DEEP_NESTING_BODY = b'{"id":1,"rows":' + b"[" * 100000 + b"]" * 100000 + b"}"
MISSING_FIELDS_BODY = (b'{"pageNumber":"one","data":[{"name":null},{}],'
                       b'"columns":{},"rows":[{"cells":7}],"version":"x"}')
MALFORMED_BODY = b'{"id": 1, "name": '
HTML_BODY = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
WRONG_SHAPE_BODY = b'{"id":"not-a-number","rows":"x"}'
_HUGE = []
_HUGE_LOCK = threading.Lock()


def huge_string_body():
    """The 70 MB string answer and its gzip form, made once: made at each
    request, the compression alone outlasted a 1 s Timeout under load, so
    the client saw a timeout instead of the answer the fault is about.
    Made when the fault is registered (parse_fault), before the request."""
    with _HUGE_LOCK:
        if not _HUGE:
            body = b'{"id":1,"name":"' + b"x" * (70 << 20) + b'"}'
            _HUGE.append((body, gzip.compress(body, compresslevel=1)))
        return _HUGE[0]


def eprint(*args):
    print("fake_smartsheet:", *args, file=sys.stderr, flush=True)


def new_ref_id():
    return "".join(random.choices(string.ascii_lowercase + string.digits,
                                  k=12))


def dumps(obj, ascii_only=False):
    """Compact JSON as UTF-8 bytes (ids stay exact: Python ints)."""
    return json.dumps(obj, ensure_ascii=ascii_only,
                      separators=(",", ":")).encode("utf-8")


def error_body(code, message=None):
    return {"errorCode": code,
            "message": message if message is not None
            else MESSAGES.get(code, "Error"),
            "refId": new_ref_id()}


class OAuthError(Exception):
    """A /token refusal: (errorCode[, text for {0}])."""


def oauth_error_body(code, arg=""):
    _, error, message = OAUTH_ERRORS[code]
    message = message.replace("{0}", arg)
    return {"errorCode": code, "error": error, "error_description": message,
            "message": message, "refId": new_ref_id()}


def new_secret(n):
    """n random [a-z0-9] (tokens and codes: opaque, URL-safe)."""
    return "".join(secrets.choice(SECRET_CHARS) for _ in range(n))


def token_hash(secret, value):
    """What a client sends as hash: hex SHA-256 of secret|value."""
    return hashlib.sha256((secret + "|" + value).encode("utf-8")).hexdigest()


def redact_token_url(text):
    """text with the query of any /2.0/token URL in it cut out."""
    return re.sub(r"(/2\.0/token/?)\?[^\s\"]*", r"\1?<redacted>", text)


def strip_private(obj):
    """A copy of obj without keys that start with '_' (at any depth)."""
    if isinstance(obj, dict):
        return {k: strip_private(v) for k, v in obj.items()
                if not (isinstance(k, str) and k.startswith("_"))}
    if isinstance(obj, list):
        return [strip_private(v) for v in obj]
    return obj


def parse_id(text):
    """An id from a URL, or None (not a number, or past int64)."""
    if text.isdigit() and text.isascii() and int(text) <= INT64_MAX:
        return int(text)
    return None


def logged_body(raw):
    """A request body as the request log keeps it: the JSON value, else
    the text; a body over LOG_BODY_MAX is kept as {"bytes": n} only."""
    if len(raw) > LOG_BODY_MAX:
        return {"bytes": len(raw)}
    try:
        return json.loads(raw.decode("utf-8"))
    except ValueError:
        return raw.decode("utf-8", "replace")


def fmt_time(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(ts)))


def parse_time(s):
    try:
        return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))
    except (TypeError, ValueError):
        return 0


def display_of(value):
    """Default displayValue for a value set through the control API."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------------------
# Generated sheets
# ---------------------------------------------------------------------------

M64 = (1 << 64) - 1


def mix64(x):
    """splitmix64 finaliser: a fast, well-spread 64-bit hash."""
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


PICK = ["Red", "Yellow", "Green", "Blue"]
TAGS = ["urgent", "backend", "frontend", "docs", "Q1, Q2"]
PEOPLE = [("Ana Silva", "ana.silva@example.com"),
          (None, "li.wei@example.com"),
          ("Jürgen Müller", "jurgen.muller@example.com"),
          ("王芳", "wang.fang@example.com"),
          (None, "ops@example.com")]
NOTES = ["ok", "a, b, c", 'she said "hi"', "line one\nline two",
         "windows\r\nline", "naïve café", "日本語のメモ", "🚀 launch",
         "  padded  ", "#DIVIDE BY ZERO"]
# (title, type, kind) for the column kinds, cycled across the columns.
KINDS = [("Name", "TEXT_NUMBER", "name"),
         ("Amount", "TEXT_NUMBER", "number"),
         ("Done", "CHECKBOX", "checkbox"),
         ("Due", "DATE", "date"),
         ("Status", "PICKLIST", "picklist"),
         ("Owner", "CONTACT_LIST", "contact"),
         ("Tags", "MULTI_PICKLIST", "multipicklist"),
         ("Notes", "TEXT_NUMBER", "note"),
         ("Effort", "DURATION", "duration"),
         ("Reviewers", "MULTI_CONTACT_LIST", "multicontact")]


class RowGen:
    """The rows of a generated sheet: row i is a pure function of
    (seed, sheet number, i), so nothing but the count is stored."""

    def __init__(self, number, nrows, ncols, seed):
        self.number = number
        self.nrows = nrows
        self.ncols = ncols
        self.key = mix64((seed << 20) ^ number)
        self.row_base = 3000000000000000 + number * 100000000
        col_base = 2000000000000000 + number * 100000
        self.columns = []
        self.kinds = []
        for j in range(ncols):
            title, ctype, kind = KINDS[j % len(KINDS)]
            if j >= len(KINDS):
                title = "%s %d" % (title, j // len(KINDS) + 1)
            col = {"id": col_base + j, "version": 0, "index": j,
                   "title": title, "type": ctype}
            if j == 0:
                col["primary"] = True
            if ctype == "PICKLIST":
                col["options"] = list(PICK)
            elif ctype == "MULTI_PICKLIST":
                col["options"] = list(TAGS)
                col["version"] = 2
            elif ctype == "MULTI_CONTACT_LIST":
                col["version"] = 1
            col["validation"] = False
            col["width"] = 150
            self.columns.append(col)
            self.kinds.append(kind)

    def row(self, i):
        h0 = mix64(self.key ^ (i * 0x100000001B3))
        row = {"id": self.row_base + i, "rowNumber": i + 1}
        if i % 50:
            row["parentId"] = self.row_base + (i - i % 50)
        row["expanded"] = True
        cells = []
        cols = self.columns
        for j, kind in enumerate(self.kinds):
            cid = cols[j]["id"]
            h = mix64(h0 + j)
            if kind == "name":
                text = "Item %d" % (i + 1)
                cells.append({"columnId": cid, "value": text,
                              "displayValue": text})
                continue
            if h % 10 == 0:                 # about 10% empty cells
                cells.append({"columnId": cid})
                continue
            h >>= 4
            if kind == "number":
                sel = h % 4
                if sel == 0:
                    v = h % 100000
                    cells.append({"columnId": cid, "value": v,
                                  "displayValue": "{:,}".format(v)})
                elif sel == 1:
                    v = (h % 10000000) / 100
                    cells.append({"columnId": cid, "value": v,
                                  "displayValue": "${:,.2f}".format(v)})
                elif sel == 2:
                    v = -((h >> 8) % 1000) / 8
                    cells.append({"columnId": cid, "value": v,
                                  "displayValue": str(v)})
                else:
                    v = ((h >> 8) % 997) * 1e-9
                    cells.append({"columnId": cid, "value": v,
                                  "displayValue": repr(v)})
            elif kind == "checkbox":
                cells.append({"columnId": cid, "value": bool(h & 1)})
            elif kind == "date":
                cells.append({"columnId": cid, "value": "2024-%02d-%02d" % (
                    h % 12 + 1, (h >> 8) % 28 + 1)})
            elif kind == "picklist":
                v = PICK[h % len(PICK)]
                cells.append({"columnId": cid, "value": v, "displayValue": v})
            elif kind == "contact":
                name, email = PEOPLE[h % len(PEOPLE)]
                ov = {"objectType": "CONTACT", "email": email}
                if name:
                    ov["name"] = name
                cells.append({"columnId": cid, "value": email,
                              "displayValue": name or email,
                              "objectValue": ov})
            elif kind == "multipicklist":
                vals = [t for b, t in enumerate(TAGS) if (h >> b) & 1] \
                    or [TAGS[0]]
                cells.append({"columnId": cid,
                              "displayValue": ", ".join(vals),
                              "objectValue": {"objectType": "MULTI_PICKLIST",
                                              "values": vals}})
            elif kind == "note":
                v = NOTES[h % len(NOTES)]
                cells.append({"columnId": cid, "value": v, "displayValue": v})
            elif kind == "duration":
                d = h % 20
                cells.append({"columnId": cid, "value": "%dd" % d,
                              "displayValue": "%dd" % d,
                              "objectValue": {"objectType": "DURATION",
                                              "days": d}})
            else:                           # multicontact
                people = [PEOPLE[h % len(PEOPLE)],
                          PEOPLE[(h >> 8) % len(PEOPLE)]][:1 + (h >> 16) % 2]
                vals = []
                for name, email in people:
                    c = {"objectType": "CONTACT", "email": email}
                    if name:
                        c["name"] = name
                    vals.append(c)
                cells.append({"columnId": cid,
                              "displayValue": ", ".join(
                                  n or e for n, e in people),
                              "objectValue": {"objectType": "MULTI_CONTACT",
                                              "values": vals}})
        row["cells"] = cells
        return row


# ---------------------------------------------------------------------------
# Sheets
# ---------------------------------------------------------------------------

MULTI_TYPES = ("MULTI_PICKLIST", "MULTI_CONTACT_LIST")
LIST_FIELDS = ("id", "name", "accessLevel", "permalink", "createdAt",
               "modifiedAt")


class Sheet:
    """One sheet: its public body (no '_' keys) and private flags.

    Fixture sheets keep their rows as a list of dicts; generated sheets keep
    a RowGen plus per-cell overrides. Rendered bytes are cached per
    (version, full, gzip); a change drops the cache. self.lock guards the
    content and the cache.
    """

    def __init__(self, body, private=None, gen=None):
        self.lock = threading.Lock()
        self.body = body
        self.private = private or {}
        self.gen = gen
        self.overrides = {}         # generated: row index -> {col: cell}
        self.dirty = False          # changed since start (for reset)
        self.cache = {}
        self.new_row_ids = 0

    @property
    def id(self):
        return self.body["id"]

    @property
    def version(self):
        return self.body.get("version", 1)

    def row_count(self):
        return self.gen.nrows if self.gen else len(self.body.get("rows", []))

    def columns(self):
        return self.gen.columns if self.gen else self.body.get("columns", [])

    def list_item(self, with_version=False):
        item = {k: self.body[k] for k in LIST_FIELDS if k in self.body}
        if with_version:
            item["version"] = self.version
        return item

    def iter_rows(self, start=0, stop=None):
        """The rows [start, stop) in sheet order (generated ones made on
        the fly, with their overrides)."""
        stop = self.row_count() if stop is None else min(stop,
                                                         self.row_count())
        if not self.gen:
            yield from self.body.get("rows", [])[start:stop]
            return
        cols = self.gen.columns
        for i in range(start, stop):
            row = self.gen.row(i)
            over = self.overrides.get(i)
            if over:
                cells = {c["columnId"]: c for c in row["cells"]}
                for j, cell in over.items():
                    cells[cols[j]["id"]] = cell
                row["cells"] = [cells[c["id"]] for c in cols
                                if c["id"] in cells]
            yield row

    def materialize(self):
        """A generated sheet becomes a plain one (rows stored), so row
        writes can change it; call with self.lock held."""
        if self.gen:
            self.body["columns"] = self.gen.columns
            self.body["rows"] = list(self.iter_rows())
            self.gen = None
            self.overrides = {}
            self.dirty = True           # rebuilt at reset

    # -- rendering ------------------------------------------------------------

    def render(self, full):
        """The GET /sheets/{id} body (bytes); call with self.lock held."""
        key = (self.version, full, False)
        data = self.cache.get(key)
        if data is not None:
            return data
        ascii_only = bool(self.private.get("_asciiOnly"))
        head = {k: v for k, v in self.body.items()
                if k not in ("columns", "rows")}
        if self.dirty or self.gen or "totalRowCount" not in head:
            head["totalRowCount"] = self.row_count()
        cols = self.columns()
        multi = set()
        if not full:
            cols = [dict(c) for c in cols]
            for c in cols:
                if c.get("type") in MULTI_TYPES:
                    multi.add(c["id"])
                    c["type"] = "TEXT_NUMBER"
                    c.pop("version", None)
        parts = [dumps(head, ascii_only)[:-1], b',"columns":',
                 dumps(cols, ascii_only), b',"rows":[']
        rows = []
        for row in self.iter_rows():
            if not full:
                row = dict(row)
                row["cells"] = [degrade_cell(c, multi)
                                for c in row.get("cells", [])]
            rows.append(dumps(row, ascii_only))
        parts.append(b",".join(rows))
        parts.append(b"]}")
        data = b"".join(parts)
        self.cache = {k: v for k, v in self.cache.items()
                      if k[0] == self.version}
        self.cache[key] = data
        return data

    def render_gzip(self, full):
        key = (self.version, full, True)
        data = self.cache.get(key)
        if data is None:
            raw = self.render(full)
            data = gzip.compress(raw, compresslevel=1 if len(raw) > 1 << 20
                                 else 6)
            self.cache[key] = data
        return data

    # -- changes (control API) -----------------------------------------------

    def apply_update(self, req):
        """Apply a /_control/sheets/{id}/update body; call with self.lock.
        Raises ValueError on bad input (nothing changed then)."""
        name = req.get("name")
        cells = req.get("cells") or []
        add_rows = req.get("add_rows") or 0
        if name is not None and not isinstance(name, str):
            raise ValueError("name must be a string")
        if not isinstance(add_rows, int) or add_rows < 0:
            raise ValueError("add_rows must be a count")
        ncols = len(self.columns())
        nrows = self.row_count() + add_rows
        for c in cells:
            if not isinstance(c, dict):
                raise ValueError("cells must be objects")
            r, j = c.get("row"), c.get("column")
            if not isinstance(r, int) or not 0 <= r < nrows:
                raise ValueError("row %r out of range" % (r,))
            if not isinstance(j, int) or not 0 <= j < ncols:
                raise ValueError("column %r out of range" % (j,))
        now = time.time()
        if name is not None:
            self.body["name"] = name
        if add_rows:
            self.add_rows(add_rows, now)
        for c in cells:
            self.set_cell(c["row"], c["column"], c)
        self.touch(now)

    def next_modified_at(self, now=None):
        """The modifiedAt a change now gets: now, strictly later than
        before."""
        now = int(now if now is not None else time.time())
        prev = parse_time(self.body.get("modifiedAt"))
        return fmt_time(max(now, prev + 1))

    def touch(self, now=None, stamp=None):
        """Version + 1; modifiedAt = now (or stamp, from
        next_modified_at), strictly later than before."""
        self.body["modifiedAt"] = stamp or self.next_modified_at(now)
        self.body["version"] = self.version + 1
        self.dirty = True
        self.cache = {}

    def add_rows(self, count, now):
        if self.gen:
            self.gen.nrows += count
            return
        rows = self.body.setdefault("rows", [])
        used = {r.get("id") for r in rows}
        cols = self.body.get("columns", [])
        primary = next((c for c in cols if c.get("primary")),
                       cols[0] if cols else None)
        for _ in range(count):
            rid = self.new_row_id(used)
            n = len(rows) + 1
            row = {"id": rid, "rowNumber": n, "expanded": True,
                   "createdAt": fmt_time(now), "modifiedAt": fmt_time(now),
                   "cells": []}
            if primary is not None:
                text = "New row %d" % n
                row["cells"].append({"columnId": primary["id"],
                                     "value": text, "displayValue": text})
            rows.append(row)

    def new_row_id(self, used):
        """A new row id, not in used (and added to it)."""
        while True:
            self.new_row_ids += 1
            rid = 5000000000000000 + (self.id % 1000000) * 1000 \
                + self.new_row_ids
            if rid not in used:
                used.add(rid)
                return rid

    def set_cell(self, r, j, req):
        col = self.columns()[j]
        cell = {"columnId": col["id"]}
        value = req.get("value")
        if value is not None:
            cell["value"] = value
        shown = req.get("displayValue",
                        display_of(value) if value is not None else None)
        if shown is not None:
            cell["displayValue"] = shown
        if req.get("objectValue") is not None:
            cell["objectValue"] = req["objectValue"]
        if self.gen:
            self.overrides.setdefault(r, {})[j] = cell
            return
        row = self.body["rows"][r]
        cells = row.setdefault("cells", [])
        for k, old in enumerate(cells):
            if old.get("columnId") == col["id"]:
                cells[k] = cell
                break
        else:
            cells.append(cell)


def degrade_cell(cell, multi, key="columnId"):
    """A cell as the API answers without level=2 & include=objectValue
    (multi: the ids, under key, of the columns shown as TEXT_NUMBER)."""
    c = dict(cell)
    c.pop("objectValue", None)
    if c.get(key) in multi and "value" not in c \
            and "displayValue" in c:
        c["value"] = c["displayValue"]
    return c


def make_fixture_sheet(raw):
    private = {k: v for k, v in raw.items() if k.startswith("_")}
    body = strip_private(raw)
    if "id" not in body or not isinstance(body["id"], int) \
            or isinstance(body["id"], bool):
        raise ValueError("a sheet needs an integer id")
    body.setdefault("version", 1)
    body.setdefault("columns", [])
    body.setdefault("rows", [])
    body.setdefault("modifiedAt", fmt_time(time.time()))
    return Sheet(body, private)


# kind -> (id base, name pattern, first modifiedAt, RowGen number base).
GEN_KINDS = {
    "small": (GENERATED_BASE, "Generated %04d", 1704067200, 0),
    "medium": (MEDIUM_BASE, "Medium %04d", 1706745600, 20000),
    "big": (BIG_ID - 1, "Big", 1709251200, 40000),
    "report": (REPORT_SOURCE_BASE, "Big Report Source %d", 1717200000, 60000),
    "tree": (TREE_SHEET_BASE, None, 1711929600, 100000),
    "wide": (WIDE_SHEET_BASE, "Wide %04d", 1714521600, 200000),
}


def make_generated(kind, number, nrows, ncols, seed, name=None):
    id_base, pattern, base, gen_base = GEN_KINDS[kind]
    sid = id_base + number
    if name is None:
        name = pattern % number if "%" in pattern else pattern
    # Distinct, realistic times: a minute apart, per kind.
    base += number * 60
    gen = RowGen(gen_base + number, nrows, ncols, seed)
    body = {"id": sid, "name": name, "version": 1, "accessLevel": "OWNER",
            "permalink": "https://app.smartsheet.com/b/home?lx=gen%s%d"
                         % (kind, number),
            "createdAt": fmt_time(base - 86400),
            "modifiedAt": fmt_time(base)}
    return Sheet(body, gen=gen)


# ---------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------

def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def default_account(fixtures):
    """(sheet factories, user) from the fixture folder."""
    sheets = []
    seen = set()
    for path in sorted(glob.glob(os.path.join(fixtures, "sheets", "*.json"))):
        raw = load_json(path)
        if raw.get("id") in seen:
            raise SystemExit("duplicate sheet id %s in %s" % (raw.get("id"),
                                                             path))
        seen.add(raw.get("id"))
        sheets.append(raw)
    user = strip_private(load_json(os.path.join(fixtures, "user.json")))
    return sheets, user


def find_scenario(scenarios_dir, name):
    for path in sorted(glob.glob(os.path.join(scenarios_dir, "*.json"))):
        try:
            data = load_json(path)
        except (OSError, ValueError):
            continue
        if not isinstance(data, list):
            continue
        for s in data:
            if isinstance(s, dict) and s.get("scenario") == name:
                return s
    raise SystemExit("scenario %r not found in %s" % (name, scenarios_dir))


def sdk_account(scenarios_dir):
    """(raw sheets, user) built from the SDK scenario files."""
    listing = find_scenario(scenarios_dir, "List Sheets - No Params")
    full = find_scenario(scenarios_dir, "Assume User - Can Be Set")
    profile = find_scenario(scenarios_dir, "Serialization - UserProfile")
    full_body = full["response"]["jsonBody"]
    sheets = []
    for item in listing["response"]["jsonBody"]["data"]:
        if item["id"] == full_body["id"]:
            continue
        body = {k: item[k] for k in LIST_FIELDS if k in item}
        body["version"] = 1
        body["columns"] = [{"id": (item["id"] % 10 ** 17) * 10 + 1,
                            "version": 0, "index": 0, "title": "Name",
                            "type": "TEXT_NUMBER", "primary": True,
                            "width": 150}]
        body["rows"] = []
        sheets.append(body)
    sheets.append(copy.deepcopy(full_body))
    return sheets, profile["response"]["jsonBody"]


# ---------------------------------------------------------------------------
# Workspaces, folders and reports
# ---------------------------------------------------------------------------

# childrenResourceTypes value -> resourceType.
RESOURCE_TYPES = {"sheets": "sheet", "reports": "report", "folders": "folder",
                  "sights": "sight", "templates": "template"}
ITEM_FIELDS = ("id", "name", "accessLevel", "permalink")
ACCESS_LEVELS = ("ADMIN", "COMMENTER", "EDITOR", "EDITOR_SHARE", "OWNER",
                 "VIEWER")
# Deprecated tree endpoints: path regex -> what to use instead.
DEPRECATED = (
    (r"^/2\.0/home(/folders)?$", "GET /2.0/workspaces and GET /2.0/sheets"),
    (r"^/2\.0/folders/personal$", "GET /2.0/sheets and GET /2.0/reports"),
    (r"^/2\.0/(workspaces|folders)/[^/]+(/folders)?$",
     "GET /2.0/workspaces/{id}/children or GET /2.0/folders/{id}/children"),
)


def permalink(kind, oid):
    return "https://app.smartsheet.com/b/home?lx=%s%d" % (kind, oid)


def item_key(item):
    """The order of every list of the tree: name (case-insensitive), then
    resourceType, then id."""
    return (str(item.get("name", "")).lower(), item.get("resourceType", ""),
            item["id"])


class Tree:
    """Where things live: the workspaces, their folders (nested), and the
    place of every sheet, report, folder, sight and template. An item is
    (kind, id); a container is ("workspace", id) or ("folder", id). Sheets
    and reports may be in no container (shared with the user). Guarded by
    the State lock."""

    def __init__(self):
        self.workspaces = {}    # id -> {id, name, accessLevel, permalink}
        self.folders = {}       # id -> {id, name, permalink}
        self.others = {}        # (sight|template, id) -> {ITEM_FIELDS}
        self.no_access = set()  # containers that answer 403
        self.parent = {}        # item -> container
        self.children = {}      # container -> {item: None} (ordered set)

    def place(self, item, container):
        """Put item in container (None: in no container)."""
        self.unplace(item)
        if container is not None:
            self.parent[item] = container
            self.children.setdefault(container, {})[item] = None

    def unplace(self, item):
        old = self.parent.pop(item, None)
        if old is not None:
            self.children.get(old, {}).pop(item, None)

    def exists(self, container):
        kind, oid = container
        return oid in (self.workspaces if kind == "workspace"
                       else self.folders)

    def subtree(self, container):
        """Every item below container, nested folders included."""
        out = []
        for item in list(self.children.get(container, {})):
            out.append(item)
            if item[0] == "folder":
                out += self.subtree(item)
        return out

    def workspace_of(self, item):
        """The workspace dict above item, or None."""
        seen = set()
        while item is not None and item not in seen:
            seen.add(item)
            if item[0] == "workspace":
                return self.workspaces.get(item[1])
            item = self.parent.get(item)
        return None

    def remove(self, container):
        """Remove a workspace or folder and its folders, sights and
        templates; returns the sheets and reports that were inside."""
        gone = []
        for item in self.subtree(container) + [container]:
            self.unplace(item)
            self.children.pop(item, None)
            self.no_access.discard(item)
            if item[0] == "folder":
                self.folders.pop(item[1], None)
            elif item[0] == "workspace":
                self.workspaces.pop(item[1], None)
            elif item[0] in ("sight", "template"):
                self.others.pop(item, None)
            else:
                gone.append(item)
        return gone


def virtual_id(report_id, title):
    """A report column's virtualId: a stable function of (report, title)."""
    h = hashlib.sha256(("%d\0%s" % (report_id, title)).encode()).digest()
    return 1000000000000000 + int.from_bytes(h[:8], "big") % \
        8000000000000000


ReportSpec = collections.namedtuple("ReportSpec", (
    "revision", "name", "access", "modified", "sources", "titles", "vids",
    "sheet_name_column"))


class Report:
    """A report definition: source sheets (ids, in order), the columns (by
    title, matched against each source sheet's column titles) and whether
    it has the "Sheet Name" column. Its content is computed from the
    sources when asked; rendered pages are cached per state of the
    sources (self.lock guards the cache). The definition is one immutable
    ReportSpec, replaced whole by a change, so a reader that takes
    self.spec once sees one consistent definition."""

    def __init__(self, d, private=None):
        self.lock = threading.Lock()
        self.id = d["id"]
        self.permalink = d.get("permalink") or permalink("report", self.id)
        self.created = d.get("createdAt", "2024-01-01T00:00:00Z")
        self.no_access = bool((private or {}).get("_noAccess"))
        self.dirty = False              # changed since start (for reset)
        self.name_vid = virtual_id(self.id, "\0Sheet Name")
        self.cache = {}
        self.spec = ReportSpec(0, d["name"], d.get("accessLevel", "OWNER"),
                               d.get("modifiedAt", self.created), (), (), (),
                               False)
        self.define(d)

    def define(self, d, **changes):
        """A new definition: sources, columns and sheetNameColumn from d,
        other fields (name, access, modified) from changes."""
        titles = tuple(d["columns"])
        self.spec = self.spec._replace(
            revision=self.spec.revision + 1, sources=tuple(d["sources"]),
            titles=titles, vids=tuple(virtual_id(self.id, t)
                                      for t in titles),
            sheet_name_column=bool(d.get("sheetNameColumn")), **changes)

    @property
    def name(self):
        return self.spec.name

    @property
    def sources(self):
        return self.spec.sources

    def list_item(self):
        spec = self.spec
        return {"id": self.id, "name": spec.name, "accessLevel": spec.access,
                "permalink": self.permalink}

    def definition(self):
        spec = self.spec
        return {"id": self.id, "name": spec.name, "accessLevel": spec.access,
                "sources": list(spec.sources), "columns": list(spec.titles),
                "sheetNameColumn": spec.sheet_name_column,
                "noAccess": self.no_access, "modifiedAt": spec.modified}

    # -- content -------------------------------------------------------------

    def columns(self, spec, sheets, full):
        """(columns, the virtualIds of degraded multi columns or None): a
        title's type (and options, primary) come from the first source
        sheet that has a column of that title."""
        cols = []
        if spec.sheet_name_column:
            cols.append({"virtualId": self.name_vid, "version": 0,
                         "index": 0, "title": "Sheet Name",
                         "type": "TEXT_NUMBER", "sheetNameColumn": True,
                         "validation": False, "width": 150})
        for title, vid in zip(spec.titles, spec.vids):
            src = next((c for s in sheets for c in s.columns()
                        if c.get("title") == title), {})
            col = {"virtualId": vid, "version": src.get("version", 0),
                   "index": len(cols), "title": title,
                   "type": src.get("type", "TEXT_NUMBER")}
            if src.get("primary") and not any(c.get("primary")
                                              for c in cols):
                col["primary"] = True           # one primary column
            for k in ("options", "symbol"):
                if k in src:
                    col[k] = src[k]
            col["validation"] = False
            col["width"] = src.get("width", 150)
            cols.append(col)
        if full:
            return cols, None
        # Without level=3 & objectValue: multi columns show as text.
        multi = {c["virtualId"] for c in cols if c["type"] in MULTI_TYPES}
        for c in cols:
            if c["virtualId"] in multi:
                c["type"] = "TEXT_NUMBER"
                c.pop("version")
        return cols, multi

    def rows(self, sheets, cols, start, stop, multi):
        """Report rows [start, stop): each source's rows in sheet order,
        source after source; no parentId; rowNumber = place in the
        report."""
        out = []
        pos = 0
        for sheet in sheets:
            if pos >= stop:
                break
            with sheet.lock:
                n = sheet.row_count()
                if pos + n > start:
                    first = max(0, start - pos)
                    out += self.sheet_rows(sheet, cols, first, stop - pos,
                                           pos + first, multi)
            pos += n
        return out

    def sheet_rows(self, sheet, cols, first, stop, number, multi):
        by_title = {}
        for c in sheet.columns():
            by_title.setdefault(c.get("title"), c["id"])
        name = sheet.body.get("name")
        out = []
        for row in sheet.iter_rows(first, stop):
            number += 1
            cells_by = {c.get("columnId"): c for c in row.get("cells", [])}
            cells = []
            for col in cols:
                vid = col["virtualId"]
                if col.get("sheetNameColumn"):
                    cells.append({"virtualColumnId": vid, "value": name,
                                  "displayValue": name})
                    continue
                scid = by_title.get(col["title"])
                if scid is None:
                    cells.append({"virtualColumnId": vid})
                    continue
                cell = {"columnId": scid, "virtualColumnId": vid}
                cell.update((k, v) for k, v in cells_by.get(scid, {}).items()
                            if k != "columnId")
                cells.append(degrade_cell(cell, multi, "virtualColumnId")
                             if multi is not None else cell)
            r = {"id": row["id"], "sheetId": sheet.id, "rowNumber": number,
                 "expanded": row.get("expanded", True),
                 "accessLevel": sheet.body.get("accessLevel", "VIEWER")}
            for k in ("createdAt", "modifiedAt"):
                if k in row:
                    r[k] = row[k]
            r["cells"] = cells
            out.append(r)
        return out

    def page(self, sources, page, size, full, want_gz):
        """(body, gzip body or None) of GET /reports/{id}. sources: the
        source Sheet objects (None where deleted)."""
        spec = self.spec
        sheets = [s for s in sources
                  if s is not None and not s.private.get("_noAccess")]
        stamp = (spec, tuple(
            None if s is None else (s.id, s.version, bool(
                s.private.get("_noAccess"))) for s in sources))
        key = (stamp, page, size, full)
        with self.lock:
            hit = self.cache.get(key)
        if hit is None:
            cols, multi = self.columns(spec, sheets, full)
            total = sum(s.row_count() for s in sheets)
            modified = max([spec.modified] + [s.body.get("modifiedAt", "")
                                              for s in sheets])
            head = {"id": self.id, "name": spec.name, "totalRowCount": total,
                    "accessLevel": spec.access, "permalink": self.permalink,
                    "createdAt": self.created, "modifiedAt": modified}
            start = (page - 1) * size
            rows = self.rows(sheets, cols, start, start + size, multi)
            body = b"".join([dumps(head)[:-1], b',"columns":', dumps(cols),
                             b',"rows":[', b",".join(dumps(r) for r in rows),
                             b"]}"])
            hit = [body, None]
            with self.lock:
                self.cache = {k: v for k, v in self.cache.items()
                              if k[0] == stamp}
                while len(self.cache) >= 32:
                    self.cache.pop(next(iter(self.cache)))
                self.cache[key] = hit
        if want_gz and hit[1] is None and len(hit[0]) > GZIP_MIN:
            hit[1] = gzip.compress(hit[0], compresslevel=1
                                   if len(hit[0]) > 1 << 20 else 6)
        return hit[0], hit[1] if want_gz else None


def check_level(level):
    if level not in ACCESS_LEVELS:
        raise BadRequest("accessLevel must be one of %s"
                         % ", ".join(ACCESS_LEVELS))
    return level


def parse_pattern(v):
    """The children page pattern: page sizes, cycled; 0 = an empty page.
    [] turns it off; else one size at least must be above 0."""
    if not isinstance(v, list) or not all(fake_rows.is_int(x) and x >= 0
                                          for x in v) or \
            (v and not any(v)) or len(v) > 1000:
        raise ValueError("a list of page sizes (>= 0, one at least > 0)")
    return v


# setting -> (lowest, highest) for the integer settings.
SETTING_RANGES = {"max_children_page": (1, 100000),
                  "max_report_page": (1, MAX_REPORT_PAGE),
                  "write_delay_ms": (0, 60000)}


def parse_settings(req):
    out = {}
    for k, v in req.items():
        if k == "children_page_pattern":
            try:
                out[k] = parse_pattern(v)
            except ValueError as e:
                raise BadRequest("%s: %s" % (k, e))
            continue
        if k not in SETTING_RANGES:
            raise BadRequest("unknown setting %r" % k)
        lo, hi = SETTING_RANGES[k]
        if not fake_rows.is_int(v) or not lo <= v <= hi:
            raise BadRequest("%s must be an integer in %d..%d" % (k, lo, hi))
        out[k] = v
    return out


def load_layout(fixtures):
    """fixtures/tree.json (the account's workspaces and reports), or {}."""
    path = os.path.join(fixtures, "tree.json")
    return load_json(path) if os.path.exists(path) else {}


def build_tree(layout, args):
    """(Tree, {id: Report}) from the layout and the tree generators."""
    tree = Tree()
    reports = {}
    for d in layout.get("reports", []):
        r = Report(strip_private(d), d)
        reports[r.id] = r

    def walk(children, container):
        for child in children:
            (kind, val), = child.items()
            if kind in ("sheet", "report"):
                tree.place((kind, val), container)
                continue
            item = {k: val[k] for k in ITEM_FIELDS if k in val}
            item.setdefault("permalink", permalink(kind, val["id"]))
            if kind == "folder":
                item.pop("accessLevel", None)
                tree.folders[val["id"]] = item
                walk(val.get("children", []), ("folder", val["id"]))
            else:                               # sight, template
                tree.others[(kind, val["id"])] = item
            tree.place((kind, val["id"]), container)
            if val.get("_noAccess"):
                tree.no_access.add((kind, val["id"]))

    for ws in layout.get("workspaces", []):
        item = {k: ws[k] for k in ITEM_FIELDS if k in ws}
        item.setdefault("permalink", permalink("workspace", ws["id"]))
        tree.workspaces[ws["id"]] = item
        walk(ws.get("children", []), ("workspace", ws["id"]))
    if args.generate_tree:
        w, f, n = args.generate_tree
        for i in range(w):
            wid = TREE_WS_BASE + i + 1
            tree.workspaces[wid] = {
                "id": wid, "name": "Tree Workspace %03d" % (i + 1),
                "accessLevel": "OWNER", "permalink": permalink("ws", wid)}
            for j in range(f):
                fid = TREE_FOLDER_BASE + i * f + j + 1
                tree.folders[fid] = {"id": fid,
                                     "name": "Folder %03d" % (j + 1),
                                     "permalink": permalink("folder", fid)}
                tree.place(("folder", fid), ("workspace", wid))
                for k in range(n):
                    number = (i * f + j) * n + k + 1
                    tree.place(("sheet", TREE_SHEET_BASE + number),
                               ("folder", fid))
    if args.big_folder:
        tree.workspaces[WIDE_WS_ID] = {
            "id": WIDE_WS_ID, "name": "Wide Workspace", "accessLevel": "OWNER",
            "permalink": permalink("ws", WIDE_WS_ID)}
        tree.folders[WIDE_FOLDER_ID] = {
            "id": WIDE_FOLDER_ID, "name": "Wide Folder",
            "permalink": permalink("folder", WIDE_FOLDER_ID)}
        tree.place(("folder", WIDE_FOLDER_ID), ("workspace", WIDE_WS_ID))
        for k in range(args.big_folder):
            tree.place(("sheet", WIDE_SHEET_BASE + k + 1),
                       ("folder", WIDE_FOLDER_ID))
    if args.big_report:
        reports[BIG_REPORT_ID] = Report({
            "id": BIG_REPORT_ID, "name": "Big Report",
            "createdAt": "2024-06-01T00:00:00Z",
            "modifiedAt": "2024-06-01T00:00:00Z",
            "sources": [REPORT_SOURCE_BASE + k + 1
                        for k in range(BIG_REPORT_SOURCES)],
            "columns": [k[0] for k in KINDS], "sheetNameColumn": True})
    return tree, reports


def check_layout(tree, reports, sheets):
    """Exit with a message when the layout names what does not exist."""
    for kind, oid in tree.parent:
        if kind == "sheet" and oid not in sheets or \
                kind == "report" and oid not in reports:
            raise SystemExit("tree.json: no %s %d" % (kind, oid))
    for r in reports.values():
        for sid in r.sources:
            if sid not in sheets:
                raise SystemExit("tree.json: report %d: no sheet %d"
                                 % (r.id, sid))


# ---------------------------------------------------------------------------
# Server state
# ---------------------------------------------------------------------------

class State:
    """Everything the server holds. self.lock guards the containers; a
    sheet's content is guarded by its own lock."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.RLock()
        if args.account == "sdk":
            self.raw_sheets, self.user = sdk_account(args.scenarios)
            self.layout = {}
        else:
            self.raw_sheets, self.user = default_account(args.fixtures)
            self.layout = load_layout(args.fixtures)
        self.gen_specs = []             # (kind, number, rows, cols, name)
        for i in range(1, args.generate + 1):
            self.gen_specs.append(("small", i, 5, 3, None))
        for i in range(1, args.generate_medium + 1):
            self.gen_specs.append(("medium", i, 200, 10, None))
        if args.big:
            self.gen_specs.append(("big", 1, args.big[0], args.big[1], None))
        if args.generate_tree:
            w, f, n = args.generate_tree
            for i in range(w * f * n):
                ws, rest = divmod(i, f * n)
                self.gen_specs.append(("tree", i + 1, 5, 3, "Tree %03d-%03d-"
                                       "%03d" % (ws + 1, rest // n + 1,
                                                 rest % n + 1)))
        for i in range(1, args.big_folder + 1):
            self.gen_specs.append(("wide", i, 5, 3, None))
        if args.big_report:
            per, extra = divmod(args.big_report, BIG_REPORT_SOURCES)
            for k in range(BIG_REPORT_SOURCES):
                self.gen_specs.append(("report", k + 1,
                                       per + (k < extra), len(KINDS), None))
        self.sheets = {}
        self.start_sheets = {}
        self.reports = {}
        self.start_reports = {}
        self.writing = {}               # sheet id -> tokens writing now
        self.log = []
        self.log_file = open(args.log, "a", encoding="utf-8") \
            if args.log else None
        self.reset(initial=True)

    def build_sheets(self):
        out = {}
        for raw in self.raw_sheets:
            s = make_fixture_sheet(copy.deepcopy(raw))
            out[s.id] = s
        for kind, number, nrows, ncols, name in self.gen_specs:
            s = make_generated(kind, number, nrows, ncols, self.args.seed,
                               name)
            out[s.id] = s
        return out

    def default_settings(self):
        a = self.args
        return {"max_children_page": a.max_children_page,
                "children_page_pattern": list(a.children_page_pattern),
                "max_report_page": a.max_report_page,
                "write_delay_ms": a.write_delay_ms}

    def reset(self, initial=False):
        with self.lock:
            fresh = self.build_sheets()
            if not initial:
                # Keep untouched sheets (and their cached bytes).
                for sid, s in self.sheets.items():
                    if sid in fresh and not s.dirty \
                            and self.start_sheets.get(sid) is s:
                        fresh[sid] = s
            self.sheets = fresh
            self.start_sheets = dict(fresh)
            self.tree, reports = build_tree(self.layout, self.args)
            if initial:
                check_layout(self.tree, reports, fresh)
            else:
                for rid, r in self.reports.items():
                    if rid in reports and self.start_reports.get(rid) is r \
                            and not r.dirty:
                        reports[rid] = r
            self.reports = reports
            self.start_reports = dict(reports)
            self.settings = self.default_settings()
            self.valid_tokens = set(self.args.token)
            self.expired_tokens = set()
            self.reset_oauth()
            self.rate = self.args.rate_per_min
            self.windows = {}
            self.faults = []
            self.log = []

    # -- OAuth (call these with self.lock held) ------------------------------

    def reset_oauth(self):
        a = self.args
        self.oauth = {"client_id": a.client_id,
                      "client_secret": a.client_secret,
                      "redirect_uri": a.redirect_uri,
                      "code_ttl_ms": a.code_ttl_ms,
                      "access_ttl_s": a.access_ttl, "deny": False,
                      "error": None}
        self.codes = {}             # code -> {client_id, scope, expires}
        self.by_access = {}         # access token -> pair
        self.by_refresh = {}        # refresh token -> the same pair
        self.oauth_counts = {"exchanges": 0, "refreshes": 0,
                             "codes_issued": 0, "revocations": 0}
        self.oauth_failures = {}    # "errorCode" -> n

    def mint_code(self, client_id, scope):
        code = new_secret(16)
        ttl = self.oauth["code_ttl_ms"]
        self.codes[code] = {"client_id": client_id, "scope": scope,
                            "expires": time.monotonic() + ttl / 1000.0}
        self.oauth_counts["codes_issued"] += 1
        return code, ttl

    def issue_pair(self, client_id, scope):
        """A new access/refresh pair; its access token works at once."""
        ttl = self.oauth["access_ttl_s"]
        pair = {"access": new_secret(26), "refresh": new_secret(20),
                "client_id": client_id, "scope": scope,
                "expires": time.monotonic() + ttl, "expired": False}
        self.by_access[pair["access"]] = pair
        self.by_refresh[pair["refresh"]] = pair
        return pair, ttl

    def kill_pair(self, pair):
        """Both tokens of the pair die: unknown from now on."""
        self.by_access.pop(pair["access"], None)
        self.by_refresh.pop(pair["refresh"], None)

    def pair_expired(self, pair, now=None):
        now = time.monotonic() if now is None else now
        return pair["expired"] or now >= pair["expires"]

    def oauth_view(self):
        now = time.monotonic()
        pairs = list(self.by_refresh.values())
        return {"client_id": self.oauth["client_id"],
                "redirect_uri": self.oauth["redirect_uri"],
                "live_refresh_tokens": [p["refresh"] for p in pairs],
                "live_access_tokens": [p["access"] for p in pairs
                                       if not self.pair_expired(p, now)],
                "expired_access_tokens": [p["access"] for p in pairs
                                          if self.pair_expired(p, now)],
                "exchanges": self.oauth_counts["exchanges"],
                "refreshes": self.oauth_counts["refreshes"],
                "failures": dict(self.oauth_failures),
                "codes_issued": self.oauth_counts["codes_issued"],
                "revocations": self.oauth_counts["revocations"]}

    def record(self, entry):
        with self.lock:
            self.log.append(entry)
            if self.log_file:
                try:
                    self.log_file.write(json.dumps(entry) + "\n")
                    self.log_file.flush()
                except OSError as e:
                    eprint("cannot write the request log:", e)

    def take_fault(self, method, path):
        with self.lock:
            for f in self.faults:
                if f["times"] == 0:
                    continue
                if f.get("method") and f["method"].upper() != method:
                    continue
                if not f["re"].search(path):
                    continue
                if f.get("skip", 0) > 0:       # let this one through
                    f["skip"] -= 1
                    continue
                if f["times"] > 0:
                    f["times"] -= 1
                return dict(f)
            return None

    def rate_ok(self, token):
        with self.lock:
            if self.rate <= 0:
                return True
            now = time.monotonic()
            win = self.windows.setdefault(token, collections.deque())
            while win and win[0] <= now - 60.0:
                win.popleft()
            if len(win) >= self.rate:
                return False
            win.append(now)
            return True

    def get_sheet(self, sid):
        with self.lock:
            return self.sheets.get(sid)

    def listing(self):
        with self.lock:
            sheets = list(self.sheets.values())
        return sorted(sheets, key=lambda s: (
            str(s.body.get("name", "")).lower(), s.id))

    # -- the tree (call these with self.lock held) ----------------------------

    def child_entry(self, item):
        """The children-list entry of an item, or None if it is gone."""
        kind, oid = item
        if kind == "sheet":
            sheet = self.sheets.get(oid)
            fields = sheet.list_item() if sheet else None
        elif kind == "report":
            report = self.reports.get(oid)
            fields = report.list_item() if report else None
        elif kind == "workspace":
            fields = self.tree.workspaces.get(oid)
        elif kind == "folder":
            fields = dict(self.tree.folders.get(oid) or {})
            ws = self.tree.workspace_of(item)
            if fields:
                fields["accessLevel"] = ws["accessLevel"] if ws else "OWNER"
        else:
            fields = self.tree.others.get(item)
        if not fields:
            return None
        out = {"resourceType": kind}
        out.update((k, fields[k]) for k in ITEM_FIELDS if k in fields)
        return out

    def forget(self, items):
        """Sheets and reports removed from the account (with a folder or
        workspace, or by the control API)."""
        for kind, oid in items:
            self.tree.unplace((kind, oid))
            if kind == "sheet":
                self.sheets.pop(oid, None)
            elif kind == "report":
                self.reports.pop(oid, None)


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------

class BadRequest(Exception):
    """A 400 answer: (errorCode, message)."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle on, the body
    # waits for the client's delayed ACK (40 ms a request on loopback).
    disable_nagle_algorithm = True
    server_version = "FakeSmartsheet/1.0"
    sys_version = ""
    timeout = 300                   # idle keep-alive connections

    state = None                    # set in main()

    def version_string(self):
        return self.server_version

    # Every method goes through one dispatcher.
    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def log_message(self, fmt, *args):
        if self.state.args.verbose:
            eprint("%s - %s" % (self.address_string(),
                                redact_token_url(fmt % args)))

    # -- plumbing -------------------------------------------------------------

    def dispatch(self):
        self.started = False
        self.entry = None
        self.resp_ctype = JSON_CT       # what send() answers by default
        self.resp_headers = []          # extra (name, value) headers
        try:
            self.read_body()
            url = urlsplit(self.path)
            path = url.path
            if len(path) > 1 and path.endswith("/"):
                path = path[:-1]
            self.query = dict(parse_qsl(url.query, keep_blank_values=True))
            if path == "/_control" or path.startswith("/_control/"):
                self.control(path)
            else:
                self.api(path)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError,
                socket.timeout):
            self.close_connection = True
        except Exception:                       # keep serving, say why
            eprint("error while handling %s %s:" % (
                self.command, redact_token_url(self.path)))
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            if not self.started:
                try:
                    self.send(500, dumps(error_body(4000)))
                except OSError:
                    pass

    def read_body(self):
        self.body = b""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n",
                                                            b""):
                        pass
                    break
                total += size
                if total > MAX_REQUEST_BODY:
                    raise ConnectionAbortedError("request body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
            self.body = b"".join(chunks)
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BODY:
            raise ConnectionAbortedError("request body too large")
        if length > 0:
            self.body = self.rfile.read(length)
            if len(self.body) < length:
                raise ConnectionResetError("client went away mid-body")

    def json_body(self):
        try:
            return json.loads(self.body.decode("utf-8") or "{}")
        except ValueError as e:
            raise BadRequest("request body is not JSON: %s" % e)

    def wants_gzip(self):
        return "gzip" in self.headers.get("Accept-Encoding", "").lower()

    def send(self, status, body, ctype=None, gz_body=None, length=None,
             fault=None, encoding=None):
        """Answer: log the request (API only), headers, then the body.

        gz_body: precompressed body for gzip-accepting clients.
        length: Content-Length to announce (the truncate fault lies).
        encoding: None to decide on gzip here; else the body is final and
        this is its Content-Encoding ("" for none).
        ctype: None for self.resp_ctype (JSON unless a route said else)."""
        if ctype is None:
            ctype = self.resp_ctype
        if encoding is None:
            encoding = ""
            if self.wants_gzip() and len(body) > GZIP_MIN:
                body = gz_body if gz_body is not None else gzip.compress(body)
                encoding = "gzip"
        if self.entry is not None:
            self.entry["status"] = status
            self.entry["fault"] = fault
            self.state.record(self.entry)
            self.entry = None
        self.started = True
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length",
                         str(len(body) if length is None else length))
        if encoding:
            self.send_header("Content-Encoding", encoding)
        for name, value in self.resp_headers:
            self.send_header(name, value)
        self.send_header("Vary", "Accept-Encoding")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.write_body(body)

    def write_body(self, body):
        rate = self.state.args.throttle_bytes_per_sec
        if rate <= 0 or len(body) <= 1:
            self.wfile.write(body)
            return
        # Model a link of `rate` bytes/s: a chunk goes out once the link
        # would have carried it, so the last byte leaves at len/rate.
        view = memoryview(body)
        chunk = max(1024, min(65536, rate // 20))
        start = time.monotonic()
        sent = 0
        while sent < len(body):
            piece = view[sent:sent + chunk]
            ahead = start + (sent + len(piece)) / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
            self.wfile.write(piece)
            sent += len(piece)

    def send_json(self, status, obj, fault=None):
        self.send(status, dumps(obj), fault=fault)

    # -- the API --------------------------------------------------------------

    def api(self, path):
        st = self.state
        auth = self.headers.get("Authorization")
        self.entry = {"method": self.command, "path": path,
                      "query": self.query, "auth": auth is not None,
                      "status": None, "t": time.time(), "fault": None,
                      "accept_encoding": self.headers.get("Accept-Encoding",
                                                          ""),
                      "user_agent": self.headers.get("User-Agent", "")}
        if path == "/2.0/token":
            # Never log a code, hash, secret or token: no parameter values,
            # only whether the client put token parameters in the URL.
            self.entry["query"] = {
                k: v for k, v in self.query.items()
                if k == "deleteAllForApiClient"}
            self.entry["token_params_in_query"] = any(
                k in self.query for k in TOKEN_PARAMS)
        elif self.body:
            self.entry["body"] = logged_body(self.body)
            self.entry["content_type"] = self.headers.get("Content-Type",
                                                          "")
        if self.command == "DELETE" and path.endswith("/rows") and \
                "ids" in self.query:
            self.entry["ids"] = [int(x) if x.strip().isdigit() else x
                                 for x in self.query["ids"].split(",")]
        fault = st.take_fault(self.command, path)
        if fault is not None:
            if fault["kind"] == "delay":
                time.sleep(max(0, fault.get("delay_ms", 0)) / 1000.0)
                return self.api_answer(path, auth, fault_kind="delay")
            if fault["kind"] == "slow":
                status, body, gz = self.api_result(path, auth)
                time.sleep(max(0, fault.get("delay_ms", 0)) / 1000.0)
                return self.send(status, body, gz_body=gz, fault="slow")
            if fault["kind"] == "reset_after":
                self.api_result(path, auth)
                return self.reset_connection("reset_after")
            return self.fault_answer(path, auth, fault)
        return self.api_answer(path, auth)

    def api_answer(self, path, auth, fault_kind=None):
        """Work out (status, body bytes, gzip bytes) and send it."""
        status, body, gz = self.api_result(path, auth)
        self.send(status, body, gz_body=gz, fault=fault_kind)

    def api_result(self, path, auth):
        try:
            return self.api_route(path, auth)
        except BadRequest as e:
            code, msg = e.args if len(e.args) == 2 else (1018, e.args[0])
            return 400, dumps(error_body(code, msg)), None

    def api_route(self, path, auth):
        st = self.state
        method = self.command
        if path == "/b/authorize":
            return self.authorize()
        if not path.startswith("/2.0/") and path != "/2.0":
            return 404, dumps(error_body(1006)), None
        if path == "/2.0/token" and method != "DELETE":
            # Needs no bearer (it must not carry one).
            if method != "POST":
                return self.not_allowed()
            return self.token_endpoint()
        # Authentication.
        if auth is None:
            return 401, dumps(error_body(1001)), None
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        self.scope = None               # a --token token: every scope
        with st.lock:
            if token in st.expired_tokens:
                return 401, dumps(error_body(1003)), None
            if token is None or token not in st.valid_tokens:
                pair = st.by_access.get(token)
                if pair is None:
                    return 401, dumps(error_body(1002)), None
                if st.pair_expired(pair):
                    return 401, dumps(error_body(1003)), None
                self.scope = pair["scope"].split()
        if not st.rate_ok(token):
            return 429, dumps(error_body(4003)), None
        # Routes.
        if path == "/2.0/token":                # DELETE: revoke
            return self.revoke_token(token)
        if path == "/2.0/users/me":
            if method not in ("GET", "HEAD"):
                return self.not_allowed()
            return 200, dumps(st.user), None
        if path == "/2.0/sheets":
            if method not in ("GET", "HEAD"):
                return self.not_allowed()
            return 200, dumps(self.list_sheets()), None
        for pattern, instead in DEPRECATED:
            if re.match(pattern, path):
                return self.deprecated(path, instead)
        if path in ("/2.0/workspaces", "/2.0/reports"):
            if method not in ("GET", "HEAD"):
                return self.not_allowed()
            if path == "/2.0/reports":
                return 200, dumps(self.list_reports()), None
            return 200, dumps(self.list_workspaces()), None
        m = re.match(r"^/2\.0/(workspaces|folders)/([^/]+)/children$", path)
        if m:
            if method not in ("GET", "HEAD"):
                return self.not_allowed()
            return self.children(m.group(1)[:-1], m.group(2))
        m = re.match(r"^/2\.0/reports/([^/]+)$", path)
        if m:
            if method not in ("GET", "HEAD"):
                return self.not_allowed()
            return self.get_report(m.group(1))
        m = re.match(r"^/2\.0/sheets/([^/]+)(/version|/rows)?$", path)
        if not m:
            return 404, dumps(error_body(1006)), None
        if m.group(2) == "/rows":
            if method not in ("POST", "PUT", "DELETE"):
                return self.not_allowed()
        elif method not in ("GET", "HEAD"):
            return self.not_allowed()
        sid = parse_id(m.group(1))
        sheet = st.get_sheet(sid) if sid is not None else None
        if sheet is None:
            return 404, dumps(error_body(1006)), None
        if sheet.private.get("_noAccess"):
            return 403, dumps(error_body(1004)), None
        if m.group(2) == "/rows":
            return self.write_rows(sheet, token)
        if m.group(2):
            return 200, dumps({"version": sheet.version}), None
        level = self.int_param("level", 0)
        include = [s.strip() for s in self.query.get("include", "").split(",")]
        full = level >= 2 and "objectValue" in include
        after = self.int_param("ifVersionAfter", None)
        with sheet.lock:
            if after is not None and after >= sheet.version:
                return 200, dumps({"version": sheet.version}), None
            body = sheet.render(full)
            gz = sheet.render_gzip(full) if self.wants_gzip() \
                and len(body) > GZIP_MIN else None
        return 200, body, gz

    # -- OAuth ----------------------------------------------------------------

    def form_params(self):
        """The form body's parameters (empty unless it is a form)."""
        ctype = self.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip().lower() != FORM_CT:
            return {}
        return dict(parse_qsl(self.body.decode("utf-8", "replace"),
                              keep_blank_values=True))

    def authorize(self):
        """The web app's consent page, as if the user clicked Allow (or
        Deny, with the deny control): a 302 to the registered redirect
        URI, or a 400 page when the client is unknown."""
        st = self.state
        if self.command not in ("GET", "HEAD", "POST"):
            self.resp_ctype = HTML_CT
            return 405, b"<html><body><h1>405 Method Not Allowed</h1>" \
                b"</body></html>", None
        params = dict(self.query)
        if self.command == "POST":
            params.update(self.form_params())
        with st.lock:
            cfg = dict(st.oauth)
            if params.get("client_id") != cfg["client_id"]:
                self.resp_ctype = HTML_CT
                return 400, b"<html><body><h1>Invalid client</h1><p>The " \
                    b"application is not registered.</p></body></html>", None
            out = {}
            scopes = params.get("scope", "").split()
            if params.get("response_type") != "code":
                out["error"] = "unsupported_response_type"
            elif not scopes or any(s not in SCOPES for s in scopes):
                out["error"] = "invalid_scope"
            elif cfg["error"]:
                out["error"] = cfg["error"]
            elif cfg["deny"]:
                out["error"] = "access_denied"
            else:
                code, ttl = st.mint_code(cfg["client_id"], " ".join(scopes))
                out["code"] = code
                out["expires_in"] = ttl
        if "state" in params:
            out["state"] = params["state"]
        uri = cfg["redirect_uri"]
        location = uri + ("&" if "?" in uri else "?") + urlencode(out)
        self.resp_ctype = HTML_CT
        self.resp_headers.append(("Location", location))
        return 302, b"<html><body>Redirecting...</body></html>", None

    def token_endpoint(self):
        """POST /2.0/token: the code exchange and the refresh."""
        st = self.state
        with st.lock:
            try:
                answer = self.token_grant()
            except OAuthError as e:
                code = e.args[0]
                k = str(code)
                st.oauth_failures[k] = st.oauth_failures.get(k, 0) + 1
                body = oauth_error_body(code, *e.args[1:])
                return OAUTH_ERRORS[code][0], dumps(body), None
        return 200, dumps(answer), None

    def token_grant(self):
        """The answer to a token request, or OAuthError; with the lock."""
        st = self.state
        cfg = st.oauth
        ctype = self.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip().lower() != FORM_CT:
            raise OAuthError(1070, "Content-Type")
        if self.headers.get("Authorization") is not None:
            raise OAuthError(1292)
        # The SDKs for Java, C# and JS send the parameters in the URL;
        # the log says so (token_params_in_query). The body wins.
        params = {k: v for k, v in self.query.items() if k in TOKEN_PARAMS}
        params.update(self.form_params())
        params = {k: v for k, v in params.items() if v != ""}
        grant = params.get("grant_type")
        if grant is None:
            raise OAuthError(1070, "grant_type")
        if grant not in ("authorization_code", "refresh_token"):
            raise OAuthError(1068)
        client_id = params.get("client_id")
        if client_id is None:
            raise OAuthError(1070, "client_id")
        if client_id != cfg["client_id"]:
            raise OAuthError(1067)
        given_hash = params.get("hash")
        given_secret = params.get("client_secret")
        if given_hash is None and given_secret is None:
            raise OAuthError(1236)
        if given_hash is not None and given_secret is not None:
            raise OAuthError(1237)
        if given_secret is not None and not hmac.compare_digest(
                given_secret.encode(), cfg["client_secret"].encode()):
            raise OAuthError(1238)
        key = "code" if grant == "authorization_code" else "refresh_token"
        value = params.get(key)
        if value is None:
            raise OAuthError(1070, key)
        if given_hash is not None and not hmac.compare_digest(
                given_hash.encode(),
                token_hash(cfg["client_secret"], value).encode()):
            raise OAuthError(1072)
        redirect = params.get("redirect_uri", params.get("redirect_url"))
        if redirect is not None and redirect != cfg["redirect_uri"]:
            raise OAuthError(1073)
        if grant == "authorization_code":
            rec = st.codes.get(value)
            if rec is None or rec["client_id"] != client_id:
                raise OAuthError(1071)
            if time.monotonic() >= rec["expires"]:
                raise OAuthError(1069)
            del st.codes[value]                 # single use
            pair, ttl = st.issue_pair(client_id, rec["scope"])
            st.oauth_counts["exchanges"] += 1
        else:
            old = st.by_refresh.get(value)
            if old is None or old["client_id"] != client_id:
                raise OAuthError(1071)
            st.kill_pair(old)                   # rotation: both die
            pair, ttl = st.issue_pair(client_id, old["scope"])
            st.oauth_counts["refreshes"] += 1
        return {"access_token": pair["access"], "token_type": "bearer",
                "refresh_token": pair["refresh"], "expires_in": ttl}

    def revoke_token(self, token):
        """DELETE /2.0/token: the bearer token dies (with its pair); with
        deleteAllForApiClient=true every pair of that token's client."""
        st = self.state
        every = self.query.get("deleteAllForApiClient", "").lower() == "true"
        with st.lock:
            pair = st.by_access.get(token)
            if pair is None:                    # a --token token
                st.valid_tokens.discard(token)
            elif every:
                for p in list(st.by_refresh.values()):
                    if p["client_id"] == pair["client_id"]:
                        st.kill_pair(p)
            else:
                st.kill_pair(pair)
            st.oauth_counts["revocations"] += 1
        return 200, dumps({"message": "SUCCESS", "resultCode": 0}), None

    def not_allowed(self):
        msg = MESSAGES[1122].replace("{0}", self.command)
        return 405, dumps(error_body(1122, msg)), None

    def int_param(self, name, default):
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise BadRequest(1018, MESSAGES[1018].format(raw, name))

    def list_sheets(self):
        sheets = self.state.listing()
        include = [s.strip() for s in self.query.get("include", "").split(",")]
        with_version = "sheetVersion" in include
        # No sheet locks here: a big sheet being rendered must not hold up
        # the list (reading a few fields of a dict is atomic enough).
        return self.offset_page([s.list_item(with_version) for s in sheets])

    def offset_page(self, items):
        """An IndexResult of items (offset paging: page, pageSize,
        includeAll)."""
        st = self.state
        total = len(items)
        if self.query.get("includeAll", "").lower() == "true" and \
                not st.args.ignore_include_all:
            return {"pageNumber": 1, "totalPages": 1, "totalCount": total,
                    "data": items}
        size = self.int_param("pageSize", 100)
        size = max(1, min(size, st.args.max_page_size))
        page = max(1, self.int_param("page", 1))
        pages = max(1, math.ceil(total / size))
        page = min(page, pages)                 # past the end: last page
        return {"pageNumber": page, "pageSize": size, "totalPages": pages,
                "totalCount": total,
                "data": items[(page - 1) * size:page * size]}

    # -- workspaces, folders, reports -----------------------------------------

    def deprecated(self, path, instead):
        self.entry["deprecated"] = True
        msg = ("%s %s is deprecated (Smartsheet, 2025-08-04) and not served "
               "here; use %s." % (self.command, path, instead))
        return 410, dumps(error_body(4005, msg)), None

    def list_workspaces(self):
        st = self.state
        with st.lock:
            items = [{k: w[k] for k in ITEM_FIELDS}
                     for w in st.tree.workspaces.values()]
        items.sort(key=item_key)
        if self.query.get("paginationType") == "token":
            size = self.int_param("maxItems", 100)
            if size < 1:
                raise BadRequest(1018, MESSAGES[1018].format(size, "maxItems"))
            return self.token_page(items, "workspaces", size)
        return self.offset_page(items)

    def list_reports(self):
        st = self.state
        with st.lock:
            items = [r.list_item() for r in st.reports.values()]
        items.sort(key=item_key)
        return self.offset_page(items)

    def children(self, kind, text_id):
        """GET /workspaces/{id}/children, GET /folders/{id}/children."""
        st = self.state
        oid = parse_id(text_id)
        raw = self.query.get("childrenResourceTypes")
        types = set(RESOURCE_TYPES.values())
        if raw is not None:
            names = [t.strip() for t in raw.split(",") if t.strip()]
            bad = [t for t in names if t not in RESOURCE_TYPES]
            if bad or not names or ("templates" in names and
                                    "sheets" not in names):
                raise BadRequest(1018, MESSAGES[1018].format(
                    raw, "childrenResourceTypes"))
            types = {RESOURCE_TYPES[t] for t in names}
        size = self.int_param("maxItems", 100)
        if size < 1:
            raise BadRequest(1018, MESSAGES[1018].format(size, "maxItems"))
        with st.lock:
            container = (kind, oid)
            if oid is None or not st.tree.exists(container):
                return 404, dumps(error_body(1006)), None
            if container in st.tree.no_access:
                return 403, dumps(error_body(1004)), None
            items = [st.child_entry(i)
                     for i in st.tree.children.get(container, {})]
            size = min(size, st.settings["max_children_page"])
        items = sorted((i for i in items
                        if i is not None and i["resourceType"] in types),
                       key=item_key)
        page = self.token_page(items, "%s:%d" % container, size)
        return 200, dumps(page), None

    def token_page(self, items, tag, size):
        """{"data", "lastKey"} (token paging) of items, which are sorted by
        item_key. lastKey: the key of the last item given and the number
        of the next page, for this list (tag) only; absent on the last
        page. The page pattern setting makes pages short or empty."""
        st = self.state
        raw = self.query.get("lastKey")
        start, number = 0, 0
        keys = [list(item_key(i)) for i in items]
        if raw:
            try:
                got = json.loads(base64.urlsafe_b64decode(
                    raw + "=" * (-len(raw) % 4)))
                if got[0] != tag or not isinstance(got[1], int) or \
                        len(got[2]) != 3:
                    raise ValueError(raw)
                start = bisect.bisect_right(keys, got[2])
                number = got[1]
            except (ValueError, TypeError, IndexError, KeyError):
                raise BadRequest(1018, MESSAGES[1018].format(raw, "lastKey"))
        with st.lock:
            pattern = st.settings["children_page_pattern"]
        if pattern:
            size = min(size, pattern[number % len(pattern)])
        page = {"data": items[start:start + size]}
        if start + size < len(items):
            last = keys[start + size - 1] if size else (
                keys[start - 1] if start else ["", "", -1])
            page["lastKey"] = base64.urlsafe_b64encode(json.dumps(
                [tag, number + 1, last]).encode()).decode().rstrip("=")
        return page

    def get_report(self, text_id):
        st = self.state
        rid = parse_id(text_id)
        with st.lock:
            report = st.reports.get(rid)
            if report is None:
                return 404, dumps(error_body(1006)), None
            if report.no_access:
                return 403, dumps(error_body(1004)), None
            sources = [st.sheets.get(s) for s in report.sources]
            cap = st.settings["max_report_page"]
        level = self.int_param("level", 0)
        include = [x.strip() for x in self.query.get("include", "").split(",")]
        size = max(1, min(self.int_param("pageSize", 100), cap))
        page = max(1, self.int_param("page", 1))
        body, gz = report.page(sources, page, size,
                               level >= 3 and "objectValue" in include,
                               self.wants_gzip())
        return 200, body, gz

    # -- row writes -----------------------------------------------------------

    def write_rows(self, sheet, token):
        """POST / PUT / DELETE /2.0/sheets/{id}/rows (fake_rows does the
        work): access, then the same-token lock (4004), then the write
        delay, then the request, all-or-nothing."""
        st = self.state
        if sheet.body.get("accessLevel") not in fake_rows.WRITE_LEVELS or (
                self.scope is not None and "WRITE_SHEETS" not in self.scope):
            return 403, dumps(error_body(1004)), None
        method = self.command
        if method == "DELETE":
            request = (self.row_ids(),
                       self.bool_param("ignoreRowsNotFound", False))
        elif not self.body:
            return 400, dumps(error_body(1024)), None
        else:
            try:
                request = json.loads(self.body.decode("utf-8"))
            except ValueError as e:
                return 400, dumps(error_body(1008, fake_rows.MESSAGES[1008]
                                             .format(e))), None
        with st.lock:
            busy = st.writing.setdefault(sheet.id, set())
            if token in busy:
                msg = BUSY_MESSAGE.format(sheet.id)
                return 500, dumps(error_body(4004, msg)), None
            busy.add(token)
        try:
            delay = st.settings["write_delay_ms"]
            if delay > 0:
                time.sleep(delay / 1000.0)
            with sheet.lock:
                return self.write_locked(sheet, method, request)
        finally:
            with st.lock:
                busy.discard(token)

    def write_locked(self, sheet, method, payload):
        st = self.state
        sheet.materialize()
        now = sheet.next_modified_at()
        used = {r["id"] for r in sheet.body["rows"]}
        user = st.user
        ctx = fake_rows.Ctx(now, sheet.body.get("accessLevel"),
                            user.get("email", "user@example.com"),
                            " ".join(x for x in (user.get("firstName"),
                                                 user.get("lastName")) if x),
                            lambda: sheet.new_row_id(used))
        try:
            if method == "DELETE":
                result, changed = fake_rows.delete_rows(sheet.body,
                                                        *payload, ctx)
            elif method == "POST":
                result, changed = fake_rows.add_rows(sheet.body, payload,
                                                     ctx), True
            else:
                result, changed = fake_rows.update_rows(sheet.body, payload,
                                                        ctx), True
        except fake_rows.RowError as e:
            body = error_body(e.code, e.message)
            if e.detail is not None:
                body["detail"] = e.detail
            return e.status, dumps(body), None
        if changed:
            sheet.touch(stamp=now)
        return 200, dumps({"message": "SUCCESS", "resultCode": 0,
                           "result": result, "version": sheet.version}), None

    def row_ids(self):
        raw = self.query.get("ids")
        if not raw:
            raise BadRequest(1009, MESSAGES[1009].format("ids"))
        out = []
        for x in raw.split(","):
            x = x.strip()
            if parse_id(x) is None:
                raise BadRequest(1018, MESSAGES[1018].format(x, "ids"))
            out.append(int(x))
        return out

    def bool_param(self, name, default):
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        if raw.lower() not in ("true", "false"):
            raise BadRequest(1018, MESSAGES[1018].format(raw, name))
        return raw.lower() == "true"


    # -- faults ---------------------------------------------------------------

    def fault_answer(self, path, auth, fault):
        kind = fault["kind"]
        if kind == "status":
            code = fault.get("errorCode", 4004)
            body = dumps(error_body(code, fault.get("message")))
            return self.send(fault.get("status", 500), body, fault=kind)
        if kind == "html":
            return self.send(fault.get("status", 502), HTML_BODY,
                             ctype="text/html", fault=kind)
        if kind == "malformed":
            return self.send(200, MALFORMED_BODY, fault=kind)
        if kind == "wrong_shape":
            return self.send(200, WRONG_SHAPE_BODY, fault=kind)
        if kind == "deep_nesting":
            return self.send(200, DEEP_NESTING_BODY, fault=kind)
        if kind == "missing_fields":
            return self.send(200, MISSING_FIELDS_BODY, fault=kind)
        if kind == "huge_string":
            body, gz = huge_string_body()
            return self.send(200, body, gz_body=gz, fault=kind)
        if kind == "truncate":
            status, body, gz = self.api_result(path, auth)
            encoding = ""
            if self.wants_gzip() and len(body) > GZIP_MIN:
                body = gz if gz is not None else gzip.compress(body)
                encoding = "gzip"
            self.close_connection = True
            return self.send(status, body[:len(body) // 2], length=len(body),
                             fault=kind, encoding=encoding)
        if kind == "reset":
            return self.reset_connection(kind)
        if kind == "answer":
            return self.send(fault.get("status", 200),
                             fault.get("body", "").encode(), fault=kind)
        raise AssertionError("unknown fault kind %r" % kind)

    def reset_connection(self, kind):
        """Log the request as status 0, then close the socket with an
        RST and no answer."""
        self.entry["status"] = 0
        self.entry["fault"] = kind
        self.state.record(self.entry)
        self.entry = None
        self.started = True
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
        # rfile holds a reference to the socket: close it too, so the
        # descriptor really closes now (with an RST, thanks to linger 0).
        self.rfile.close()
        self.connection.close()
        return None

    # -- control API ----------------------------------------------------------

    def control(self, path):
        try:
            self.control_route(path)
        except BadRequest as e:
            self.send_json(400, {"error": str(e.args[-1])})

    def control_route(self, path):
        st = self.state
        method = self.command
        if path == "/_control/reset" and method == "POST":
            st.reset()
            return self.send_json(200, {"ok": True})
        if path == "/_control/log":
            if method == "GET":
                since = self.int_param("since", 0)
                with st.lock:
                    return self.send_json(200, st.log[max(0, since):])
            if method == "DELETE":
                with st.lock:
                    st.log = []
                return self.send_json(200, {"ok": True})
        if path == "/_control/stats" and method == "GET":
            with st.lock:
                by_path, by_status = {}, {}
                for e in st.log:
                    by_path[e["path"]] = by_path.get(e["path"], 0) + 1
                    k = str(e["status"])
                    by_status[k] = by_status.get(k, 0) + 1
                return self.send_json(200, {"requests": len(st.log),
                                            "by_path": by_path,
                                            "by_status": by_status})
        if path == "/_control/fault":
            if method == "POST":
                f = self.parse_fault(self.json_body())
                with st.lock:
                    st.faults.append(f)
                    n = len(st.faults)
                return self.send_json(200, {"faults": n})
            if method == "DELETE":
                with st.lock:
                    st.faults = []
                return self.send_json(200, {"ok": True})
        if path == "/_control/tokens" and method == "POST":
            req = self.json_body()
            lists = {k: req.get(k) or [] for k in ("add", "expire", "remove")}
            for k, v in lists.items():
                if not isinstance(v, list) or \
                        not all(isinstance(t, str) for t in v):
                    raise BadRequest("%s must be a list of strings" % k)
            with st.lock:
                for t in lists["add"]:
                    st.valid_tokens.add(t)
                    st.expired_tokens.discard(t)
                for t in lists["expire"]:
                    st.valid_tokens.discard(t)
                    st.expired_tokens.add(t)
                for t in lists["remove"]:
                    st.valid_tokens.discard(t)
                    st.expired_tokens.discard(t)
            return self.send_json(200, {"ok": True})
        if path.startswith("/_control/oauth"):
            return self.control_oauth(path)
        if path == "/_control/rate" and method == "POST":
            n = self.json_body().get("per_minute")
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                raise BadRequest("per_minute must be a count")
            with st.lock:
                st.rate = n
            return self.send_json(200, {"ok": True})
        if path == "/_control/shutdown" and method == "POST":
            self.close_connection = True
            self.send_json(200, {"ok": True})
            threading.Thread(target=self.server.shutdown, daemon=True).start()
            return None
        if path == "/_control/sheets":
            if method == "GET":
                out = []
                for s in st.listing():
                    out.append({"id": s.id, "name": s.body.get("name"),
                                "version": s.version,
                                "modifiedAt": s.body.get("modifiedAt"),
                                "rows": s.row_count()})
                return self.send_json(200, out)
            if method == "POST":
                raw = self.json_body()
                if not isinstance(raw, dict):
                    raise BadRequest("a sheet must be a JSON object")
                try:
                    sheet = make_fixture_sheet(raw)
                except ValueError as e:
                    raise BadRequest(str(e))
                sheet.dirty = True
                with st.lock:
                    st.sheets[sheet.id] = sheet
                return self.send_json(200, {"id": sheet.id,
                                            "version": sheet.version})
        if self.control_account(path) is not False:
            return None
        m = re.match(r"^/_control/sheets/(\d+)(/update)?$", path)
        if m:
            sid = int(m.group(1))
            sheet = st.get_sheet(sid)
            if sheet is None:
                return self.send_json(404, {"error": "no sheet %d" % sid})
            if m.group(2) and method == "POST":
                req = self.json_body()
                if not isinstance(req, dict):
                    raise BadRequest("the update must be a JSON object")
                with sheet.lock:
                    try:
                        sheet.apply_update(req)
                    except ValueError as e:
                        raise BadRequest(str(e))
                    version = sheet.version
                return self.send_json(200, {"version": version})
            if not m.group(2) and method == "DELETE":
                with st.lock:
                    st.forget([("sheet", sid)])
                return self.send_json(200, {"ok": True})
        return self.send_json(404, {"error": "no control route %s %s"
                                    % (method, path)})

    # -- control API: the tree, reports, settings -----------------------------

    def control_account(self, path):
        """Returns False when path is none of these calls."""
        st = self.state
        method = self.command

        def request():
            req = self.json_body() if method == "POST" else {}
            if not isinstance(req, dict):
                raise BadRequest("the request must be a JSON object")
            return req

        if path == "/_control/settings" and method in ("GET", "POST"):
            new = parse_settings(request())
            with st.lock:
                st.settings.update(new)
                return self.send_json(200, dict(st.settings))
        if path == "/_control/tree" and method == "GET":
            with st.lock:
                return self.send_json(200, self.tree_view())
        if path == "/_control/access" and method == "POST":
            req = request()
            with st.lock:
                self.set_access(req)
            return self.send_json(200, {"ok": True})
        m = re.match(r"^/_control/(workspace|folder|report)s(?:/(\d+))?$",
                     path)
        if m:
            kind = m.group(1)
            oid = int(m.group(2)) if m.group(2) else None
            req = request()
            with st.lock:
                if oid is None and method == "POST":
                    return self.send_json(200, {"id": self.create(kind,
                                                                  req)})
                if oid is None and method == "GET" and kind == "report":
                    return self.send_json(200, [
                        r.definition() for r in sorted(
                            st.reports.values(), key=lambda r: r.id)])
                if oid is not None and method in ("POST", "DELETE"):
                    if not self.known(kind, oid):
                        return self.send_json(404, {"error": "no %s %d"
                                                    % (kind, oid)})
                    if method == "POST":
                        self.edit(kind, oid, req)
                    elif kind == "report":
                        st.forget([("report", oid)])
                    else:
                        st.forget(st.tree.remove((kind, oid)))
                    return self.send_json(200, {"ok": True})
        m = re.match(r"^/_control/sheets/(\d+)(/move)?$", path)
        if m and method == ("POST" if m.group(2) else "GET"):
            req = request()
            sheet = st.get_sheet(int(m.group(1)))
            if sheet is None:
                return self.send_json(404, {"error": "no sheet %s"
                                            % m.group(1)})
            with st.lock:
                if m.group(2):
                    if "parent" not in req:
                        raise BadRequest("parent (or null) is required")
                    st.tree.place(("sheet", sheet.id),
                                  self.container(req["parent"], True))
                    return self.send_json(200, {"ok": True})
                parent = st.tree.parent.get(("sheet", sheet.id))
            with sheet.lock:
                out = {k: v for k, v in sheet.body.items() if k != "rows"}
                out["columns"] = sheet.columns()
                out["rows"] = list(sheet.iter_rows())
            out["parent"] = None if parent is None else {parent[0]: parent[1]}
            return self.send_json(200, out)
        return False

    def known(self, kind, oid):
        st = self.state
        if kind == "report":
            return oid in st.reports
        return st.tree.exists((kind, oid))

    def container(self, spec, none_ok):
        """{"workspace": id} or {"folder": id} (or null when none_ok) as a
        container that exists."""
        st = self.state
        if spec is None and none_ok:
            return None
        if not isinstance(spec, dict) or len(spec) != 1:
            raise BadRequest('parent must be {"workspace": id} or '
                             '{"folder": id}' + (" or null" if none_ok
                                                 else ""))
        (kind, oid), = spec.items()
        if kind not in ("workspace", "folder") or not fake_rows.is_int(oid) \
                or not st.tree.exists((kind, oid)):
            raise BadRequest("no container %s" % json.dumps(spec))
        return kind, oid

    def create(self, kind, req):
        """A new workspace, folder or report; returns its id."""
        st = self.state
        oid = req.get("id")
        if oid is None:
            oid = {"workspace": 1100000000010000, "folder": 1200000000010000,
                   "report": 1400000000010000}[kind]
            while self.known(kind, oid):
                oid += 1
        elif not fake_rows.is_int(oid) or not 0 < oid <= INT64_MAX or \
                self.known(kind, oid):
            raise BadRequest("id must be a new positive 64-bit integer")
        if not isinstance(req.get("name"), str):
            raise BadRequest("name (a string) is required")
        level = check_level(req.get("accessLevel", "OWNER"))
        if kind == "workspace":
            st.tree.workspaces[oid] = {"id": oid, "name": req["name"],
                                       "accessLevel": level,
                                       "permalink": permalink(kind, oid)}
        elif kind == "folder":
            parent = self.container(req.get("parent"), False)
            st.tree.folders[oid] = {"id": oid, "name": req["name"],
                                    "permalink": permalink(kind, oid)}
            st.tree.place(("folder", oid), parent)
        else:
            parent = self.container(req.get("parent"), True)
            d = self.report_definition(req, {"id": oid, "name": req["name"],
                                             "accessLevel": level})
            now = fmt_time(time.time())
            d.update(createdAt=now, modifiedAt=now)
            report = Report(d)
            report.dirty = True
            st.reports[oid] = report
            st.tree.place(("report", oid), parent)
        return oid

    def report_definition(self, req, base):
        """sources, columns, sheetNameColumn from req over base."""
        st = self.state
        d = dict(base)
        for k in ("sources", "columns", "sheetNameColumn"):
            if k in req:
                d[k] = req[k]
        srcs, titles = d.get("sources"), d.get("columns")
        if not isinstance(srcs, list) or not all(
                fake_rows.is_int(x) and x in st.sheets for x in srcs):
            raise BadRequest("sources must be a list of sheet ids")
        if not isinstance(titles, list) or not titles or \
                not all(isinstance(t, str) for t in titles) or \
                len(set(titles)) != len(titles):
            raise BadRequest("columns must be a list of distinct titles")
        if not isinstance(d.get("sheetNameColumn", False), bool):
            raise BadRequest("sheetNameColumn must be true or false")
        return d

    def edit(self, kind, oid, req):
        """Rename (all), move (folder, report), redefine (report)."""
        st = self.state
        allowed = {"workspace": ("name", "accessLevel"),
                   "folder": ("name", "parent"),
                   "report": ("name", "accessLevel", "parent", "sources",
                              "columns", "sheetNameColumn")}[kind]
        extra = set(req) - set(allowed)
        if extra:
            raise BadRequest("unknown key(s) %s; %s takes %s" % (
                ", ".join(sorted(extra)), kind, ", ".join(allowed)))
        if "name" in req and not isinstance(req["name"], str):
            raise BadRequest("name must be a string")
        level = check_level(req["accessLevel"]) if "accessLevel" in req \
            else None
        if kind == "workspace":
            ws = st.tree.workspaces[oid]
            ws["name"] = req.get("name", ws["name"])
            ws["accessLevel"] = level or ws["accessLevel"]
        elif kind == "folder":
            if "parent" in req:
                parent = self.container(req["parent"], False)
                if parent == ("folder", oid) or \
                        parent in st.tree.subtree(("folder", oid)):
                    raise BadRequest("a folder cannot move into itself")
                st.tree.place(("folder", oid), parent)
            folder = st.tree.folders[oid]
            folder["name"] = req.get("name", folder["name"])
        else:
            report = st.reports[oid]
            d = self.report_definition(req, {
                "sources": list(report.spec.sources),
                "columns": list(report.spec.titles),
                "sheetNameColumn": report.spec.sheet_name_column})
            if "parent" in req:
                st.tree.place(("report", oid),
                              self.container(req["parent"], True))
            spec = report.spec
            report.define(d, name=req.get("name", spec.name),
                          access=level or spec.access,
                          modified=max(fmt_time(time.time()), fmt_time(
                              parse_time(spec.modified) + 1)))
            report.dirty = True

    def set_access(self, req):
        """POST /_control/access: {"sheet"|"report"|"folder"|"workspace":
        id, "noAccess": bool, "accessLevel": level}."""
        st = self.state
        kinds = [k for k in ("sheet", "report", "folder", "workspace")
                 if k in req]
        if len(kinds) != 1 or set(req) - {kinds[0], "noAccess",
                                          "accessLevel"}:
            raise BadRequest("give one of sheet, report, folder, workspace "
                             "(an id), with noAccess and/or accessLevel")
        kind, oid = kinds[0], req[kinds[0]]
        level = req.get("accessLevel")
        if level is not None:
            check_level(level)
            if kind == "folder":
                raise BadRequest("a folder has its workspace's accessLevel")
        deny = req.get("noAccess")
        if deny is not None and not isinstance(deny, bool):
            raise BadRequest("noAccess must be true or false")
        if kind == "sheet":
            obj = st.sheets.get(oid)
        elif kind == "report":
            obj = st.reports.get(oid)
        else:
            obj = st.tree.workspaces.get(oid) if kind == "workspace" \
                else st.tree.folders.get(oid)
        if obj is None:
            raise BadRequest("no %s %s" % (kind, oid))
        if kind == "sheet":
            with obj.lock:
                if level:
                    obj.body["accessLevel"] = level
                if deny is not None:
                    obj.private["_noAccess"] = deny
                obj.dirty = True
                obj.cache = {}
        elif kind == "report":
            obj.spec = obj.spec._replace(access=level or obj.spec.access)
            obj.no_access = obj.no_access if deny is None else deny
            obj.dirty = True
        else:
            if level:
                obj["accessLevel"] = level
            if deny is not None:
                (st.tree.no_access.add if deny else
                 st.tree.no_access.discard)((kind, oid))

    def tree_view(self):
        """GET /_control/tree (call with the State lock held)."""
        st = self.state

        def node(item):
            entry = st.child_entry(item)
            if entry is None:
                return None
            if item in st.tree.no_access:
                entry["noAccess"] = True
            if item[0] in ("workspace", "folder"):
                kids = [node(i) for i in st.tree.children.get(item, {})]
                entry["children"] = sorted((k for k in kids if k),
                                           key=item_key)
            return entry

        return {"workspaces": sorted((node(("workspace", w))
                                      for w in st.tree.workspaces),
                                     key=item_key),
                "unplaced": {"sheets": sorted(
                    s for s in st.sheets if ("sheet", s) not in
                    st.tree.parent),
                    "reports": sorted(r for r in st.reports
                                      if ("report", r) not in
                                      st.tree.parent)}}

    def control_oauth(self, path):
        st = self.state
        method = self.command
        if path == "/_control/oauth":
            if method == "GET":
                with st.lock:
                    return self.send_json(200, st.oauth_view())
            if method == "POST":
                req = self.json_body()
                if not isinstance(req, dict):
                    raise BadRequest("the settings must be a JSON object")
                kinds = {"client_id": str, "client_secret": str,
                         "redirect_uri": str, "code_ttl_ms": int,
                         "access_ttl_s": int, "deny": bool, "error": str}
                for k, v in req.items():
                    want = kinds.get(k)
                    if want is None:
                        raise BadRequest("unknown setting %r" % k)
                    if k == "error" and v is None:
                        continue                # null: no forced error
                    if not isinstance(v, want) or (want is int and (
                            isinstance(v, bool) or v < 0)):
                        raise BadRequest("%s must be %s" % (
                            k, {str: "a string", bool: "true or false",
                                int: "a non-negative integer"}[want]))
                with st.lock:
                    st.oauth.update(req)
                return self.send_json(200, {"ok": True})
        if path == "/_control/oauth/code" and method == "POST":
            req = self.json_body()
            if not isinstance(req, dict):
                raise BadRequest("the request must be a JSON object")
            scope = req.get("scope", "READ_SHEETS")
            if not isinstance(scope, str) or not scope.split() or any(
                    s not in SCOPES for s in scope.split()):
                raise BadRequest("scope must be space-separated scope names")
            with st.lock:
                code, ttl = st.mint_code(st.oauth["client_id"],
                                         " ".join(scope.split()))
            return self.send_json(200, {"code": code, "expires_in": ttl})
        if path in ("/_control/oauth/revoke", "/_control/oauth/expire") \
                and method == "POST":
            revoke = path.endswith("/revoke")
            req = self.json_body()
            if not isinstance(req, dict):
                raise BadRequest("the request must be a JSON object")
            keys = ("all", "access_token", "refresh_token") if revoke \
                else ("all", "access_token")
            given = [k for k in keys if k in req]
            if len(given) != 1 or set(req) - set(keys):
                raise BadRequest("give exactly one of %s" % ", ".join(keys))
            k = given[0]
            if k == "all" and req[k] is not True:
                raise BadRequest("all must be true")
            if k != "all" and not isinstance(req[k], str):
                raise BadRequest("%s must be a string" % k)
            with st.lock:
                if k == "all":
                    pairs = list(st.by_refresh.values())
                else:
                    index = st.by_access if k == "access_token" \
                        else st.by_refresh
                    pairs = [index[req[k]]] if req[k] in index else []
                for p in pairs:
                    if revoke:
                        st.kill_pair(p)
                    else:
                        p["expired"] = True
            return self.send_json(200, {"revoked" if revoke else "expired":
                                        len(pairs)})
        return self.send_json(404, {"error": "no control route %s %s"
                                    % (method, path)})

    def parse_fault(self, req):
        if not isinstance(req, dict):
            raise BadRequest("a fault must be a JSON object")
        f = dict(req)
        f.setdefault("kind", "status")
        f.setdefault("times", 1)
        if f["kind"] not in FAULT_KINDS:
            raise BadRequest("kind must be one of %s" % ", ".join(FAULT_KINDS))
        if f["kind"] == "huge_string":
            huge_string_body()
        if not isinstance(f.get("path"), str):
            raise BadRequest("path (a regex) is required")
        try:
            f["re"] = re.compile(f["path"])
        except re.error as e:
            raise BadRequest("bad path regex: %s" % e)
        if not isinstance(f["times"], int) or f["times"] < -1 \
                or f["times"] == 0:
            raise BadRequest("times must be -1 or a positive count")
        for k in ("status", "errorCode", "delay_ms"):
            if k in f and (not isinstance(f[k], int) or f[k] < 0):
                raise BadRequest("%s must be a non-negative integer" % k)
        if not isinstance(f.get("body", ""), str):
            raise BadRequest("body must be a string")
        return f


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, socket.timeout, ssl.SSLError)):
            return                      # (a client refusing our TLS cert too)
        eprint("unhandled error for", client_address)
        traceback.print_exc(file=sys.stderr)


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------

def parse_big(text):
    m = re.fullmatch(r"(\d+)[xX](\d+)", text)
    if not m or int(m.group(1)) < 0 or int(m.group(2)) < 1:
        raise argparse.ArgumentTypeError("expected ROWSxCOLS, e.g. 20000x25")
    return int(m.group(1)), int(m.group(2))


def parse_tree(text):
    m = re.fullmatch(r"(\d+),(\d+),(\d+)", text)
    if not m or not all(0 < int(x) <= 1000 for x in m.groups()) or \
            math.prod(int(x) for x in m.groups()) > 100000:
        raise argparse.ArgumentTypeError(
            "expected W,F,S (workspaces, folders each, sheets each; at most "
            "100000 sheets), e.g. 20,10,10")
    return tuple(int(x) for x in m.groups())


def parse_pattern_arg(text):
    try:
        return parse_pattern([int(x) for x in text.split(",")])
    except ValueError as e:
        raise argparse.ArgumentTypeError("expected sizes like 0,1,3: %s" % e)


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Fake Smartsheet API server (see the module docstring).")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--port-file")
    where.add_argument("--port", type=int)
    p.add_argument("--fixtures", default=os.path.join(HERE, "fixtures"))
    p.add_argument("--account", choices=("default", "sdk"), default="default")
    p.add_argument("--scenarios", default=os.path.normpath(os.path.join(
        HERE, "..", "..", "..", "shared", "smartsheet-sdk-scenarios")))
    p.add_argument("--log")
    p.add_argument("--token", action="append")
    p.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    p.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    p.add_argument("--redirect-uri", default=DEFAULT_REDIRECT_URI)
    p.add_argument("--code-ttl-ms", type=int, default=DEFAULT_CODE_TTL_MS)
    p.add_argument("--access-ttl", type=int, default=DEFAULT_ACCESS_TTL_S)
    p.add_argument("--max-page-size", type=int, default=100)
    # Page even when asked for includeAll=true (a server that ignores it).
    p.add_argument("--ignore-include-all", action="store_true")
    p.add_argument("--rate-per-min", type=int, default=0)
    p.add_argument("--generate", type=int, default=0)
    p.add_argument("--generate-medium", type=int, default=0)
    p.add_argument("--big", type=parse_big)
    p.add_argument("--generate-tree", type=parse_tree)
    p.add_argument("--big-folder", type=int, default=0)
    p.add_argument("--big-report", type=int, default=0)
    p.add_argument("--max-children-page", type=int, default=100)
    p.add_argument("--children-page-pattern", type=parse_pattern_arg,
                   default=[])
    p.add_argument("--max-report-page", type=int, default=MAX_REPORT_PAGE)
    p.add_argument("--write-delay-ms", type=int, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--throttle-bytes-per-sec", type=int, default=0)
    p.add_argument("--max-seconds", type=float, default=3600)
    p.add_argument("--parent-pid", type=int)
    p.add_argument("--verbose", action="store_true")
    # HTTPS instead of HTTP (the control API too): a PEM certificate and key.
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    args = p.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if not args.token:
        args.token = [DEFAULT_TOKEN]
    if args.max_page_size < 1:
        p.error("--max-page-size must be at least 1")
    if args.code_ttl_ms < 0 or args.access_ttl < 0:
        p.error("--code-ttl-ms and --access-ttl must not be negative")
    for name, (lo, hi) in SETTING_RANGES.items():
        if not lo <= getattr(args, name) <= hi:
            p.error("--%s must be in %d..%d" % (name.replace("_", "-"),
                                                 lo, hi))
    if not 0 <= args.big_folder <= 10000:
        p.error("--big-folder must be in 0..10000")
    if not 0 <= args.big_report <= MAX_REPORT_ROWS:
        p.error("--big-report must be in 0..%d (Smartsheet's limit)"
                % MAX_REPORT_ROWS)
    return args


def parent_alive(pid):
    """True while process pid runs (a dead one is gone or a zombie)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True


def watchdog(deadline, parent_pid):
    while True:
        if time.monotonic() >= deadline:
            eprint("--max-seconds reached, exiting")
            os._exit(0)
        if parent_pid is not None and not parent_alive(parent_pid):
            eprint("parent %d is gone, exiting" % parent_pid)
            os._exit(0)
        time.sleep(0.2)


def prewarm(state):
    """Build the big sheet's and the big report's bytes in the background,
    so the first GET is fast. Done for the forms smartsheetfs asks for
    (sheets: level=2, objectValue; reports: level=3, objectValue,
    pageSize=10000)."""
    t0 = time.monotonic()
    s = state.get_sheet(BIG_ID)
    if s is not None:
        with s.lock:
            s.render(True)
            s.render_gzip(True)
    with state.lock:
        report = state.reports.get(BIG_REPORT_ID)
        sources = [state.sheets.get(i) for i in report.sources] \
            if report else []
    if report is not None:
        pages = math.ceil(state.args.big_report / MAX_REPORT_PAGE)
        for page in range(1, pages + 1):
            report.page(sources, page, MAX_REPORT_PAGE, True, True)
    if state.args.verbose:
        eprint("big sheet and report ready in %.2f s"
               % (time.monotonic() - t0))


def main(argv=None):
    args = parse_args(argv)
    deadline = time.monotonic() + args.max_seconds
    state = State(args)
    Handler.state = state
    server = Server(("127.0.0.1", args.port or 0), Handler)
    port = server.server_address[1]
    scheme = "http"
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        # The handshake happens in the handler thread, on the first read,
        # so a client that stalls or refuses the cert blocks nobody else.
        server.socket = ctx.wrap_socket(server.socket, server_side=True,
                                        do_handshake_on_connect=False)
        scheme = "https"

    threading.Thread(target=watchdog, args=(deadline, args.parent_pid),
                     daemon=True).start()
    if args.big or args.big_report:
        threading.Thread(target=prewarm, args=(state,), daemon=True).start()

    def on_term(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_term)

    if args.port_file:
        tmp = args.port_file + ".tmp.%d" % os.getpid()
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    try:
        print("fake_smartsheet listening on %s://127.0.0.1:%d/2.0" %
              (scheme, port), flush=True)
    except OSError:
        pass                            # nobody reads stdout: fine
    try:
        server.serve_forever(poll_interval=0.2)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
