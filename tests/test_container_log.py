"""A container's log (runtime/container.py's Log): read back exactly as it was written,
line by line, however its lines fall into runs of one instant and one stream."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from miniswarm.runtime.container import Log

entries = st.lists(
    st.tuples(st.sampled_from([0.0, 1.5, 2.0]), st.sampled_from(["stdout", "stderr"]), st.text()),
    max_size=30,
)


@given(entries)
def test_a_log_reads_back_what_was_written_in_order(written):
    log = Log()
    for time, stream, line in sorted(written, key=lambda e: e[0]):
        log.append(time, stream, line)
    assert list(log) == sorted(written, key=lambda e: e[0])
    assert len(log) == len(written)
    assert list(Log(log)) == list(log)  # (as a record read back from the disk is)


def test_a_servers_start_up_lines_are_one_run():
    log = Log()
    for line in ("starting", "ready", "listening"):
        log.append(7.0, "stdout", line)
    log.append(7.0, "stderr", "warning")
    log.append(8.0, "stdout", "GET /")
    assert log._runs == [(7.0, "stdout", 3), (7.0, "stderr", 1), (8.0, "stdout", 1)]
    assert [entry[2] for entry in log] == ["starting", "ready", "listening", "warning", "GET /"]
