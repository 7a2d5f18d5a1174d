"""`@fused.udf` in both forms, the `Udf` object's attributes, and calling it in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

import fused
from fused import EngineUnavailableError, Header, Udf, UdfRuntimeError


@fused.udf
def plain(name: str = "world", n: int = 1):
    return {"hello": name, "n": n}


@fused.udf(name="Named_UDF", cache_max_age="10m", default_parameters={"n": 5})
def configured(n: int = 1):
    return n


def test_bare_decorator_makes_a_udf_with_fused_attributes():
    assert isinstance(plain, Udf)
    assert plain.name == "plain"
    assert plain.entrypoint == "plain"
    assert "def plain(name: str" in plain.code
    assert plain.code.startswith("@fused.udf")
    assert plain.headers == []
    assert plain.metadata == {}
    assert plain.parameters == {}
    assert plain.cache_max_age is None
    assert plain.engine is None
    assert plain.__name__ == "plain"


def test_decorator_with_arguments_records_them():
    assert configured.name == "Named_UDF"
    assert configured.entrypoint == "configured"
    assert configured.cache_max_age == "10m"
    assert configured.parameters == {"n": 5}


def test_calling_runs_in_process_and_converts_strings():
    assert plain() == {"hello": "world", "n": 1}
    assert plain(name="x", n="7") == {"hello": "x", "n": 7}
    assert plain("y", 2) == {"hello": "y", "n": 2}


def test_default_parameters_apply_and_call_values_win():
    assert configured() == 5
    assert configured(n=2) == 2


@pytest.mark.parametrize("max_age", [0, 60, "30s", "10m", "24h", "7d"])
def test_cache_max_age_accepts_seconds_and_duration_strings(max_age: int | str):
    assert fused.udf(cache_max_age=max_age)(lambda: 1).cache_max_age == max_age


@pytest.mark.parametrize("max_age", [-1, "10", "1w", "ten minutes", 1.5, True])
def test_cache_max_age_rejects_other_values(max_age: object):
    with pytest.raises(ValueError, match="cache_max_age"):
        fused.udf(cache_max_age=max_age)(lambda: 1)  # type: ignore[call-overload]


def test_cache_false_together_with_max_age_is_a_value_error():
    assert plain(cache=False) == {"hello": "world", "n": 1}
    assert plain(cache_max_age="1h") == {"hello": "world", "n": 1}
    with pytest.raises(ValueError, match="cache=False"):
        plain(cache=False, cache_max_age="1h")


@pytest.mark.parametrize(
    ("engine", "needs"),
    [
        ("remote", "no remote engine is configured"),
        ("batch", "as a batch job of the UDF Studio engine"),
        ("small", "as a batch job of the UDF Studio engine"),
    ],
)
def test_remote_engines_need_a_configured_remote(engine: str, needs: str):
    assert plain(engine="local") == {"hello": "world", "n": 1}
    with pytest.raises(EngineUnavailableError, match=needs):
        plain(engine=engine)


def test_utils_without_a_header_named_utils_is_a_clear_attribute_error():
    with pytest.raises(AttributeError, match="has no header module named 'utils'"):
        _ = plain.utils
    assert not hasattr(plain, "utils")


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_headers_as_path_pair_and_dicts_are_importable_inside_the_udf(tmp_path: Path):
    first = _write(tmp_path / "first_helpers.py", "VALUE = 'first'\n")
    second = _write(tmp_path / "anything.py", "VALUE = 'second'\n")
    third = _write(tmp_path / "third.py", "VALUE = 'third'\n")

    @fused.udf(
        headers=[
            str(first),
            ("second_helpers", str(second)),
            {"module_name": "third_helpers", "source_file": str(third)},
            {"module_name": "inline_helpers", "source_code": "VALUE = 'inline'\n"},
        ]
    )
    def uses_headers():
        import first_helpers
        import inline_helpers
        import second_helpers
        from third_helpers import VALUE

        return [first_helpers.VALUE, second_helpers.VALUE, VALUE, inline_helpers.VALUE]

    assert [header.module_name for header in uses_headers.headers] == [
        "first_helpers",
        "second_helpers",
        "third_helpers",
        "inline_helpers",
    ]
    assert uses_headers.headers[1] == Header("second_helpers", "VALUE = 'second'\n", "anything.py")
    assert uses_headers() == ["first", "second", "third", "inline"]
    with pytest.raises(AttributeError, match="first_helpers, second_helpers"):
        _ = uses_headers.utils


def test_header_named_utils_is_the_utils_attribute(tmp_path: Path):
    utils_file = _write(tmp_path / "utils.py", "def double(v):\n    return 2 * v\n")

    @fused.udf(headers=[str(utils_file)])
    def with_utils(v: int = 1):
        from utils import double

        return double(v)

    assert with_utils(v="4") == 8
    assert with_utils.utils.double(5) == 10


def test_a_missing_header_file_is_reported_with_its_path(tmp_path: Path):
    with pytest.raises(UdfRuntimeError, match="missing_helpers") as caught:
        fused.udf(headers=[str(tmp_path / "missing_helpers.py")])(lambda: 1)
    assert caught.value.code == "UDF_ERR_BAD_FOLDER"


def test_udf_errors_raise_udf_runtime_error_with_location():
    @fused.udf
    def fails(divisor: int = 0):
        scaled = 10
        return scaled / divisor

    with pytest.raises(UdfRuntimeError) as caught:
        fails()
    error = caught.value
    # co_firstlineno is the decorator's line; the division is three lines below it.
    assert error.line == fails._fn.__code__.co_firstlineno + 3
    assert error.code == "UDF_ERR_RUNTIME"
    assert error.exception_class == "ZeroDivisionError"
    assert error.message == "division by zero"
    assert error.file == __file__
    assert f"line {error.line}" in str(error)
    assert "return scaled / divisor" in error.traceback_text
    assert "_call.py" not in error.traceback_text
    assert isinstance(error.__cause__, ZeroDivisionError)


def test_memory_errors_have_their_own_code():
    @fused.udf
    def exhausts():
        raise MemoryError("too big")

    with pytest.raises(UdfRuntimeError) as caught:
        exhausts()
    assert caught.value.code == "UDF_ERR_MEMORY"


def test_repr_names_the_udf():
    assert repr(configured) == "<Udf 'Named_UDF' entrypoint='configured'>"


# --- the SDK's methods and fields ---------------------------------------------------------------


def test_the_sdks_fields_are_there():
    @fused.udf(engine="local", disk_size_gb=50, region="eu")
    def placed(n: int = 1):
        return n

    assert placed.type == "geopandas_v2" and placed.import_globals
    assert (placed.engine, placed.disk_size_gb, placed.region) == ("local", 50, "eu")
    assert placed.collection_id is None and placed.collection_name is None
    assert fused.udf(instance_type="local")(lambda n=1: n).engine == "local"  # the older name
    assert fused.models.udf.AnyBaseUdf is Udf and fused.models.Udf is Udf


def test_set_parameters_copies_unless_in_place():
    copy = configured.set_parameters({"n": 7})
    assert copy is not configured and copy() == 7 and configured() == 5
    assert configured.set_parameters({}, replace_parameters=True)() == 1
    same = plain.set_parameters({"n": 2}, inplace=True)
    try:
        assert same is plain and plain()["n"] == 2
    finally:
        plain.parameters = {}
    with pytest.raises(TypeError, match="parameters must be a dict"):
        plain.set_parameters([1])  # type: ignore[arg-type]


def test_run_local_and_eval_schema():
    assert plain.run_local(name="Ada") == {"hello": "Ada", "n": 1}
    again = plain.eval_schema()
    assert again is not plain and again.prepared().plan == plain.prepared().plan


def test_map_takes_the_sdks_parameters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("UDF_STUDIO_HOME", str(tmp_path))
    pool = plain.map(
        ["a", "b"], engine="local", worker_concurrency=4, run_cache_max_age="1h", max_retry=0
    )
    assert [row["hello"] for row in pool.results()] == ["a", "b"]
    import asyncio

    later = asyncio.run(plain.map_async(["c"], engine="local"))
    assert later.results() == [{"hello": "c", "n": 1}]


def test_to_file_writes_to_a_file_object_and_guards_an_existing_path(tmp_path: Path):
    import io
    import zipfile

    buffer = io.BytesIO()
    assert plain.to_file(buffer) is None
    assert "meta.json" in zipfile.ZipFile(buffer).namelist()
    target = plain.to_file(tmp_path / "plain.zip")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        plain.to_file(target or tmp_path)
    assert plain.to_file(tmp_path / "plain.zip", overwrite=True) == target


def test_utils_is_the_only_header_when_none_is_named_utils(tmp_path: Path):
    (tmp_path / "helpers.py").write_text("def shout(text):\n    return text.upper()\n")

    @fused.udf(headers=[("helpers", str(tmp_path / "helpers.py"))])
    def loud(text: str = "hi"):
        return text

    assert loud.utils.shout("x") == "X"


def test_saving_and_sharing_need_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("UDF_STUDIO_HOME", str(tmp_path))
    for call in (plain.to_fused, plain.get_access_tokens):
        with pytest.raises(EngineUnavailableError, match="needs the running UDF Studio engine"):
            call()
    assert plain.catalog_url is None  # not a saved UDF
    with pytest.raises(ValueError, match="No saved UDF ID found in metadata of 'plain'"):
        plain.create_access_token()  # refused before any request, as by the official client
    with pytest.raises(TypeError, match="older slug are not supported"):
        plain.to_fused(slug="Other")


def test_cloud_schedules_are_not_local():
    with pytest.raises(fused.NotLocalError, match=r"^Udf.schedule has no local meaning"):
        plain.schedule(minute=0, hour=1)
    with pytest.raises(fused.NotLocalError, match=r"^Udf\.get_canvas_share_token"):
        plain.get_canvas_share_token()
