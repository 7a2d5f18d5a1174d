"""Public `s3://` and `gs://` data read anonymously when no credentials are configured.

On Fused, UDFs read public buckets (Overture, Sentinel, NAIP, ...) with the cloud credentials of
the machine they run on. Here there are often none, and then botocore (s3fs, pandas, boto3)
refuses to send anything ("Unable to locate credentials") where an unsigned request would be
answered. So when no AWS credentials are configured (environment, shared files, profile, web
identity, container), the worker asks each library for unsigned requests the way it is told so:
GDAL (rasterio, pyogrio, fiona) with `AWS_NO_SIGN_REQUEST=YES`, fsspec (s3fs, pandas, xarray,
geopandas) with `anon` as its S3 default; DuckDB and pyarrow send unsigned requests without
credentials anyway. The same for Google Cloud Storage (`GS_NO_SIGN_REQUEST`, gcsfs `token=anon`).
When credentials are configured nothing changes, and a variable the user set is never replaced.
"""

from __future__ import annotations

import json
import os
from collections.abc import MutableMapping
from pathlib import Path

# Any of these in the environment means AWS credentials are configured somewhere.
_AWS_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)
# Lines of ~/.aws/config that give credentials (keys, SSO, a role, a process).
_AWS_CONFIG_KEYS = ("aws_access_key_id", "sso_", "role_arn", "credential_process")


def aws_credentials_configured(environ: MutableMapping[str, str], home: Path) -> bool:
    """True when botocore would find credentials without asking the machine's metadata service."""
    if any(environ.get(name) for name in _AWS_ENV):
        return True
    shared = Path(environ.get("AWS_SHARED_CREDENTIALS_FILE") or home / ".aws" / "credentials")
    if shared.is_file() and shared.stat().st_size > 0:
        return True
    config = Path(environ.get("AWS_CONFIG_FILE") or home / ".aws" / "config")
    try:
        text = config.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(key in text for key in _AWS_CONFIG_KEYS)


def gcp_credentials_configured(environ: MutableMapping[str, str], home: Path) -> bool:
    """True when Google's libraries would find application default credentials."""
    if environ.get("GOOGLE_APPLICATION_CREDENTIALS"):
        return True
    config = Path(environ.get("CLOUDSDK_CONFIG") or home / ".config" / "gcloud")
    return (config / "application_default_credentials.json").is_file()


def configure_anonymous_access(
    environ: MutableMapping[str, str] | None = None, home: Path | None = None
) -> list[str]:
    """Sets the variables for unsigned reads where no credentials are configured.

    Call it before the libraries are imported (fsspec reads its variables once). Returns the names
    of the variables it set.
    """
    env = os.environ if environ is None else environ
    where = Path.home() if home is None else home
    changed: list[str] = []

    def default(name: str, value: str) -> None:
        if name not in env:
            env[name] = value
            changed.append(name)

    def fsspec_default(protocol: str, options: dict[str, object]) -> None:
        name = f"FSSPEC_{protocol.upper()}"
        if name not in env and not any(key.startswith(f"{name}_") for key in env):
            env[name] = json.dumps(options)
            changed.append(name)

    if not aws_credentials_configured(env, where):
        default("AWS_NO_SIGN_REQUEST", "YES")
        fsspec_default("s3", {"anon": True})
    if not gcp_credentials_configured(env, where):
        default("GS_NO_SIGN_REQUEST", "YES")
        fsspec_default("gcs", {"token": "anon"})
        fsspec_default("gs", {"token": "anon"})
    return changed
