"""Header modules (`import utils`), their isolation between UDFs, and `import_globals`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import fused
from conftest import write_udf_folder
from fused import UdfRuntimeError

USES_UTILS = """\
import utils

@fused.udf
def udf():
    from utils import label
    return label(), utils.label()
"""


def test_two_udfs_with_different_utils_each_see_their_own(tmp_path: Path):
    first = fused.load(
        write_udf_folder(
            tmp_path, "First", USES_UTILS, headers={"utils": "def label():\n    return 'first'\n"}
        )
    )
    second = fused.load(
        write_udf_folder(
            tmp_path, "Second", USES_UTILS, headers={"utils": "def label():\n    return 'second'\n"}
        )
    )
    assert first() == ("first", "first")
    assert second() == ("second", "second")
    assert first() == ("first", "first")
    assert first.utils.label() == "first"
    assert second.utils.label() == "second"


def test_header_modules_do_not_stay_in_sys_modules(tmp_path: Path):
    previous = sys.modules.get("utils")
    udf = fused.load(
        write_udf_folder(
            tmp_path, "Scoped", USES_UTILS, headers={"utils": "def label():\n    return 'x'\n"}
        )
    )
    udf()
    assert sys.modules.get("utils") is previous


def test_headers_can_import_each_other_in_any_order(tmp_path: Path):
    folder = write_udf_folder(
        tmp_path,
        "Chained",
        "@fused.udf\ndef udf():\n    import first\n    return first.value()\n",
        headers={
            "first": "import second\n\ndef value():\n    return second.VALUE + 1\n",
            "second": "VALUE = 41\n",
        },
    )
    assert fused.load(folder)() == 42


def test_import_globals_exposes_top_level_functions(tmp_path: Path):
    folder = write_udf_folder(
        tmp_path,
        "Common",
        "LIMIT = 3\n\n"
        "def double(v):\n    return 2 * v\n\n"
        "def from_header():\n    from utils import label\n    return label()\n\n"
        "@fused.udf\ndef udf():\n    return None\n",
        headers={"utils": "def label():\n    return 'common utils'\n"},
    )
    common = fused.load(folder)
    assert common.double(4) == 8
    assert common.LIMIT == 3
    assert common.from_header() == "common utils"
    assert common.utils.label() == "common utils"
    with pytest.raises(AttributeError, match="has no attribute 'missing'"):
        _ = common.missing


def test_without_import_globals_module_names_are_not_attributes(tmp_path: Path):
    folder = write_udf_folder(
        tmp_path,
        "Closed",
        "def double(v):\n    return 2 * v\n\n@fused.udf\ndef udf():\n    return 1\n",
    )
    closed = fused.load(folder, import_globals=False)
    assert closed() == 1
    with pytest.raises(AttributeError):
        _ = closed.double


def test_errors_inside_a_header_are_located_in_the_header(tmp_path: Path):
    folder = write_udf_folder(
        tmp_path,
        "HeaderFails",
        "@fused.udf\ndef udf():\n    from utils import fail\n    return fail()\n",
        headers={"utils": "def fail():\n    return 1 / 0\n"},
    )
    with pytest.raises(UdfRuntimeError) as caught:
        fused.load(folder)()
    error = caught.value
    assert error.file == str(folder / "utils.py")
    assert error.line == 2
    assert str(folder / "HeaderFails.py") in error.traceback_text
    assert str(folder / "utils.py") in error.traceback_text
