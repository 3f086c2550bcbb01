"""A student at the REPL, for tests: the real Repl (prompt_toolkit's prompt, line editing,
password prompts) on a SimDriver lab, typed at through prompt_toolkit's pipe input, with
everything it writes recorded at the simulated time it was written.

The student types as a person does: each line when a prompt asks for one (the REPL's,
or a command's: an unlock key, a container's shell). When nothing is left to type, the
input ends (as Ctrl-D on an empty line). Keys typed while a command runs (Ctrl-C above
all) are sent when a condition holds — "once 3 log lines are on the screen", "after 10
simulated seconds" — checked each time the command looks at the keyboard, so a test
never waits on the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput, Output

from miniswarm.lab import Lab
from miniswarm.repl import Repl, Session
from miniswarm.screen import Screen

CTRL_C = "\x03"
CTRL_D = "\x04"
ENTER = "\r"


class Student:
    """Types lines at the REPL and reads the screen."""

    def __init__(self, lab: Lab, width: int = 120, height: int = 40) -> None:
        self.lab = lab
        self.width, self.height = width, height
        self.record: list[tuple[float, str]] = []  # (simulated time, text written)
        self.later: list[tuple[Callable[[], bool], str]] = []
        # what the student types at the coming prompts, each with the keys to type
        # `seconds` after it: [(keys, [(seconds, later keys), ...]), ...]
        self.queue: list[tuple[str, list[tuple[float, str]]]] = []
        self._pipe_cm = create_pipe_input()
        self.pipe = self._pipe_cm.__enter__()
        self.session = Session(lab, width=width, height=height)
        self.repl = _TestRepl(self, self.session, self.pipe, _SizedOutput(width, height))

    def type(self, keys: str) -> None:
        """Keys typed at the next prompt (a line, Ctrl-D, Ctrl-C …)."""
        self.queue.append((keys, []))

    def line(self, text: str) -> None:
        self.type(text + ENTER)

    def when(self, condition: Callable[[], bool], keys: str) -> None:
        """Type `keys` once `condition()` holds, while a command runs."""
        self.later.append((condition, keys))

    def after(self, seconds: float, keys: str) -> None:
        """Type `keys` `seconds` of simulated time after the last line queued is typed,
        while it runs."""
        self.queue[-1][1].append((seconds, keys))

    def run(self) -> int:
        """Run the REPL over everything typed; then the input ends."""
        try:
            return self.repl.run()
        finally:
            self._pipe_cm.__exit__(None, None, None)

    @property
    def output(self) -> str:
        return "".join(text for _, text in self.record)

    def screen(self) -> list[str]:
        """What is on the terminal (with its scrollback) once everything is written."""
        s = Screen(self.width, self.height)
        s.write(self.output)
        return s.text()

    def _at_prompt(self) -> None:
        if not self.queue:
            self.pipe.close()  # nothing more to type: the input ends
            return
        keys, timers = self.queue.pop(0)
        self.pipe.send_text(keys)
        for seconds, later in timers:
            at = self.lab.now() + seconds
            self.when(lambda at=at: self.lab.now() >= at, later)

    def _write(self, text: str) -> None:
        self.record.append((self.lab.now(), text))

    def _poll(self) -> None:
        """Keys due now reach the REPL as typed-ahead keys of its input (the pipe itself
        is closed by then: everything else was typed before the REPL started)."""
        from prompt_toolkit.input.typeahead import get_typeahead, store_typeahead
        from prompt_toolkit.input.vt100_parser import Vt100Parser

        due = [(c, k) for c, k in self.later if c()]
        for item in due:
            self.later.remove(item)
            keys = get_typeahead(self.pipe)
            Vt100Parser(keys.append).feed(item[1])
            store_typeahead(self.pipe, keys)


class _TestRepl(Repl):
    """The Repl, its prompts echoed into the record (a real terminal shows them)."""

    def __init__(self, student: Student, session: Session, pipe: PipeInput, output: Output) -> None:
        super().__init__(session, input=pipe, output=output, write=student._write)
        self.student = student

    def _prompt(self, text: str) -> str:
        self.student._at_prompt()
        try:
            line = super()._prompt(text)
        except (EOFError, KeyboardInterrupt):
            self.student._write(f"{text}\n")  # prompt_toolkit ends the line it drew
            raise
        self.student._write(f"{text}{line}\n")
        return line

    def _fresh_prompt(self, text: str, secret: bool = False) -> str:
        self.student._at_prompt()
        try:
            line = super()._fresh_prompt(text, secret)
        except (EOFError, KeyboardInterrupt):
            self.student._write(f"{text}\n")
            raise
        self.student._write(f"{text}{'' if secret else line}\n")
        return line

    def interrupted(self) -> bool:
        self.student._poll()
        return super().interrupted()


class _SizedOutput(DummyOutput):
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height

    def get_size(self) -> Size:
        return Size(rows=self.height, columns=self.width)
