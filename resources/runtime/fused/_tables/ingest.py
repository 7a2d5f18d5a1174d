"""`fused.ingest`: a dataset written as a geopartitioned table, here.

As in Fused, `fused.ingest(...)` checks its options and returns the job without running it;
`.run_batch()` (or `.run_remote()`) runs it and waits. The input is read, cleaned and partitioned
in this process and staged once (`write`); the data files are then written as a job of one run
per file: on the running engine when there is one (its workers; the job shows in the window's
Jobs view), else in threads here, with a progress bar either way. The table is built in a hidden
folder beside `output` and renamed into place when complete, so a failed or interrupted ingest
leaves nothing behind and readers never see half a table.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, get_args

from .._errors import NotSupportedYetError
from .._invoke import in_worker
from .._job_pool import JobPool
from .._load import load_code
from .._shared_disk import bucket, map_path, shared_disk, studio_home
from .._submit import submit
from .layout import BBOX_COLUMNS, SAMPLE_FILE, check_file_id, data_file_name
from .partition import SplitMethod, Splitting, assign_to_chunks, split_groups, utm_zones
from .prepare import (
    PartitioningMethod,
    ReadOptions,
    RowOptions,
    is_frame,
    load_input,
    prepare_rows,
    row_weights,
)
from .write import staged_table, write_sample, write_staging

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

ForceUtm = Literal["file", "chunk"]
# The documented defaults when a maximum is not given: these fractions of the input's total.
DEFAULT_FILE_SHARE: Final = 10
DEFAULT_CHUNK_SHARE: Final = 100
STAGING_FILE: Final = "_staging.arrow"
# A job's name shows in the Jobs view; the engine takes names of this shape.
_JOB_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")
_JOB_NAME_LENGTH: Final = 100
# One run of the job: one data file, written in the engine's worker (or a thread here).
_WRITER_CODE: Final = '''\
@fused.udf
def udf(staging: str, start: int, count: int, target: str, file_id: str):
    """Write one data file of a table that fused.ingest is writing; its chunks' metadata."""
    from fused._tables.write import write_data_file

    return write_data_file(staging, start, count, target, file_id)
'''


@dataclass(frozen=True)
class Partitioning:
    """How rows are grouped into files and chunks (the ingest's `partitioning_*` options)."""

    method: PartitioningMethod
    maximum_per_file: float | None
    maximum_per_chunk: float | None
    splitting: Splitting
    force_utm: ForceUtm | None
    schema_input: Any


@dataclass(frozen=True)
class IngestResult:
    """A written table: where (`output` as given, `path` on this machine) and its size."""

    output: str
    path: str
    rows: int
    files: int
    chunks: int

    def __repr__(self) -> str:
        return (
            f"<IngestResult {self.output!r}: {self.rows} rows in {self.files} files, "
            f"{self.chunks} chunks>"
        )


@dataclass(frozen=True, eq=False)
class IngestJob:
    """An ingestion, checked and ready to run: `run_batch()` (or `run_remote()`) runs it here
    and returns an `IngestResult`."""

    input: Any = field(repr=False)
    output: str
    overwrite: bool
    read: ReadOptions = field(repr=False)
    rows: RowOptions = field(repr=False)
    partitioning: Partitioning = field(repr=False)
    write_covering_bbox: bool = field(repr=False)

    def run_batch(
        self,
        instance_type: str | None = None,
        *,
        region: str | None = None,
        disk_size_gb: int | None = None,
        additional_env: list[str] | None = None,
        image_name: str | None = None,
        ignore_no_udf: bool = False,
        validate_inputs: bool = True,
        overwrite: bool | None = None,
        send_status_email: bool | None = None,
        name: str | None = None,
        engine: str | None = None,
    ) -> IngestResult:
        """Run the ingestion on this machine and wait for it (with a progress bar).

        The data files are written as a job on the running engine (shown in its Jobs view), or
        in threads here without one or with `engine="local"`. `overwrite` replaces the option
        given to `fused.ingest`; `name` names the job. The instance, region, disk, environment,
        image and e-mail options of Fused's batch machines have no meaning here.
        """
        replace = self.overwrite if overwrite is None else _flag(overwrite, "overwrite")
        if engine not in (None, "local"):
            raise ValueError(
                "an ingestion writes its files on this machine: engine must be None (the "
                f"running engine, else this process) or 'local' (this process), not {engine!r}"
            )
        return _run(self, replace, name, engine)

    run_remote = run_batch


def ingest(
    input: Any,
    output: str | None = None,
    *,
    output_metadata: str | None = None,
    schema: Any = None,
    file_suffix: str | None = None,
    load_columns: Sequence[str] | None = None,
    remove_cols: Sequence[str] | None = None,
    explode_geometries: bool = False,
    drop_out_of_bounds: bool | None = None,
    partitioning_method: PartitioningMethod = "rows",
    partitioning_maximum_per_file: int | float | None = None,
    partitioning_maximum_per_chunk: int | float | None = None,
    partitioning_max_width_ratio: int | float = 2,
    partitioning_max_height_ratio: int | float = 2,
    partitioning_force_utm: ForceUtm | None = "chunk",
    partitioning_split_method: SplitMethod = "mean",
    subdivide_method: Literal["area"] | None = None,
    subdivide_start: float | None = None,
    subdivide_stop: float | None = None,
    split_identical_centroids: bool = True,
    target_num_chunks: int = 500,
    lonlat_cols: tuple[str, str] | None = None,
    partitioning_schema_input: str | pd.DataFrame | None = None,
    gdal_config: Any = None,
    overwrite: bool = False,
    write_covering_bbox: bool = False,
    as_udf: bool = False,
) -> IngestJob:
    """Check an ingestion of `input` into a geopartitioned table at `output`; run it with
    `.run_batch()`.

    `input` is a GeoDataFrame, a DataFrame with `lonlat_cols`, or files (a path, `fd://...`,
    a folder, or a list of them; parquet or anything GDAL reads). `output` is a folder: a path,
    `fd://...` (the home's bucket) or `/mnt/cache/...`. Rows are grouped into files and chunks
    by `partitioning_method` ("rows", "area", "length", "coords"), at most
    `partitioning_maximum_per_file` and `partitioning_maximum_per_chunk` each (by default 1/10
    and 1/100 of the total). `target_num_chunks` is accepted as Fused's API has it; the
    defaults above decide here. `partitioning_schema_input` (a table, or a DataFrame of
    `file_id`, `chunk_id` and bbox columns) reuses another table's partitioning.
    """
    if as_udf:
        raise NotSupportedYetError(
            "fused.ingest(..., as_udf=True) builds a UDF for Fused's cloud engine; here run "
            "fused.ingest(...).run_batch(), which runs the ingestion as a job on this machine"
        )
    if output_metadata is not None:
        raise NotSupportedYetError(
            "output_metadata is not written here: the chunk metadata is in the table's "
            "_sample file, read with fused.get_chunks_metadata(output)"
        )
    if schema is not None:
        raise NotSupportedYetError(
            "schema is not applied here: the table takes the input's column types "
            "(cast the columns before ingesting)"
        )
    _check_input(input)
    target = _output_text(output)
    if (subdivide_start is not None or subdivide_stop is not None) and subdivide_method is None:
        raise ValueError('subdivide_start and subdivide_stop need subdivide_method="area"')
    _choice(subdivide_method, "subdivide_method", ("area", None))
    if subdivide_method is not None and subdivide_start is None:
        raise ValueError(
            'subdivide_method="area" needs subdivide_start: the area (in square degrees) '
            "above which geometries are cut into parts"
        )
    start = _positive(subdivide_start, "subdivide_start")
    stop = _positive(subdivide_stop, "subdivide_stop")
    if start is not None and stop is not None and stop > start:
        raise ValueError(f"subdivide_stop ({stop}) must not be above subdivide_start ({start})")
    _positive(target_num_chunks, "target_num_chunks")
    if isinstance(target_num_chunks, float):
        raise TypeError(f"target_num_chunks must be a whole number, not {target_num_chunks!r}")
    layer, open_options = _gdal_options(gdal_config)
    drop = True if drop_out_of_bounds is None else _flag(drop_out_of_bounds, "drop_out_of_bounds")
    return IngestJob(
        input=input,
        output=target,
        overwrite=_flag(overwrite, "overwrite"),
        read=ReadOptions(
            file_suffix=_text_or_none(file_suffix, "file_suffix"),
            lonlat_cols=_lonlat(lonlat_cols),
            layer=layer,
            open_options=open_options,
        ),
        rows=RowOptions(
            load_columns=_names(load_columns, "load_columns"),
            remove_cols=_names(remove_cols, "remove_cols") or [],
            explode_geometries=_flag(explode_geometries, "explode_geometries"),
            drop_out_of_bounds=drop,
            subdivide_start=start,
            subdivide_stop=stop,
        ),
        partitioning=Partitioning(
            method=_choice(
                partitioning_method, "partitioning_method", get_args(PartitioningMethod)
            ),
            maximum_per_file=_positive(
                partitioning_maximum_per_file, "partitioning_maximum_per_file"
            ),
            maximum_per_chunk=_positive(
                partitioning_maximum_per_chunk, "partitioning_maximum_per_chunk"
            ),
            splitting=Splitting(
                max_width_ratio=_required_positive(
                    partitioning_max_width_ratio, "partitioning_max_width_ratio"
                ),
                max_height_ratio=_required_positive(
                    partitioning_max_height_ratio, "partitioning_max_height_ratio"
                ),
                method=_choice(
                    partitioning_split_method, "partitioning_split_method", get_args(SplitMethod)
                ),
                split_identical_centroids=_flag(
                    split_identical_centroids, "split_identical_centroids"
                ),
            ),
            force_utm=_choice(
                partitioning_force_utm, "partitioning_force_utm", ("file", "chunk", None)
            ),
            schema_input=_schema_input(partitioning_schema_input),
        ),
        write_covering_bbox=_flag(write_covering_bbox, "write_covering_bbox"),
    )


# --- running ----------------------------------------------------------------------------------


def _run(job: IngestJob, overwrite: bool, name: str | None, engine: str | None) -> IngestResult:
    target = output_folder(job.output)
    _check_free(target, job.output, overwrite)
    frame = prepare_rows(load_input(job.input, job.read), job.rows)
    file_ids, files = _plan(frame, job.partitioning)
    chunks = sum(len(chunk_list) for chunk_list in files)
    if not in_worker():
        print(
            f"fused.ingest: {len(frame)} rows into {len(files)} files of {chunks} chunks "
            f"at {job.output}",
            file=sys.stderr,
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.ingest-", dir=target.parent))
    try:
        table = staged_table(frame, files, write_covering_bbox=job.write_covering_bbox)
        del frame
        staging = work / STAGING_FILE
        write_staging(table, str(staging))
        runs: list[dict[str, Any]] = []
        start = 0
        for file_id, chunk_list in zip(file_ids, files, strict=True):
            count = sum(len(chunk) for chunk in chunk_list)
            target_file = str(work / data_file_name(file_id))
            runs.append(
                {
                    "staging": str(staging),
                    "start": start,
                    "count": count,
                    "target": target_file,
                    "file_id": file_id,
                }
            )
            start += count
        metadata = _write_files(runs, _job_name(name, target), engine)
        write_sample(table, metadata, str(work / SAMPLE_FILE))
        staging.unlink()
        _publish(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return IngestResult(job.output, str(target), table.num_rows, len(files), chunks)


def _plan(
    frame: Any, partitioning: Partitioning
) -> tuple[list[str], list[list[npt.NDArray[np.intp]]]]:
    """File ids, and each file's chunks as row positions in `frame`."""
    import numpy as np
    import shapely

    centroids = shapely.centroid(frame.geometry.array)
    x, y = shapely.get_x(centroids), shapely.get_y(centroids)
    schema = partitioning.schema_input
    if schema is not None:
        chunks = _schema_chunks(schema)
        boxes = chunks[list(BBOX_COLUMNS)].to_numpy(dtype=float)
        ids = [check_file_id(str(value)) for value in chunks["file_id"]]
        return assign_to_chunks(x, y, ids, [int(value) for value in chunks["chunk_id"]], boxes)
    weights = row_weights(frame, partitioning.method)
    total = float(weights.sum())
    per_file = partitioning.maximum_per_file
    per_chunk = partitioning.maximum_per_chunk
    per_file = total / DEFAULT_FILE_SHARE if per_file is None else per_file
    per_chunk = total / DEFAULT_CHUNK_SHARE if per_chunk is None else per_chunk
    zones = None if partitioning.force_utm is None else utm_zones(x, y)
    rows = np.arange(len(frame), dtype=np.intp)
    splitting = partitioning.splitting
    by_file = zones if partitioning.force_utm == "file" else None
    by_chunk = zones if partitioning.force_utm == "chunk" else None
    files = [
        split_groups(file_rows, x, y, weights, per_chunk, splitting, by_chunk)
        for file_rows in split_groups(rows, x, y, weights, per_file, splitting, by_file)
    ]
    return [str(number) for number in range(len(files))], files


def _schema_chunks(schema: Any) -> pd.DataFrame:
    """The chunk boxes of `partitioning_schema_input`: a table's metadata, a parquet file's rows,
    or a DataFrame."""
    import pandas as pd

    from .read import get_chunks_metadata
    from .storage import locate

    if is_frame(schema):
        chunks = schema
    elif locate(schema).child(SAMPLE_FILE).exists():
        chunks = get_chunks_metadata(schema)
    else:
        with locate(schema).open() as source:
            chunks = pd.read_parquet(source)
    needed = ["file_id", "chunk_id", *BBOX_COLUMNS]
    missing = [column for column in needed if column not in chunks.columns]
    if missing:
        raise KeyError(f"partitioning_schema_input has no columns {missing} (it needs {needed})")
    frame: pd.DataFrame = chunks
    return frame


def _write_files(runs: list[dict[str, Any]], name: str, engine: str | None) -> pd.DataFrame:
    """Run the job that writes the data files; their chunk metadata, in file order."""
    writer = load_code(_WRITER_CODE)
    writer.name = name
    # A rewrite must really write: never answered from the result cache. A failed write is not
    # retried (it fails the same way: disk full, no permission).
    metadata = submit(writer, runs, engine=engine, cache=False, max_retry=0)
    assert not isinstance(metadata, JobPool)  # collect=True: the runs' DataFrames, joined
    return metadata


def output_folder(output: str) -> Path:
    """The folder on this machine that `output` names; roots of the home are refused (an
    overwrite would delete them)."""
    if output.startswith("file://"):
        output = output[len("file://") :]
    folder = Path(os.path.normpath(Path(map_path(output)).expanduser().absolute()))
    protected = {Path("/"), Path.home(), studio_home(), bucket(), shared_disk()}
    if folder in protected:
        raise ValueError(f"output must be a folder of its own, not {output}")
    return folder


def _check_free(target: Path, output: str, overwrite: bool) -> None:
    if target.is_file():
        raise FileExistsError(f"the output {output} is a file, not a folder")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise FileExistsError(
            f"the output {output} already exists: give overwrite=True to replace it"
        )


def _publish(work: Path, target: Path) -> None:
    """Move the finished table into place, replacing what was there (checked before)."""
    old = None
    if target.exists():
        old = work.with_name(f"{work.name}.old")
        target.rename(old)
    work.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _job_name(name: str | None, target: Path) -> str:
    base = name if isinstance(name, str) and name else f"ingest_{target.name}"
    cleaned = _JOB_NAME_CHARS.sub("_", base).strip("_") or "ingest"
    if not cleaned[0].isalpha():
        cleaned = f"ingest_{cleaned}"
    return cleaned[:_JOB_NAME_LENGTH]


# --- checking options -------------------------------------------------------------------------


def _check_input(value: Any) -> None:
    if is_frame(value) or isinstance(value, str | os.PathLike):
        return
    paths = isinstance(value, Sequence) and not isinstance(value, bytes) and value
    if paths and all(isinstance(item, str | os.PathLike) for item in value):
        return
    raise TypeError(
        "input must be a GeoDataFrame, a DataFrame with lonlat_cols, or a path, URL or "
        f"non-empty list of them, not {type(value).__name__}"
    )


def _output_text(output: Any) -> str:
    if output is None:
        raise ValueError("fused.ingest needs output: the table's folder (a path or fd://...)")
    if not isinstance(output, str | os.PathLike):
        raise TypeError(f"output must be a path or fd:// URL, not {type(output).__name__}")
    text = os.fspath(output)
    scheme = re.match(r"^([a-z][a-z0-9+.-]*)://", text, re.IGNORECASE)
    if scheme and scheme.group(1).lower() == "s3":
        raise NotSupportedYetError(
            f"fused.ingest writes tables to fd:// or a local folder here, not {text}: "
            "ingest locally, then copy the folder to S3"
        )
    if scheme and scheme.group(1).lower() not in ("fd", "file"):
        raise ValueError(f"output must be a local folder or fd://..., not {text}")
    return text


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, not {value!r}")
    return value


def _choice(value: Any, name: str, allowed: Sequence[Any]) -> Any:
    if value not in allowed:
        shown = ", ".join(repr(option) for option in allowed)
        raise ValueError(f"{name} must be one of {shown}, not {value!r}")
    return value


def _positive(value: Any, name: str) -> float | None:
    if value is None:
        return None
    return _required_positive(value, name)


def _required_positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{name} must be a number above 0, not {value!r}")
    return float(value)


def _text_or_none(value: Any, name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be text, not {value!r}")
    return value


def _names(value: Any, name: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a list of column names, not {value!r}")
    for item in value:
        if not isinstance(item, str):
            raise TypeError(f"{name} must be a list of column names, not {value!r}")
    return list(value)


def _lonlat(value: Any) -> tuple[str, str] | None:
    if value is None:
        return None
    if (
        isinstance(value, str)
        or not isinstance(value, Sequence)
        or len(value) != 2
        or not all(isinstance(item, str) for item in value)
    ):
        raise TypeError(f"lonlat_cols must be (longitude column, latitude column), not {value!r}")
    return (value[0], value[1])


def _gdal_options(config: Any) -> tuple[str | None, Mapping[str, str]]:
    """`gdal_config` (a dict, or an object with the attributes) as layer and open options."""
    if config is None:
        return None, {}
    if isinstance(config, Mapping):
        unknown = set(config) - {"layer", "open_options"}
        if unknown:
            raise ValueError(f"gdal_config takes layer and open_options, not {sorted(unknown)}")
        layer, options = config.get("layer"), config.get("open_options") or {}
    else:
        layer = getattr(config, "layer", None)
        options = getattr(config, "open_options", None) or {}
    if layer is not None and not isinstance(layer, str):
        raise TypeError(f"gdal_config layer must be a layer name, not {layer!r}")
    if not isinstance(options, Mapping) or not all(
        isinstance(key, str) and isinstance(item, str) for key, item in options.items()
    ):
        raise TypeError(f"gdal_config open_options must map option names to text, not {options!r}")
    return layer, dict(options)


def _schema_input(value: Any) -> Any:
    if value is None or is_frame(value) or isinstance(value, str):
        return value
    raise TypeError(
        f"partitioning_schema_input must be a table, a parquet file or a DataFrame, not {value!r}"
    )
