"""Entry point: `python -u -m udf_studio_worker` (requests on fds 3 and 5, responses on fd 4)."""

from udf_studio_worker.worker_main import main

main()
