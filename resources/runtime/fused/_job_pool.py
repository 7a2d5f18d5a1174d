"""The JobPool that `fused.submit(..., collect=False)` and `udf.map(...)` return.

A pool shows one list of runs, whatever runs them: the engine's job (`_job_backends.EngineJobs`)
or threads in this process (`LocalJobs`). `retry()` sends the failed runs again as a new part;
the latest part that has a run is the one the pool shows for it. Its methods and parameters are
the SDK's (`results(return_exceptions=...)`, `pending()` as `{index: arguments}`, `times()` as
timedeltas, ...); `results(ignore_exceptions=True)` and `collect_df()`, the older names, work too.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final, Protocol

from ._errors import UdfRuntimeError
from ._progress import Progress
from .types import JobPoolTailTimeoutError

if TYPE_CHECKING:
    import pandas as pd

FINISHED: Final = frozenset({"succeeded", "failed", "cancelled"})
STATUSES: Final = ("pending", "running", "succeeded", "failed", "cancelled")
# How long one wait for news lasts before the pool looks again (and redraws its bar).
POLL_S: Final = 1.0


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run as its backend last reported it."""

    index: int
    args: Mapping[str, Any]
    status: str
    attempts: int
    duration_s: float | None
    error: UdfRuntimeError | None


class JobBackend(Protocol):
    """What runs a part of a pool's runs."""

    def records(self) -> list[RunRecord]:
        """Every run of this part, in order (indices are the part's own, from 0)."""
        ...

    def wait_for_change(self, timeout: float) -> None:
        """Return when something changed, or after `timeout` seconds."""
        ...

    def result(self, index: int) -> Any:
        """A succeeded run's value."""
        ...

    def logs(self, index: int) -> str:
        """What a finished run printed (stdout, then stderr)."""
        ...

    def cancel(self) -> None:
        """Drop pending runs and stop running ones."""
        ...


class JobPool:
    """Many runs of one UDF, in the order of their arguments."""

    def __init__(
        self,
        label: str,
        args: Sequence[Mapping[str, Any]],
        backend: JobBackend,
        *,
        resubmit: Any = None,
        show_progress: bool = True,
    ) -> None:
        self._label = label
        self._args = list(args)
        self._parts: list[tuple[JobBackend, list[int]]] = [(backend, list(range(len(args))))]
        self._resubmit = resubmit
        self._show_progress = show_progress
        self._results: dict[int, Any] = {}
        self._started = time.monotonic()
        self._retried: float | None = None
        self._finished: float | None = None

    def __repr__(self) -> str:
        records = self._records()
        done = sum(record.status in FINISHED for record in records)
        return f"<JobPool with {len(records)} jobs [status: {done}/{len(records)} done]>"

    def __len__(self) -> int:
        return len(self._args)

    def __iter__(self) -> Iterator[Any]:
        """Wait for every run, then go through their values in order."""
        return iter(self.results())

    # --- state ----------------------------------------------------------------------------

    def status(self) -> pd.Series:
        """How many runs are in each status (pending, running, succeeded, failed, cancelled)."""
        import pandas as pd

        counts = dict.fromkeys(STATUSES, 0)
        for record in self._records():
            counts[record.status] += 1
        return pd.Series(counts, name="count")

    def done(self) -> bool:
        """Whether every run has ended (succeeded, failed or cancelled)."""
        return all(record.status in FINISHED for record in self._records())

    def all_succeeded(self) -> bool:
        """Whether every run succeeded."""
        return all(record.status == "succeeded" for record in self._records())

    def any_failed(self) -> bool:
        """Whether a run failed."""
        return any(record.status == "failed" for record in self._records())

    def any_succeeded(self) -> bool:
        """Whether a run succeeded."""
        return any(record.status == "succeeded" for record in self._records())

    def pending(self) -> dict[int, Mapping[str, Any]]:
        """The arguments of the runs that have not started, by index."""
        return self._args_in("pending")

    def running(self) -> dict[int, Mapping[str, Any]]:
        """The arguments of the runs in progress, by index."""
        return self._args_in("running")

    def cancelled(self) -> dict[int, Mapping[str, Any]]:
        """The arguments of the cancelled runs, by index."""
        return self._args_in("cancelled")

    def success(self) -> dict[int, Any]:
        """The values of the runs that succeeded so far, by index."""
        return {r.index: self._result(r.index) for r in self._records() if r.status == "succeeded"}

    def arg_df(self) -> pd.DataFrame:
        """The arguments of every run, one row each."""
        import pandas as pd

        return pd.DataFrame([dict(args) for args in self._args])

    def times(self) -> list[timedelta | None]:
        """Each run's duration (None until it has run)."""
        return [
            None if record.duration_s is None else timedelta(seconds=record.duration_s)
            for record in self._records()
        ]

    def total_time(self, since_retry: bool = False) -> timedelta:
        """From the submit (or the last `retry()`, with `since_retry`) to the end of the last
        run, or to now while runs go on."""
        self._records()
        end = self._finished if self._finished is not None else time.monotonic()
        start = self._retried if since_retry and self._retried is not None else self._started
        return timedelta(seconds=end - start)

    def errors(self) -> dict[int, UdfRuntimeError]:
        """The failed runs' exceptions by index."""
        return {r.index: r.error for r in self._records() if r.status == "failed" and r.error}

    def first_error(self) -> UdfRuntimeError | None:
        """The exception of the first failed run (by index), or None."""
        errors = self.errors()
        return errors[min(errors)] if errors else None

    def logs(self) -> list[str | None]:
        """What each finished run printed (stdout, then stderr); None for the others."""
        out: list[str | None] = []
        for index, (backend, part_index) in enumerate(self._owners()):
            finished = self._record_of(index).status in ("succeeded", "failed")
            out.append(backend.logs(part_index) if finished else None)
        return out

    def first_log(self) -> str | None:
        """What the first finished run (by index) printed, or None."""
        return next((log for log in self.logs() if log is not None), None)

    def logs_df(
        self,
        status_column: str | None = "status",
        result_column: str | None = "result",
        time_column: str | None = "time",
        logs_column: str | None = "logs",
        exception_column: str | None = None,
        include_exceptions: bool = True,
    ) -> pd.DataFrame:
        """The runs as they are now: their arguments, then the columns asked for (a None name
        leaves one out): status, value (a failed run's exception with `include_exceptions`),
        seconds taken, what it printed, and its exception."""
        import pandas as pd

        records = self._records()
        frame = pd.DataFrame([dict(args) for args in self._args])
        if status_column:
            frame[status_column] = [record.status for record in records]
        if result_column:
            frame[result_column] = pd.Series(
                [self._value_or_error(record, include_exceptions) for record in records],
                dtype=object,
            )
        if time_column:
            frame[time_column] = pd.Series([r.duration_s for r in records], dtype=float)
        if logs_column:
            frame[logs_column] = pd.Series(self.logs(), dtype=object)
        if exception_column:
            frame[exception_column] = pd.Series([r.error for r in records], dtype=object)
        return frame

    # --- waiting ----------------------------------------------------------------------------

    def wait(self, timeout: float | None = None, *, show_progress: bool | None = None) -> bool:
        """Wait until every run has ended (True), or `timeout` seconds have passed (False)."""
        show = self._show_progress if show_progress is None else show_progress
        deadline = None if timeout is None else time.monotonic() + timeout
        progress = Progress(self._label, len(self._args)) if show else None
        try:
            while True:
                records = self._records()
                counts = _counts(records)
                finished = counts["succeeded"] + counts["failed"] + counts["cancelled"]
                if progress:
                    progress.update(finished, counts["failed"], counts["running"])
                if finished == len(records):
                    if progress:
                        progress.close(finished, counts["failed"])
                        progress = None
                    return True
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._wait_any(POLL_S if left is None else min(POLL_S, left))
        except KeyboardInterrupt:
            self.cancel()
            raise
        finally:
            if progress:
                counts = _counts(self._records())
                ended = counts["succeeded"] + counts["failed"] + counts["cancelled"]
                progress.close(ended, counts["failed"])

    def tail(self, stop_on_exception: bool = False, timeout: float | None = None) -> None:
        """Wait for the job, printing each run's status and output as it finishes.

        `stop_on_exception` raises the first failure as soon as it happens; `timeout` (seconds)
        cancels what is left and raises `fused.types.JobPoolTailTimeoutError`, which carries
        the arguments of the runs that did not succeed.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        shown: set[int] = set()
        while True:
            for record in self._records():
                if record.index not in shown and record.status in FINISHED:
                    shown.add(record.index)
                    text = self.logs()[record.index] if record.status != "cancelled" else None
                    print(f"[{record.index}] {record.status}" + (f"\n{text}" if text else ""))
                    if stop_on_exception and record.status == "failed" and record.error:
                        raise record.error
            if len(shown) == len(self._args):
                return
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                self._time_out(timeout or 0.0)
            self._wait_any(POLL_S if left is None else min(POLL_S, left))

    # --- results ----------------------------------------------------------------------------

    def results(
        self, return_exceptions: bool = False, ignore_exceptions: bool = False
    ) -> list[Any]:
        """Every run's value in order, once all have ended. A failed run raises its error; with
        `return_exceptions` its error takes its place, with `ignore_exceptions` (the older
        name) None does."""
        self.wait(show_progress=False)
        return [
            self._value_or_raise(record, return_exceptions, ignore_exceptions)
            for record in self._records()
        ]

    def results_now(self, return_exceptions: bool = False) -> dict[int, Any]:
        """The values of the runs that have ended so far, by index (failures as in
        `results`)."""
        return {
            record.index: self._value_or_raise(record, return_exceptions, False)
            for record in self._records()
            if record.status in FINISHED
        }

    def collect(
        self,
        ignore_exceptions: bool = False,
        flatten: bool = True,
        drop_index: bool = False,
        verbose: bool = True,
        log_timeout: float | None = None,
    ) -> pd.DataFrame:
        """One DataFrame of the job: DataFrame results concatenated (with `flatten`), other
        results in a `result` column next to the arguments, indexed by run. A failed run raises
        its error unless `ignore_exceptions`, which leaves it out. `verbose` shows progress
        while it waits; `log_timeout` (seconds) stops waiting as `tail(timeout=...)` does;
        `drop_index` numbers the rows from 0."""
        import pandas as pd

        if not self.wait(log_timeout, show_progress=verbose and self._show_progress):
            self._time_out(log_timeout or 0.0)
        records = self._records()
        if not ignore_exceptions:
            for record in records:
                if record.status != "succeeded":
                    raise record.error or UdfRuntimeError(f"run {record.index} was {record.status}")
        kept = [record for record in records if record.status == "succeeded"]
        values = [self._result(record.index) for record in kept]
        if flatten and values and all(isinstance(value, pd.DataFrame) for value in values):
            combined: pd.DataFrame = pd.concat(values, ignore_index=True)
            return combined
        frame = pd.DataFrame([dict(record.args) for record in kept], index=[r.index for r in kept])
        frame["result"] = pd.Series(values, index=frame.index, dtype=object)
        return frame.reset_index(drop=True) if drop_index else frame

    df = collect

    def collect_df(self, ignore_exceptions: bool = False, flatten: bool = True) -> pd.DataFrame:
        """The same as `collect()` (an older name)."""
        return self.collect(ignore_exceptions=ignore_exceptions, flatten=flatten)

    # --- control ----------------------------------------------------------------------------

    def cancel(self, wait: bool = False) -> None:
        """Drop the runs that have not started and stop the running ones; with `wait`, return
        once they have all ended."""
        for backend, _ in self._parts:
            backend.cancel()
        if wait:
            self.wait(show_progress=False)

    def retry(self) -> JobPool:
        """Run the failed and cancelled runs again; the pool shows their new attempts."""
        again = [r.index for r in self._records() if r.status in ("failed", "cancelled")]
        if again and self._resubmit is not None:
            backend = self._resubmit([self._args[index] for index in again])
            self._parts.append((backend, again))
            self._retried = time.monotonic()
            self._finished = None
            for index in again:
                self._results.pop(index, None)
        return self

    # --- internals --------------------------------------------------------------------------

    def _owners(self) -> list[tuple[JobBackend, int]]:
        owners: list[tuple[JobBackend, int]] = [(self._parts[0][0], 0)] * len(self._args)
        for backend, indices in self._parts:
            for part_index, index in enumerate(indices):
                owners[index] = (backend, part_index)
        return owners

    def _records(self) -> list[RunRecord]:
        merged: list[RunRecord | None] = [None] * len(self._args)
        for backend, indices in self._parts:
            for record in backend.records():
                index = indices[record.index]
                merged[index] = RunRecord(
                    index,
                    self._args[index],
                    record.status,
                    record.attempts,
                    record.duration_s,
                    record.error,
                )
        records = [record for record in merged if record is not None]
        if self._finished is None and all(record.status in FINISHED for record in records):
            self._finished = time.monotonic()
        return records

    def _record_of(self, index: int) -> RunRecord:
        return self._records()[index]

    def _args_in(self, status: str) -> dict[int, Mapping[str, Any]]:
        return {r.index: r.args for r in self._records() if r.status == status}

    def _value_or_raise(self, record: RunRecord, returned: bool, ignored: bool) -> Any:
        if record.status == "succeeded":
            return self._result(record.index)
        if ignored:
            return None
        error = record.error or UdfRuntimeError(f"run {record.index} was {record.status}")
        if returned:
            return error
        raise error

    def _value_or_error(self, record: RunRecord, include_exceptions: bool) -> Any:
        if record.status == "succeeded":
            return self._result(record.index)
        return record.error if include_exceptions else None

    def _time_out(self, timeout: float) -> None:
        """Cancel what is left and raise the SDK's tail timeout, with the runs to send again."""
        self.cancel()
        left = [dict(r.args) for r in self._records() if r.status != "succeeded"]
        raise JobPoolTailTimeoutError(
            f"the job did not end within {timeout:g} s; {len(left)} runs did not succeed and "
            "were cancelled (their arguments: .not_succeeded_args)",
            timeout=timeout,
            not_succeeded_args=left,
        )

    def _result(self, index: int) -> Any:
        if index not in self._results:
            backend, part_index = self._owners()[index]
            self._results[index] = backend.result(part_index)
        return self._results[index]

    def _wait_any(self, timeout: float) -> None:
        for backend, _ in reversed(self._parts):
            if any(record.status not in FINISHED for record in backend.records()):
                backend.wait_for_change(timeout)
                return


def _counts(records: Sequence[RunRecord]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for record in records:
        counts[record.status] += 1
    return counts
