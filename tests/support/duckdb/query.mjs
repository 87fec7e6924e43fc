// Run one SQL query with DuckDB and print the rows as JSON (one array).
// Used by tests/integration/test_clients.py: node query.mjs "SQL".
import { DuckDBInstance } from '@duckdb/node-api';

const sql = process.argv[2];
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
const reader = await con.runAndReadAll(sql);
process.stdout.write(JSON.stringify(reader.getRowObjectsJson()) + '\n');
