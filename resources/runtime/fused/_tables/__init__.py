"""Geopartitioned tables: the folder layout Fused reads, written by `fused.ingest` and read by
`fused.get_chunks_metadata` and `fused.get_chunk_from_table`.

`layout` is the format (file names, the chunk metadata and how it is stored), `storage` finds a
table's files (a local folder, `fd://`, or `s3://` through fsspec), `read` reads tables,
`partition` groups rows into files and chunks, `prepare` turns an ingest's input into rows in
EPSG:4326, `write` writes one data file and the `_sample` file, and `ingest` runs the whole
ingestion as a job. Nothing here imports pandas, geopandas or pyarrow before it is used.
"""
