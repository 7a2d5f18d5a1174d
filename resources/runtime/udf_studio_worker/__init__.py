"""The Python worker process of UDF Studio's engine; see docs/worker-protocol.md."""
