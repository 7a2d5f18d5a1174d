"""Entry point: `python -u -m udf_studio_cluster tcp://HOST:PORT` (frames on fds 3 and 4)."""

import sys

from udf_studio_cluster.bridge import main

sys.exit(main(sys.argv[1:]))
