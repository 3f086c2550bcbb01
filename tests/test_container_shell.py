"""The shell inside fake containers (runtime/sh.py): what `sh -c` scripts in lessons and
recordings do, run to their end."""

from __future__ import annotations

from miniswarm.runtime import sh


def run(script: str, files: dict | None = None) -> tuple[list[str], int]:
    proc = sh.Proc({"HOME": "/root"}, "c0ffee", files if files is not None else {}, [], lambda: 0)
    gen = sh.command(proc, ["sh", "-c", script])
    out = []
    try:
        while True:
            kind, value = next(gen)
            if kind in ("out", "err"):
                out.append(value)
            elif kind == "sleep" and value == sh.FOREVER:
                return out, -1
    except StopIteration as stop:
        return out, stop.value or 0
    except sh.Exit as e:
        return out, e.status


def test_keywords_are_words_outside_command_position():
    assert run("echo done; exit 0") == (["done"], 0)
    assert run("echo if then fi do") == (["if then fi do"], 0)
    assert run("for w in do done; do echo $w; done") == (["do", "done"], 0)


def test_loops_variables_and_arithmetic():
    script = 'i=0; while [ $i -lt 3 ]; do echo "n $i from $(hostname)"; i=$((i+1)); done'
    assert run(script) == (["n 0 from c0ffee", "n 1 from c0ffee", "n 2 from c0ffee"], 0)


def test_exit_status_and_exec():
    assert run("false || exit 3") == ([], 3)
    assert run("exec sh -c 'echo in; exit 4'; echo never") == (["in"], 4)


def test_busybox_httpd_serves_its_home_in_the_foreground():
    files: dict[str, str] = {}
    proc = sh.Proc({}, "c0ffee", files, [], lambda: 0)
    gen = sh.command(proc, ["sh", "-c", "hostname > /www/index.html; httpd -f -p 8080 -h /www"])
    kind, (port, serve) = next(gen)
    assert (kind, port) == ("listen", 8080)
    assert serve("/", "10.0.0.2") == (200, "c0ffee\n")
    assert serve("/nope", "10.0.0.2")[0] == 404
    assert next(gen) == ("sleep", sh.FOREVER)
