/**
 * The argument list of `udf-studio submit --args FILE`: a JSON array (of values, or of objects of
 * parameters), or a CSV file whose header row names the parameters (values stay strings and are
 * converted by the UDF's annotations, as on the command line).
 */

import { UsageError } from './cli-error.js';

/** Reads the file's text as JSON or CSV (by extension; otherwise by its first character). */
export function parseArgList(text: string, fileName: string): unknown[] {
  const csv = /\.csv$/i.test(fileName) || (!/\.json$/i.test(fileName) && !/^\s*[[{]/.test(text));
  const items = csv ? parseCsv(text, fileName) : parseJson(text, fileName);
  if (items.length === 0) throw new UsageError(`${fileName} has no arguments: nothing to run`);
  return items;
}

function parseJson(text: string, fileName: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${fileName} is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(value)) throw new UsageError(`${fileName} must hold a JSON array (of values, or of objects of parameters)`);
  return value;
}

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string, fileName: string): Record<string, string>[] {
  const rows = csvRows(text.replace(/^\uFEFF/, ''), fileName).filter((row) => !(row.length === 1 && row[0] === ''));
  const [header, ...body] = rows;
  if (!header) return [];
  for (const name of header) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`${fileName}: column "${name}" is not a parameter name (a Python identifier)`);
  }
  if (new Set(header).size !== header.length) throw new UsageError(`${fileName}: the header names a column twice`);
  return body.map((row, index) => {
    if (row.length !== header.length) throw new UsageError(`${fileName}: row ${index + 2} has ${row.length} fields; the header has ${header.length}`);
    return Object.fromEntries(header.map((name, column) => [name, row[column] as string]));
  });
}

function csvRows(text: string, fileName: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i] as string;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') {
        quoted = false;
      } else {
        if (char === '\n') line += 1;
        field += char;
      }
    } else if (char === '"' && field === '') {
      quoted = true;
    } else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      line += 1;
    } else {
      field += char;
    }
  }
  if (quoted) throw new UsageError(`${fileName}: a quoted field opened before line ${line} is never closed`);
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
