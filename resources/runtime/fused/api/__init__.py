"""`fused.api`: files, signed URLs, jobs and the account, on this machine.

Every public name of the Fused SDK's `fused.api` is here with its signature. Locally:

- files: `list`, `get`, `download`, `upload`, `delete`, `resolve` on `fd://` (the home's bucket,
  `$UDF_STUDIO_HOME/fd`), `/mnt/cache` (the shared disk) and local paths, and on `s3://` with s3fs;
  `FdFileSystem` (fsspec);
- `sign_url`, `sign_url_prefix`: URLs a browser or another process opens without a token, served
  by the running engine for local files, presigned (or public) for `s3://`;
- `whoami` (the local account), `get_udfs` and `get_apps` (the workspace), `access_token`,
  `auth_scheme` and `AUTHORIZATION` (the private token);
- the `job_*` functions, on the engine's jobs.

The rest reaches services of Fused's cloud (OAuth integrations, schedules, canvases, the audit log,
the hosted client itself): those raise `fused._errors.NotLocalError` naming them and saying why
(the list, with each reason, is `_not_local.NOT_LOCAL`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import api, credentials, docker_api
from ._files import delete, download, get, resolve, upload
from ._files import list_files as list
from ._jobs import (
    RunResponse,
    job_cancel,
    job_get_exec_time,
    job_get_logs,
    job_get_results,
    job_get_status,
    job_print_logs,
    job_tail_logs,
    job_wait_for_job,
    job_wait_for_results,
)
from ._listing import ListDetails
from ._not_local import (
    DriveFileSystem,
    DropboxFileSystem,
    FusedAirtableConnection,
    FusedDropboxConnection,
    FusedNotionConnection,
    FusedOnedriveConnection,
    FusedSnowflakeConnection,
    OnedriveFileSystem,
    _session_token,
    airtable_connect,
    airtable_list_records,
    anthropic_connect,
    daytona_connect,
    dropbox_connect,
    enable_gcs,
    hubspot_connect,
    huggingface_connect,
    huggingface_inference,
    log,
    modal_connect,
    notion_connect,
    onedrive_connect,
    openai_connect,
    schedule_list,
    schedule_udf,
    session_token,
    shared_udf_url,
    snowflake_connect,
    snowflake_query,
    team_info,
)
from ._signing import sign_url, sign_url_prefix
from ._workspace import UdfRegistry, get_apps, get_udfs, whoami
from .api import FusedAPI
from .credentials import AUTHORIZATION, NotebookCredentials, access_token, auth_scheme, logout
from .docker_api import FusedDockerAPI

__all__ = [
    "AUTHORIZATION",
    "DriveFileSystem",
    "DropboxFileSystem",
    "FdFileSystem",
    "FusedAPI",
    "FusedAirtableConnection",
    "FusedDockerAPI",
    "FusedDropboxConnection",
    "FusedNotionConnection",
    "FusedOnedriveConnection",
    "FusedSnowflakeConnection",
    "ListDetails",
    "NotebookCredentials",
    "OnedriveFileSystem",
    "RunResponse",
    "UdfRegistry",
    "_session_token",
    "access_token",
    "airtable_connect",
    "airtable_list_records",
    "anthropic_connect",
    "api",
    "auth_scheme",
    "credentials",
    "daytona_connect",
    "delete",
    "docker_api",
    "download",
    "dropbox_connect",
    "enable_gcs",
    "get",
    "get_apps",
    "get_udfs",
    "hubspot_connect",
    "huggingface_connect",
    "huggingface_inference",
    "job_cancel",
    "job_get_exec_time",
    "job_get_logs",
    "job_get_results",
    "job_get_status",
    "job_print_logs",
    "job_tail_logs",
    "job_wait_for_job",
    "job_wait_for_results",
    "list",
    "log",
    "logout",
    "modal_connect",
    "notion_connect",
    "onedrive_connect",
    "openai_connect",
    "resolve",
    "schedule_list",
    "schedule_udf",
    "session_token",
    "shared_udf_url",
    "sign_url",
    "sign_url_prefix",
    "snowflake_connect",
    "snowflake_query",
    "team_info",
    "upload",
    "whoami",
]


def __getattr__(name: str) -> Any:
    # FdFileSystem needs fsspec: it is built, and fd:// registered with fsspec, on first use.
    if name == "FdFileSystem":
        from ._fd_filesystem import fd_filesystem_class

        cls = fd_filesystem_class()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> Iterable[str]:
    return sorted({*globals(), "FdFileSystem"})
