"""Every top-level module of the default set imports in a real worker, as UDFs would import it.

The modules come from each pinned distribution's own record of what it installed (its RECORD or
top_level.txt), so a package that installs but does not import (a missing system library, a
binary built for another numpy) fails here rather than in a user's UDF.
"""

from __future__ import annotations

import json
import re
from importlib import metadata

from conftest import WorkerProcess, udf_request
from fused._package_lists import RUNTIME_DIR, read_requirement_names

# Top-level names a distribution installs that are not modules to import: test suites shipped
# by mistake, build helpers, scripts.
NOT_MODULES = re.compile(
    r"^(_|tests?$|testing$|docs?$|demos?$|examples?$|benchmarks?$|scripts?$|bin$)"
)
# Modules that need an optional package neither this runtime nor Fused's image has.
OPTIONAL = {
    "adbc_driver_duckdb": "duckdb's ADBC driver needs adbc-driver-manager (not in Fused's image)",
}
IMPORT_ALL = """
@fused.udf
def udf(modules: list):
    import importlib
    failed = {}
    for name in modules:
        try:
            importlib.import_module(name)
        except BaseException as exc:  # a module that exits or aborts is a failure too
            failed[name] = f"{type(exc).__name__}: {exc}"
    return {"imported": len(modules) - len(failed), "failed": failed}
"""


def top_level_modules(distribution: str) -> set[str]:
    dist = metadata.distribution(distribution)
    text = dist.read_text("top_level.txt")
    if text:
        names = {line.strip() for line in text.splitlines() if line.strip()}
    else:
        names = set()
        for file in dist.files or ():
            parts = file.parts
            if parts[0].endswith((".dist-info", ".data")) or parts[0] == "..":
                continue
            if len(parts) > 1 and (parts[1] == "__init__.py" or parts[0].endswith("-stubs")):
                names.add(parts[0])
            elif len(parts) == 1 and file.suffix in {".py", ".so", ".pyd"}:
                names.add(parts[0].split(".")[0])
    return {
        name.replace("/", ".")
        for name in names
        if not NOT_MODULES.match(name) and name not in OPTIONAL
    }


def test_every_top_level_module_of_the_default_set_imports_in_a_worker() -> None:
    modules = sorted(
        {module for name in read_requirement_names(RUNTIME_DIR / "requirements.txt")
         for module in top_level_modules(name)}
    )
    assert {"pandas", "geopandas", "duckdb", "mercantile", "fastapi", "odc"} <= set(modules)
    worker = WorkerProcess()
    try:
        ready, _ = worker.receive()
        assert ready["op"] == "ready"
        header, payload = worker.request(
            {"op": "run", "id": 1, "udf": udf_request(IMPORT_ALL), "params": {"modules": modules},
             "tile": None, "formats": ["json"], "defaults": {}}
        )
    finally:
        worker.close()
    assert header["ok"] is True, header.get("error")
    result = json.loads(payload)
    assert result["failed"] == {}
    assert result["imported"] == len(modules)
