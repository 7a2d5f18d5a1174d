"""Writing the UDF folder format: `to_directory`, round trips that keep unknown keys, `to_file`."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

import fused
from conftest import write_udf_folder

CODE = """\
@fused.udf
def udf(n: int = 1):
    from utils import scale
    return scale(n)
"""
UTILS = "def scale(n):\n    return n * 10\n"


def test_to_directory_writes_the_catalogue_shape(tmp_path: Path):
    # The decorator line is part of the written code, so it may only use names the file has.
    @fused.udf(name="Written", default_parameters={"n": 2})
    def written(n: int = 1):
        from utils import scale

        return scale(n)

    written.headers = [fused.Header("utils", UTILS, "utils.py")]
    written.metadata["fused:description"] = "Multiplies by ten."
    folder = written.to_directory(tmp_path / "out")
    assert sorted(path.name for path in folder.iterdir()) == [
        "README.md",
        "Written.py",
        "meta.json",
        "utils.py",
    ]
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["version"] == "0.0.3"
    step = meta["job_config"]["steps"][0]
    assert step["type"] == "udf"
    assert step["udf"] == {
        "type": "geopandas_v2",
        "name": "Written",
        "entrypoint": "written",
        "parameters": {"n": 2},
        "source": "Written.py",
        "headers": [{"module_name": "utils", "source_file": "utils.py"}],
        "metadata": {"fused:description": "Multiplies by ten."},
    }
    assert (folder / "README.md").read_text() == "Multiplies by ten."
    assert (folder / "utils.py").read_text() == UTILS
    reloaded = fused.load(folder)
    assert reloaded() == 20
    assert reloaded(n="3") == 30


def test_to_directory_defaults_to_a_folder_named_after_the_udf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    udf = fused.load("@fused.udf(name='Here')\ndef udf():\n    return 1\n")
    assert udf.to_directory() == tmp_path / "Here"
    assert (tmp_path / "Here" / "Here.py").is_file()


def test_a_non_empty_folder_needs_overwrite(tmp_path: Path):
    udf = fused.load("@fused.udf\ndef udf():\n    return 1\n")
    target = tmp_path / "target"
    target.mkdir()
    (target / "other.txt").write_text("keep")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        udf.to_directory(target)
    udf.to_directory(target, overwrite=True)
    assert fused.load(target)() == 1


def test_round_trip_keeps_code_headers_metadata_and_unknown_keys(tmp_path: Path):
    folder = write_udf_folder(
        tmp_path / "in",
        "Round",
        CODE,
        headers={"utils": UTILS},
        metadata={
            "fused:udfType": "vector_tile",
            "fused:defaultViewState": {"enable": True, "latitude": 48.85, "zoom": 12},
            "fused:tags": [{"id": "demo", "label": "demo"}],
            "fused:unknownFutureKey": {"nested": [1, 2]},
        },
        extra_meta={"unknown_top_level": {"keep": True}},
    )
    meta = json.loads((folder / "meta.json").read_text())
    meta["job_config"]["steps"][0]["unknown_step_key"] = "step"
    meta["job_config"]["steps"][0]["udf"]["unknown_udf_key"] = [1, "two"]
    meta["job_config"]["steps"][0]["udf"]["headers"][0]["unknown_header_key"] = 3
    meta["job_config"]["unknown_job_key"] = None
    (folder / "meta.json").write_text(json.dumps(meta))
    (folder / "README.MD").write_text("# Round\n")

    first = fused.load(folder)
    copy = first.to_directory(tmp_path / "out" / "Round")
    second = fused.load(copy)

    assert second.code == first.code == CODE
    assert second.headers == first.headers
    assert second.metadata == first.metadata
    assert second.meta == first.meta == meta
    assert second.readme == "# Round\n"
    assert (copy / "README.MD").is_file()
    assert second(n=2) == 20


def test_round_trip_of_inline_code_keeps_it_inline(tmp_path: Path):
    first = fused.load(
        write_udf_folder(
            tmp_path / "in",
            "InlineRound",
            CODE.replace("from utils import scale\n    return scale(n)", "return n"),
            inline=True,
        )
    )
    second = fused.load(first.to_directory(tmp_path / "out"))
    assert second.code == first.code
    assert second.meta == first.meta
    assert "code" in second.meta["job_config"]["steps"][0]["udf"]  # type: ignore[index]


def test_changed_values_are_written_over_the_loaded_ones(tmp_path: Path):
    udf = fused.load(write_udf_folder(tmp_path / "in", "Changed", CODE, headers={"utils": UTILS}))
    udf.metadata["fused:description"] = "new text"
    udf.parameters = {"n": 4}
    again = fused.load(udf.to_directory(tmp_path / "out"))
    assert again.metadata["fused:description"] == "new text"
    assert again() == 40


def test_to_file_writes_a_zip_of_the_folder(tmp_path: Path):
    udf = fused.load(write_udf_folder(tmp_path / "in", "Zipped", CODE, headers={"utils": UTILS}))
    archive = udf.to_file(tmp_path / "Zipped.zip")
    with zipfile.ZipFile(archive) as opened:
        assert sorted(opened.namelist()) == ["Zipped.py", "meta.json", "utils.py"]
        opened.extractall(tmp_path / "unzipped")
    assert fused.load(tmp_path / "unzipped")(n=1) == 10
