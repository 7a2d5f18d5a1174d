"""UDF Studio on a Dask cluster: the task a Dask worker runs, and the engine's bridge process."""
