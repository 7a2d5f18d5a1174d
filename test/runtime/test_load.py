"""`fused.load` of each form, and the errors it reports (with file and line)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import fused
from conftest import write_udf_folder
from fused import NotSupportedYetError, UdfLoadError

GREETER = """\
@fused.udf
def udf(name: str = "world"):
    return f"hello {name}"
"""


def test_folder_with_a_source_file(tmp_path: Path):
    folder = write_udf_folder(
        tmp_path, "Greeter", GREETER, metadata={"fused:description": "says hello"}
    )
    udf = fused.load(folder)
    assert udf(name="you") == "hello you"
    assert udf.name == "Greeter"
    assert udf.code == GREETER
    assert udf.entrypoint == "udf"
    assert udf.path == str(folder / "Greeter.py")
    assert udf.metadata == {"fused:name": "Greeter", "fused:description": "says hello"}
    assert udf.meta is not None and udf.meta["version"] == "0.0.3"
    assert fused.load(str(folder / "meta.json"))() == "hello world"


def test_folder_with_inline_code(tmp_path: Path):
    udf = fused.load(write_udf_folder(tmp_path, "Inline", GREETER, inline=True))
    assert udf() == "hello world"
    assert udf.path is None


def test_older_folder_with_udf_name_py(tmp_path: Path):
    folder = write_udf_folder(tmp_path, "Older", GREETER)
    meta = json.loads((folder / "meta.json").read_text())
    del meta["job_config"]["steps"][0]["udf"]["source"]
    (folder / "meta.json").write_text(json.dumps(meta))
    (folder / "Older.py").rename(folder / "udf_Older.py")
    udf = fused.load(folder)
    assert udf() == "hello world"
    assert udf.path == str(folder / "udf_Older.py")


def test_readme_is_read_in_either_case(tmp_path: Path):
    folder = write_udf_folder(tmp_path, "Documented", GREETER)
    (folder / "README.MD").write_text("# Documented\n")
    assert fused.load(folder).readme == "# Documented\n"


def test_py_file(tmp_path: Path):
    path = tmp_path / "single.py"
    path.write_text(GREETER)
    udf = fused.load(path)
    assert udf(name="file") == "hello file"
    assert udf.name == "single"
    assert udf.path == str(path)


def test_raw_code_and_a_function_named_udf_without_decorator():
    assert fused.load(GREETER)(name="code") == "hello code"
    undecorated = fused.load("def udf(n: int = 1):\n    return n * 2\n")
    assert undecorated(n="4") == 8


def test_code_without_import_fused_still_sees_fused():
    udf = fused.load(
        "@fused.udf\ndef udf(b: fused.types.Bounds = None):\n    return fused.__version__\n"
    )
    assert udf() == fused.__version__


def test_entry_point_is_the_first_decorated_function():
    udf = fused.load(
        "def helper():\n    return 'helper'\n\n"
        "@fused.udf\ndef first():\n    return 'first'\n\n"
        "@fused.udf\ndef second():\n    return 'second'\n"
    )
    assert udf() == "first"
    assert udf.entrypoint == "first"


def test_workspace_name_and_team_or_email_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    empty, workspace = tmp_path / "empty", tmp_path / "workspace"
    empty.mkdir()
    write_udf_folder(workspace, "Named", GREETER)
    monkeypatch.setenv("UDF_STUDIO_WORKSPACES", os.pathsep.join([str(empty), str(workspace)]))
    assert fused.load("Named")() == "hello world"
    assert fused.load("team/Named")() == "hello world"
    assert fused.load("someone@example.com/Named")() == "hello world"
    assert fused.run("Named", name="run") == "hello run"


def test_names_are_also_found_in_the_home_udfs_folder_and_in_collections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    home = tmp_path / "home"
    write_udf_folder(home / "udfs", "AtHome", GREETER)
    collection = home / "udfs" / "Collection"
    write_udf_folder(collection, "InCollection", GREETER)
    (collection / "collection.json").write_text("{}")
    monkeypatch.setenv("UDF_STUDIO_HOME", str(home))
    assert fused.load("AtHome")() == "hello world"
    assert fused.load("InCollection")() == "hello world"


def test_unknown_names_and_paths_are_not_found(tmp_path: Path):
    with pytest.raises(UdfLoadError, match="no UDF named 'Nowhere'") as caught:
        fused.load("Nowhere")
    assert caught.value.code == "UDF_ERR_NOT_FOUND"
    with pytest.raises(UdfLoadError, match="no such file"):
        fused.load(str(tmp_path / "missing.py"))


@pytest.mark.parametrize(
    ("place", "meta_patch"),
    [
        ("udf metadata", {"metadata": {"isNodeTemplate": True}}),
        ("udf", {"isNodeTemplate": True}),
    ],
)
def test_node_templates_are_refused(tmp_path: Path, place: str, meta_patch: dict[str, object]):
    folder = write_udf_folder(tmp_path, "Template", "# notes\n")
    meta = json.loads((folder / "meta.json").read_text())
    meta["job_config"]["steps"][0]["udf"].update(meta_patch)
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(UdfLoadError, match="is a node template") as caught:
        fused.load(folder)
    assert caught.value.code == "UDF_ERR_NODE_TEMPLATE"


def test_node_template_flag_on_the_step(tmp_path: Path):
    folder = write_udf_folder(tmp_path, "StepTemplate", "# notes\n")
    meta = json.loads((folder / "meta.json").read_text())
    meta["job_config"]["steps"][0]["isNodeTemplate"] = True
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(UdfLoadError, match="not a runnable UDF"):
        fused.load(folder)


def test_bad_json_names_the_file_and_line(tmp_path: Path):
    folder = write_udf_folder(tmp_path, "BadJson", GREETER)
    (folder / "meta.json").write_text('{\n  "version": "0.0.3",\n  "job_config": nope\n}\n')
    with pytest.raises(UdfLoadError) as caught:
        fused.load(folder)
    error = caught.value
    assert error.code == "UDF_ERR_BAD_FOLDER"
    assert error.file == str(folder / "meta.json")
    assert error.line == 3
    assert "invalid JSON at line 3" in str(error)


def test_a_missing_source_file_is_named(tmp_path: Path):
    folder = write_udf_folder(tmp_path, "NoSource", GREETER)
    (folder / "NoSource.py").unlink()
    with pytest.raises(UdfLoadError, match=r"NoSource\.py: the code file named by meta\.json"):
        fused.load(folder)


def test_a_missing_header_file_is_named(tmp_path: Path):
    folder = write_udf_folder(tmp_path, "NoHeader", GREETER, headers={"utils": "X = 1\n"})
    (folder / "utils.py").unlink()
    with pytest.raises(UdfLoadError, match=r"header module 'utils' from .*utils.py"):
        fused.load(folder)


def test_syntax_errors_name_the_file_and_line(tmp_path: Path):
    folder = write_udf_folder(tmp_path, "Broken", "@fused.udf\ndef udf():\n    return (1 +\n")
    with pytest.raises(UdfLoadError) as caught:
        fused.load(folder)
    error = caught.value
    assert error.code == "UDF_ERR_SYNTAX"
    assert error.file == str(folder / "Broken.py")
    assert error.line == 3
    assert "Broken.py, line 3" in str(error)


def test_syntax_errors_in_headers_name_the_header(tmp_path: Path):
    folder = write_udf_folder(tmp_path, "BrokenHeader", GREETER, headers={"utils": "def f(:\n"})
    with pytest.raises(UdfLoadError) as caught:
        fused.load(folder)
    assert caught.value.code == "UDF_ERR_SYNTAX"
    assert caught.value.file == str(folder / "utils.py")
    assert caught.value.line == 1


def test_errors_at_import_name_the_file_and_line(tmp_path: Path):
    folder = write_udf_folder(tmp_path, "Raises", "import os\nraise RuntimeError('at import')\n")
    with pytest.raises(UdfLoadError) as caught:
        fused.load(folder)
    error = caught.value
    assert (error.code, error.exception_class, error.line) == ("UDF_ERR_IMPORT", "RuntimeError", 2)
    assert error.file == str(folder / "Raises.py")
    assert "raise RuntimeError('at import')" in error.traceback_text


def test_no_entry_point_is_reported(tmp_path: Path):
    folder = write_udf_folder(tmp_path, "NoEntry", "def helper():\n    return 1\n")
    with pytest.raises(UdfLoadError, match="no entry point") as caught:
        fused.load(folder)
    assert caught.value.code == "UDF_ERR_NO_ENTRYPOINT"
    assert caught.value.file == str(folder / "NoEntry.py")


def test_urls_other_than_github_are_not_supported():
    with pytest.raises(NotSupportedYetError, match="only GitHub URLs") as caught:
        fused.load("https://example.com/udf.py")
    assert isinstance(caught.value, NotImplementedError)
    with pytest.raises(NotSupportedYetError):
        fused.run("https://example.com/udf.py")


def test_runtime_errors_point_at_the_users_file(tmp_path: Path):
    folder = write_udf_folder(tmp_path, "Fails", "@fused.udf\ndef udf():\n    return {}['key']\n")
    with pytest.raises(fused.UdfRuntimeError) as caught:
        fused.load(folder)()
    error = caught.value
    assert (error.file, error.line, error.exception_class) == (
        str(folder / "Fails.py"),
        3,
        "KeyError",
    )
    assert f'File "{folder / "Fails.py"}", line 3, in udf' in error.traceback_text


def test_loading_the_same_code_twice_executes_it_once(tmp_path: Path):
    code = "import sys\nsys.udf_studio_test_loads = getattr(sys, 'udf_studio_test_loads', 0) + 1\n"
    folder = write_udf_folder(tmp_path, "Counted", code + GREETER)
    import sys

    before = getattr(sys, "udf_studio_test_loads", 0)
    first, second = fused.load(folder), fused.load(folder)
    assert first is not second
    assert sys.udf_studio_test_loads == before + 1  # type: ignore[attr-defined]
