"""Binding arguments to a UDF's parameters: unknown and missing names, **kwargs, positionals."""

from __future__ import annotations

import pytest

import fused
from fused import UdfParameterError


@fused.udf
def needs_name(name: str, n: int = 1):
    return name, n


@fused.udf
def takes_kwargs(n: int = 1, **options):  # type: ignore[no-untyped-def]
    return n, options


@fused.udf
def takes_args(first: int, *rest):  # type: ignore[no-untyped-def]
    return first, rest


@fused.udf
def positional_only(a: int, /, b: int = 2):
    return a, b


def test_unknown_parameters_are_rejected_naming_them_and_the_accepted_ones():
    with pytest.raises(UdfParameterError) as caught:
        needs_name(name="x", colour="red", size="2")
    error = caught.value
    assert error.code == "UDF_ERR_UNKNOWN_PARAM"
    assert "unknown parameters 'colour', 'size'" in str(error)
    assert "the UDF takes: name, n" in str(error)
    assert isinstance(error, TypeError)


def test_kwargs_accept_unknown_parameters_as_given():
    assert takes_kwargs(n="2", colour="red", size=3) == (2, {"colour": "red", "size": 3})


@fused.udf
def declares_verbose(verbose: bool = False):
    return verbose


def test_the_official_clients_run_options_are_dropped_unless_the_udf_declares_them():
    assert needs_name(name="x", verbose="True", _stream_logs="false") == ("x", 1)
    assert takes_kwargs(verbose="True", colour="red") == (1, {"colour": "red"})
    assert declares_verbose(verbose="true") is True


def test_missing_required_parameters_are_named():
    with pytest.raises(UdfParameterError, match="missing required parameter 'name'") as caught:
        needs_name(n=2)
    assert caught.value.code == "UDF_ERR_MISSING_PARAM"


def test_positional_arguments_bind_in_order_and_convert():
    assert needs_name("x", "3") == ("x", 3)
    assert fused.run(needs_name, "y", n="4") == ("y", 4)


def test_too_many_positional_arguments_are_rejected():
    with pytest.raises(UdfParameterError, match="takes 2 positional argument") as caught:
        needs_name("x", 1, 2)
    assert caught.value.code == "UDF_ERR_UNKNOWN_PARAM"


def test_extra_positionals_go_to_star_args():
    assert takes_args("1", 2, 3) == (1, (2, 3))


def test_positional_only_parameters_are_passed_by_position():
    assert positional_only(a="5") == (5, 2)
    assert positional_only("6", b="7") == (6, 7)


def test_a_value_given_by_position_and_by_name_is_rejected():
    with pytest.raises(UdfParameterError, match="both by position and by name"):
        needs_name("x", name="y")


def test_fused_run_merges_parameters_and_keywords():
    assert fused.run(needs_name, parameters={"name": "p", "n": "1"}, n="2") == ("p", 2)
