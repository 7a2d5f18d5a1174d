"""The engine's `/parquet-viewer` page: a Parquet file's schema and first rows as HTML.

Fused's web app has a Parquet viewer at `{base_web_url}/parquet-viewer?key=SIGNED_URL`, which
file openers (the catalogue's Preview_Parquet) put in an iframe. The engine answers that URL by
running this UDF on the file the signed URL names (src-main/engine/server/routes/file-routes.ts).
"""

from __future__ import annotations

import html

import fused

ROWS = 100


@fused.udf
def udf(path: str = "", name: str = "") -> str:
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path)
    metadata = file.metadata
    batch = next(file.iter_batches(batch_size=ROWS), None)
    columns = [field.name for field in file.schema_arrow]
    rows = batch.to_pylist() if batch is not None else []
    schema = "".join(
        f"<tr><td>{html.escape(field.name)}</td><td>{html.escape(str(field.type))}</td></tr>"
        for field in file.schema_arrow
    )
    head = "".join(f"<th>{html.escape(column)}</th>" for column in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(row.get(column))}</td>" for column in columns) + "</tr>"
        for row in rows
    )
    title = html.escape(name or path)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title><style>
body {{ font: 13px system-ui, sans-serif; margin: 16px; color: #222; background: #fff; }}
table {{ border-collapse: collapse; margin-bottom: 16px; }}
th, td {{ border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }}
th {{ background: #f2f2f2; }}
td {{ max-width: 24em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }}
</style></head><body>
<h1>{title}</h1>
<p>{metadata.num_rows} rows, {metadata.num_columns} columns, {metadata.num_row_groups} row groups;
the first {len(rows)} rows below.</p>
<h2>Schema</h2>
<table><tr><th>column</th><th>type</th></tr>{schema}</table>
<h2>Rows</h2>
<table><tr>{head}</tr>{body}</table>
</body></html>
"""


def _cell(value: object) -> str:
    """A value as a table cell: bytes (WKB geometry, say) by their size, the rest as text."""
    if isinstance(value, bytes | bytearray):
        return f"&lt;{len(value)} bytes&gt;"
    return html.escape(str(value))
