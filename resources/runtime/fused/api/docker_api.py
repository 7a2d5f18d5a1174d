"""`fused.api.docker_api`: Fused's job container run in Docker, which has no local meaning
(UDF Studio runs jobs in its own workers)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ._not_local import NotLocalObject, not_local


class FusedDockerAPI(NotLocalObject):
    """Fused's job container in Docker (not local)."""

    def __init__(
        self,
        *,
        repository: str = "926411091187.dkr.ecr.us-west-2.amazonaws.com/fused-job2",
        tag: str = "latest",
        mount_aws_credentials: bool = False,
        mount_data_directory: str | None = None,
        mount_job_input_directory: str | None = "/tmp",
        additional_docker_args: Sequence[str] = (),
        docker_command_wrapper: Callable[[str], str] | None = None,
        auth_token: str | None = None,
        auto_auth_token: bool = True,
        set_global_api: bool = True,
        is_staging: bool | None = None,
        is_gcp: bool = False,
        is_aws: bool = False,
        pass_config_as_file: bool = True,
        base_url: str | None = None,
        credentials_needed: bool = True,
    ) -> None:
        raise not_local("FusedDockerAPI")
