"""`fused.run`: what it runs, engines and tokens, errors, and the UDF's stdout."""

from __future__ import annotations

from pathlib import Path

import pytest

import fused
from conftest import write_udf_folder
from fused import EngineUnavailableError, UdfRuntimeError


@fused.udf
def greet(name: str = "world"):
    print(f"greeting {name}")
    return f"hello {name}"


def test_runs_a_udf_object_a_plain_function_a_path_and_code(tmp_path: Path):
    assert fused.run(greet, name="object") == "hello object"

    def plain(n: int = 1):
        return n + 1

    assert fused.run(plain, n="2") == 3
    folder = write_udf_folder(tmp_path, "ByPath", "@fused.udf\ndef udf():\n    return 'path'\n")
    assert fused.run(str(folder)) == "path"
    assert fused.run(folder) == "path"
    assert fused.run("@fused.udf\ndef udf(v: int):\n    return v\n", v="5") == 5


def test_the_udfs_stdout_is_echoed(capsys: pytest.CaptureFixture[str]):
    fused.run(greet, name="out")
    assert capsys.readouterr().out == "greeting out\n"


@pytest.mark.parametrize(
    ("engine", "needs"),
    [
        ("remote", "no remote engine is configured"),
        # With no remote, the batch names are batch jobs of this machine's engine.
        ("batch", "as a batch job of the UDF Studio engine"),
        ("large", "as a batch job of the UDF Studio engine"),
    ],
)
def test_remote_engines_need_a_configured_remote(engine: str, needs: str):
    assert fused.run(greet, engine="local") == "hello world"
    with pytest.raises(EngineUnavailableError, match=needs):
        fused.run(greet, engine=engine)


def test_realtime_without_a_remote_is_the_local_engine():
    assert fused.run(greet, engine="realtime") == "hello world"


def test_an_unknown_engine_name_is_a_clear_error():
    with pytest.raises(EngineUnavailableError, match="'gpu' is not an engine"):
        fused.run(greet, engine="gpu")


@pytest.mark.parametrize("token", ["fsh_0123456789abcdef", "a" * 64, "UDF_Not_Saved_Here"])
def test_unknown_tokens_and_public_names_are_not_found(token: str):
    with pytest.raises(fused.UdfLoadError) as caught:
        fused.run(token)
    assert caught.value.code == "UDF_ERR_NOT_FOUND"


def test_cache_false_with_max_age_is_a_value_error():
    assert fused.run(greet, cache=False) == "hello world"
    with pytest.raises(ValueError, match="cache=False"):
        fused.run(greet, cache=False, cache_max_age="10m")
    with pytest.raises(ValueError, match="cache_max_age"):
        fused.run(greet, cache_max_age="soon")


def test_udf_errors_carry_code_class_file_line_and_a_trimmed_traceback(tmp_path: Path):
    code = (
        "@fused.udf\n"
        "def udf(values: list):\n"
        "    total = sum(values)\n"
        "    return total / len(values)\n"
    )
    folder = write_udf_folder(tmp_path, "Mean", code)
    assert fused.run(folder, values="[1, 2, 3]") == 2
    with pytest.raises(UdfRuntimeError) as caught:
        fused.run(folder, values="[]")
    error = caught.value
    assert error.code == "UDF_ERR_RUNTIME"
    assert error.exception_class == "ZeroDivisionError"
    assert error.file == str(folder / "Mean.py")
    assert error.line == 4
    assert str(error) == f"ZeroDivisionError: division by zero ({folder / 'Mean.py'}, line 4)"
    assert error.traceback_text.startswith("Traceback (most recent call last):\n")
    assert "return total / len(values)" in error.traceback_text
    assert "fused/_call.py" not in error.traceback_text
    assert error.to_data()["line"] == 4


def test_errors_raised_in_libraries_are_located_at_the_udfs_own_line():
    udf = fused.load("import json\n@fused.udf\ndef udf():\n    return json.loads('{broken')\n")
    with pytest.raises(UdfRuntimeError) as caught:
        fused.run(udf)
    assert caught.value.line == 4
    assert caught.value.file is None  # inline code has no file
    assert 'File "<udf:udf>", line 4, in udf' in caught.value.traceback_text
    assert "json/decoder.py" not in caught.value.traceback_text
