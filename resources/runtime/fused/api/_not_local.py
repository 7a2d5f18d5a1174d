"""The names of `fused.api` that have no local meaning, each with its reason.

They keep the SDK's signatures, so code that names them still imports and type-checks; calling one
(or making one of the classes) raises `NotLocalError`, which names it and says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal, NoReturn

from .._errors import NotLocalError

_OAUTH: Final = (
    "it connects through the OAuth of a Fused account, and UDF Studio has none: use the "
    "service's own Python client with your own credentials"
)
_CANVAS: Final = (
    "it belongs to Fused's shared canvases (udf.ai), which UDF Studio does not have: a shared "
    "token (`udf-studio token create NAME`) gives a URL that runs a UDF"
)
_SCHEDULER: Final = (
    "Fused's cloud scheduler runs it, and UDF Studio has none: schedule `udf-studio run NAME` "
    "with cron or your system's task scheduler"
)
_ACCOUNT: Final = (
    "it signs in to a Fused account; UDF Studio's private token is in "
    "$UDF_STUDIO_HOME/credentials, created when the engine first starts"
)

NOT_LOCAL: Final[Mapping[str, str]] = {
    **dict.fromkeys(
        [
            "airtable_connect",
            "airtable_list_records",
            "anthropic_connect",
            "daytona_connect",
            "dropbox_connect",
            "hubspot_connect",
            "huggingface_connect",
            "huggingface_inference",
            "modal_connect",
            "notion_connect",
            "onedrive_connect",
            "openai_connect",
            "snowflake_connect",
            "snowflake_query",
            "DriveFileSystem",
            "DropboxFileSystem",
            "OnedriveFileSystem",
            "FusedAirtableConnection",
            "FusedDropboxConnection",
            "FusedNotionConnection",
            "FusedOnedriveConnection",
            "FusedSnowflakeConnection",
        ],
        _OAUTH,
    ),
    **dict.fromkeys(["session_token", "_session_token", "shared_udf_url"], _CANVAS),
    **dict.fromkeys(["schedule_udf", "schedule_list"], _SCHEDULER),
    **dict.fromkeys(["logout", "NotebookCredentials"], _ACCOUNT),
    "log": (
        "it reads the audit log of runs in Fused's cloud: local runs return their output with "
        "each run, and the window's Jobs view lists jobs"
    ),
    "team_info": (
        "it describes a Fused team's execution environment; UDF Studio has one local account, "
        "which fused.api.whoami() describes"
    ),
    "enable_gcs": (
        "it reads Google Cloud credentials from Fused's secret manager: set "
        "GOOGLE_APPLICATION_CREDENTIALS to your credentials file instead"
    ),
    "FusedAPI": (
        "it is the client of Fused's hosted API: the functions of fused.api do the local thing, "
        "and the official client can talk to this engine (`udf-studio connect` prints how)"
    ),
    "FusedDockerAPI": (
        "it runs Fused's job container in Docker; UDF Studio runs jobs in its own workers "
        "(fused.submit)"
    ),
}


def not_local(name: str) -> NotLocalError:
    """The error for calling `fused.api.NAME`, naming it and saying why it has no local meaning."""
    return NotLocalError(f"fused.api.{name} has no local meaning in UDF Studio: {NOT_LOCAL[name]}")


class NotLocalObject:
    """A class of the SDK with no local meaning: making one raises `NotLocalError`."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise not_local(type(self).__name__)


class DriveFileSystem(NotLocalObject):
    """Google Drive as an fsspec file system, through Fused's OAuth (not local)."""


class DropboxFileSystem(NotLocalObject):
    """Dropbox as an fsspec file system, through Fused's OAuth (not local)."""


class OnedriveFileSystem(NotLocalObject):
    """OneDrive as an fsspec file system, through Fused's OAuth (not local)."""


class FusedDropboxConnection(NotLocalObject):
    """A Dropbox connection through Fused's OAuth (not local)."""

    def __init__(self) -> None:
        raise not_local("FusedDropboxConnection")


class FusedNotionConnection(NotLocalObject):
    """A Notion connection through Fused's OAuth (not local)."""

    def __init__(self) -> None:
        raise not_local("FusedNotionConnection")


class FusedOnedriveConnection(NotLocalObject):
    """A OneDrive connection through Fused's OAuth (not local)."""

    def __init__(self) -> None:
        raise not_local("FusedOnedriveConnection")


class FusedAirtableConnection(NotLocalObject):
    """An Airtable connection through Fused's OAuth (not local)."""

    def __init__(self, base_id: str | None = None) -> None:
        raise not_local("FusedAirtableConnection")


class FusedSnowflakeConnection(NotLocalObject):
    """A Snowflake connection through Fused's OAuth (not local)."""

    def __init__(
        self,
        role: str | None = None,
        warehouse: str | None = None,
        database: str | None = None,
        schema: str | None = None,
    ) -> None:
        raise not_local("FusedSnowflakeConnection")


def snowflake_connect(
    *,
    role: str | None = None,
    warehouse: str | None = None,
    database: str | None = None,
    schema: str | None = None,
) -> NoReturn:
    """Snowflake through Fused's OAuth (not local)."""
    raise not_local("snowflake_connect")


def snowflake_query(
    sql: str,
    *,
    role: str | None = None,
    warehouse: str | None = None,
    database: str | None = None,
    schema: str | None = None,
) -> NoReturn:
    """A Snowflake query through Fused's OAuth (not local)."""
    raise not_local("snowflake_query")


def airtable_connect(*, base_id: str | None = None) -> NoReturn:
    """Airtable through Fused's OAuth (not local)."""
    raise not_local("airtable_connect")


def airtable_list_records(table: str, *, base_id: str, **params: Any) -> NoReturn:
    """Airtable records through Fused's OAuth (not local)."""
    raise not_local("airtable_list_records")


def hubspot_connect() -> NoReturn:
    """HubSpot through Fused's OAuth (not local)."""
    raise not_local("hubspot_connect")


def notion_connect() -> NoReturn:
    """Notion through Fused's OAuth (not local)."""
    raise not_local("notion_connect")


def dropbox_connect() -> NoReturn:
    """Dropbox through Fused's OAuth (not local)."""
    raise not_local("dropbox_connect")


def onedrive_connect() -> NoReturn:
    """OneDrive through Fused's OAuth (not local)."""
    raise not_local("onedrive_connect")


def openai_connect() -> NoReturn:
    """OpenAI with Fused's managed key (not local)."""
    raise not_local("openai_connect")


def anthropic_connect() -> NoReturn:
    """Anthropic with Fused's managed key (not local)."""
    raise not_local("anthropic_connect")


def huggingface_connect() -> NoReturn:
    """Hugging Face with Fused's managed token (not local)."""
    raise not_local("huggingface_connect")


def huggingface_inference() -> NoReturn:
    """Hugging Face inference with Fused's managed token (not local)."""
    raise not_local("huggingface_inference")


def modal_connect() -> NoReturn:
    """Modal with Fused's managed token (not local)."""
    raise not_local("modal_connect")


def daytona_connect() -> NoReturn:
    """Daytona with Fused's managed key (not local)."""
    raise not_local("daytona_connect")


def session_token(session_max_age: str | int = "1h") -> NoReturn:
    """A session token of a Fused canvas (not local)."""
    raise not_local("session_token")


def _session_token(collection: object, session_max_age: str | int = "1h") -> NoReturn:
    """A session token of a Fused collection's share token (not local)."""
    raise not_local("_session_token")


def shared_udf_url(udf_name: str | None = None, *, session_max_age: str | int = "1h") -> NoReturn:
    """A udf.ai URL of a UDF in the current canvas (not local)."""
    raise not_local("shared_udf_url")


def schedule_udf(
    udf: object,
    minute: list[int] | int,
    hour: list[int] | int,
    day_of_month: list[int] | int | None = None,
    month: list[int] | int | None = None,
    day_of_week: list[int] | int | None = None,
    udf_args: dict[str, Any] | None = None,
    enabled: bool = True,
    _create_udf: bool = True,
    **kwargs: Any,
) -> NoReturn:
    """A cron schedule in Fused's cloud (not local)."""
    raise not_local("schedule_udf")


def schedule_list() -> NoReturn:
    """The cron schedules of Fused's cloud (not local)."""
    raise not_local("schedule_list")


def log(
    id: str | None = None,
    *,
    udf_id: str | None = None,
    udf_name: str | None = None,
    shared_token: str | None = None,
    exec_env: bool = False,
    distinct: bool = False,
    distinct_type: Literal["names", "ids"] | None = None,
    start_timestamp: str | None = None,
    end_timestamp: str | None = None,
    limit: int = 100,
    scan_forward: bool = True,
    page_token: str | None = None,
    max_records_to_scan: int = 1000,
) -> NoReturn:
    """The audit log of Fused's cloud (not local)."""
    raise not_local("log")


def team_info() -> NoReturn:
    """The Fused team's execution environment (not local)."""
    raise not_local("team_info")


def enable_gcs() -> NoReturn:
    """Google Cloud credentials from Fused's secret manager (not local)."""
    raise not_local("enable_gcs")
