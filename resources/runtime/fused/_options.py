"""`fused.options`: every option name of the official SDK, with this machine's values.

Two kinds:

- This machine's facts, which cannot be set (`AttributeError` says so): `base_url` (the engine's
  URL + `/server/v1`; `base_web_url` is the engine's URL), `shared_udf_base_url`,
  `cache_directory` and `data_directory` (the shared disk, `/mnt/cache` in UDF code),
  `fd_prefix` (the bucket folder as a `file://` URL, so `fd_prefix + "/x.parquet"` opens),
  `realtime_client_id` ("local", as in the engine's URLs), `max_recursion_factor` (5),
  `job_id` (None: runs here are not batch jobs of Fused's).
- Settings a script may change, as with the SDK (type-checked). Four act here:
  `default_udf_run_engine` (the engine of runs that name none), `cache_decorator_max_age`
  (`@fused.cache`'s default: 12 hours here), `verbose_cached_functions` (the cache-hit note) and
  `show.enable_tqdm` (the progress bar of `fused.submit`). The others keep the SDK's defaults
  for scripts that set or read them and have no effect here (they tune Fused's HTTP client,
  logins, Google Cloud and the hosted cache).

Unknown names raise a clear `AttributeError`, as a misspelt option should.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ._account import API_PATH, engine_url
from ._nesting import MAX_DEPTH
from ._not_local import not_local_function
from ._shared_disk import bucket, shared_disk, studio_home

if TYPE_CHECKING:
    from ._udf_like import UdfLike

REALTIME_CLIENT_ID: Final = "local"
# `@fused.cache`'s default max age here (the SDK's is 48 hours).
CACHE_DECORATOR_MAX_AGE_S: Final = 12 * 3600


def _base_url() -> str:
    return engine_url() + API_PATH


FIXED: Final[Mapping[str, Callable[[], object]]] = {
    "base_url": _base_url,
    "shared_udf_base_url": lambda: _base_url() + "/realtime-shared",
    "cache_directory": shared_disk,
    "data_directory": shared_disk,
    "fd_prefix": lambda: bucket().as_uri() + "/",
    "realtime_client_id": lambda: REALTIME_CLIENT_ID,
    "max_recursion_factor": lambda: MAX_DEPTH,
    "job_id": lambda: None,
}


@dataclass(frozen=True)
class Setting:
    """A settable option: its default here and the types a new value may have."""

    default: Callable[[], object]
    kinds: tuple[type, ...]
    optional: bool = False


def _value(value: object) -> Callable[[], object]:
    return lambda: value


def _copy(value: dict[str, str]) -> Callable[[], object]:
    return lambda: dict(value)


_BOOL = (bool,)
_INT = (int,)
_NUMBER = (int, float)
_STR = (str,)

SETTINGS: Final[Mapping[str, Setting]] = {
    "default_udf_run_engine": Setting(_value(None), _STR, optional=True),
    "cache_decorator_max_age": Setting(_value(CACHE_DECORATOR_MAX_AGE_S), (int, str)),
    "verbose_cached_functions": Setting(_value(True), _BOOL),
    "max_workers": Setting(_value(16), _INT),
    "run_timeout": Setting(_value(130), _NUMBER),
    "request_timeout": Setting(_value(5), (int, float, tuple), optional=True),
    "metadata_request_timeout": Setting(_value(60.0), _NUMBER),
    "request_max_retries": Setting(_value(5), _INT),
    "request_retry_base_delay": Setting(_value(1.0), _NUMBER),
    "save_user_settings": Setting(_value(True), _BOOL),
    "prompt_to_login": Setting(_value(False), _BOOL),
    "no_login": Setting(_value(False), _BOOL),
    "pyodide_async_requests": Setting(_value(False), _BOOL),
    "temp_directory": Setting(lambda: Path(tempfile.gettempdir()), (Path, str)),
    "never_import": Setting(_value(False), _BOOL),
    "gcs_secret": Setting(_value("gcs_fused"), _STR),
    "gcs_filename": Setting(_value("/tmp/.gcs.fused"), _STR),
    "gcp_project_name": Setting(_value(None), _STR, optional=True),
    "logging": Setting(_value(False), _BOOL),
    "verbose_udf_runs": Setting(_value(False), _BOOL),
    "default_run_headers": Setting(_copy({"X-Fused-Cache-Disable": "true"}), (dict,), True),
    "fused_cache_disable_stream": Setting(_value(True), _BOOL),
    "default_dtype_out_vector": Setting(_value("parquet"), _STR),
    "default_dtype_out_raster": Setting(_value("npy,tiff"), _STR),
    "default_dtype_out_simple": Setting(_value("json"), _STR),
    "local_engine_cache": Setting(_value(True), _BOOL),
    "default_send_status_email": Setting(_value(True), _BOOL),
    "cache_storage": Setting(_value("auto"), _STR),
    "use_process_pool_for_local_submit": Setting(_value(False), _BOOL),
    "h3_extract_processes": Setting(_value(None), _INT, optional=True),
    "row_group_batch_size": Setting(_value(1_048_576), _INT),
    "default_conflict_overwrite_choice": Setting(_value("no"), _STR),
}


class Group:
    """A group of options (`fused.options.auth`, `fused.options.show`): settings, and this
    machine's facts (`fixed`)."""

    _label: str
    _settings: Mapping[str, Setting]
    _fixed: dict[str, Callable[[], object]]
    _values: dict[str, object]

    def __init__(
        self,
        label: str,
        settings: Mapping[str, Setting],
        fixed: Mapping[str, Callable[[], object]] | None = None,
    ) -> None:
        object.__setattr__(self, "_label", label)
        object.__setattr__(self, "_settings", settings)
        object.__setattr__(self, "_fixed", dict(fixed or {}))
        object.__setattr__(self, "_values", {name: s.default() for name, s in settings.items()})

    def __getattr__(self, name: str) -> Any:
        fixed: dict[str, Callable[[], object]] = object.__getattribute__(self, "_fixed")
        if name in fixed:
            return fixed[name]()
        values: dict[str, object] = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        known = ", ".join(sorted([*values, *fixed]))
        raise AttributeError(f"{self._label} has no option {name!r} (it has: {known})")

    def __setattr__(self, name: str, value: object) -> None:
        self._values[name] = _checked(f"{self._label}.{name}", self._setting(name), value)

    def __delattr__(self, name: str) -> None:
        # Deleting a setting puts its default back (what `monkeypatch` does when it undoes).
        self._values[name] = self._setting(name).default()

    def _setting(self, name: str) -> Setting:
        if name in self._fixed:
            raise AttributeError(f"{self._label}.{name} is this machine's and cannot be set")
        setting = self._settings.get(name)
        if setting is None:
            known = ", ".join(sorted([*self._settings, *self._fixed]))
            raise AttributeError(f"{self._label} has no option {name!r} (it has: {known})")
        return setting

    def __dir__(self) -> list[str]:
        return sorted([*self._values, *self._fixed])

    def __repr__(self) -> str:
        return f"{self._label}({', '.join(f'{k}={v!r}' for k, v in self._values.items())})"


def _auth_group() -> Group:
    # No login here: the private token in the home's credentials file authorises the engine.
    nothing = Setting(_value(None), _STR, optional=True)
    settings = dict.fromkeys(
        (
            "authorize_url",
            "oauth_token_url",
            "logout_url",
            "client_id",
            "audience",
            "local_redirect_url",
        ),
        nothing,
    )
    settings["scopes"] = Setting(list, (list,))
    # The engine's private token: what authorises this machine's requests.
    fixed = {"credentials_path": lambda: str(studio_home() / "credentials")}
    return Group("fused.options.auth", settings, fixed)


def _show_group() -> Group:
    return Group(
        "fused.options.show",
        {
            "open_browser": Setting(_value(None), _BOOL, optional=True),
            "show_widget": Setting(_value(None), _BOOL, optional=True),
            "enable_tqdm": Setting(_value(True), _BOOL),
        },
    )


GROUPS: Final[Mapping[str, Callable[[], Group]]] = {"auth": _auth_group, "show": _show_group}


class Options:
    """UDF Studio's `fused.options`."""

    save = not_local_function("fused.options.save")
    _values: dict[str, object]

    def __init__(self) -> None:
        values = {name: setting.default() for name, setting in SETTINGS.items()}
        values.update({name: make() for name, make in GROUPS.items()})
        object.__setattr__(self, "_values", values)

    @property
    def base_web_url(self) -> str:
        """The engine's URL (`base_url` without `/server/v1`): where its pages are served."""
        return engine_url()

    def __getattr__(self, name: str) -> Any:
        # Only reached for names the class does not define.
        fixed = FIXED.get(name)
        if fixed is not None:
            return fixed()
        values: dict[str, object] = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        raise AttributeError(f"fused.options has no option {name!r}")

    def __setattr__(self, name: str, value: object) -> None:
        self._values[name] = _checked(f"fused.options.{name}", self._setting(name), value)

    def __delattr__(self, name: str) -> None:
        # Deleting a setting puts its default back (what `monkeypatch` does when it undoes).
        self._values[name] = self._setting(name).default()

    def _setting(self, name: str) -> Setting:
        if name in FIXED or name == "base_web_url":
            raise AttributeError(
                f"fused.options.{name} is this machine's and cannot be set in UDF Studio"
            )
        if name in GROUPS:
            raise AttributeError(f"set the fields of fused.options.{name}, not the group")
        setting = SETTINGS.get(name)
        if setting is None:
            raise AttributeError(f"fused.options has no option {name!r}")
        return setting

    def __dir__(self) -> list[str]:
        return sorted([*FIXED, *self._values, "base_web_url", "save"])

    def __repr__(self) -> str:
        shown = {name: getattr(self, name) for name in ("base_url", "realtime_client_id")}
        values = ", ".join(f"{name}={value!r}" for name, value in shown.items())
        return f"fused.options({values}, ...)"


def _checked(label: str, setting: Setting, value: object) -> object:
    if value is None and setting.optional:
        return None
    # bool is an int in Python; an option that wants a number must not take True.
    fits = isinstance(value, setting.kinds) and not (
        isinstance(value, bool) and bool not in setting.kinds
    )
    if not fits:
        wanted = " or ".join(kind.__name__ for kind in setting.kinds)
        also = " or None" if setting.optional else ""
        raise TypeError(f"{label} must be {wanted}{also}: {value!r}")
    return value


options: Final = Options()


def default_engine(udf: UdfLike) -> str | None:
    """The engine of a run that names none: the UDF's own, else `default_udf_run_engine`."""
    engine: str | None = udf.engine or options.default_udf_run_engine
    return engine
