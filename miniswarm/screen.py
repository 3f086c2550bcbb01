"""What text with terminal escape sequences leaves on a screen — the few sequences the
lab's commands write: docker's progress display (cursor up and down, erase line),
`clear` and `watch` (home, erase screen). Transcripts of commands run on a terminal
compare this last screen, as the recordings do; tests look at it too.
"""

from __future__ import annotations

import re

_SEQ = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])|\x1b[()][0-9A-B]|\x1b[=>78]")


class Screen:
    """A terminal `width` columns wide: lines auto-wrap; what scrolls off the top stays
    in `lines` (the scrollback), the screen being the last `height` of them."""

    def __init__(self, width: int = 80, height: int = 24) -> None:
        self.width = width
        self.height = height
        self.lines: list[list[str]] = [[]]
        self.row = 0  # cursor, in `lines`
        self.col = 0

    @property
    def top(self) -> int:
        return max(0, len(self.lines) - self.height)

    def write(self, text: str) -> None:
        i = 0
        while i < len(text):
            m = _SEQ.match(text, i)
            if m:
                self._escape(m.group(1) or "", m.group(2) or "")
                i = m.end()
                continue
            c = text[i]
            i += 1
            if c == "\n":  # the tty's output processing makes it CR LF
                self._down(1, scroll=True)
                self.col = 0
            elif c == "\r":
                self.col = 0
            elif c == "\b":
                self.col = max(0, self.col - 1)
            elif c == "\t":
                self.col = min(self.width - 1, (self.col // 8 + 1) * 8)
            elif c >= " ":
                if self.col >= self.width:
                    self._down(1, scroll=True)
                    self.col = 0
                line = self.lines[self.row]
                while len(line) < self.col:
                    line.append(" ")
                if self.col < len(line):
                    line[self.col] = c
                else:
                    line.append(c)
                self.col += 1

    def _down(self, n: int, scroll: bool) -> None:
        for _ in range(n):
            if self.row + 1 >= len(self.lines):
                if not scroll:
                    return
                self.lines.append([])
            self.row += 1

    def _escape(self, params: str, final: str) -> None:
        n = int(params) if params.isdigit() else None
        if final == "A":
            self.row = max(self.top, self.row - (n or 1))
        elif final == "B":
            self._down(n or 1, scroll=False)
        elif final == "C":
            self.col = min(self.width - 1, self.col + (n or 1))
        elif final == "D":
            self.col = max(0, self.col - (n or 1))
        elif final == "K":
            line = self.lines[self.row]
            if n in (None, 0):
                del line[self.col :]
            elif n == 1:
                for k in range(min(self.col + 1, len(line))):
                    line[k] = " "
            else:
                line.clear()
        elif final == "H":
            parts = [int(p) if p.isdigit() else 1 for p in params.split(";")] if params else []
            row, col = (parts + [1, 1])[:2]
            while len(self.lines) < self.top + self.height:
                self.lines.append([])
            self.row = self.top + row - 1
            self.col = col - 1
        elif final == "J":
            if n == 3:
                del self.lines[: self.top]
                self.row = min(self.row, len(self.lines) - 1)
            elif n == 2:
                for k in range(self.top, len(self.lines)):
                    self.lines[k] = []
            else:
                del self.lines[self.row][self.col :]
                for k in range(self.row + 1, len(self.lines)):
                    self.lines[k] = []

    def text(self, scrollback: bool = True) -> list[str]:
        """The lines (of the whole scrollback, or of the screen), trailing blanks and
        empty lines at the end dropped."""
        lines = self.lines if scrollback else self.lines[self.top :]
        out = ["".join(line).rstrip() for line in lines]
        while out and out[-1] == "":
            out.pop()
        return out


def render(text: str, width: int = 80, height: int = 24) -> list[str]:
    """The lines `text` leaves on a fresh terminal of that size (scrollback included)."""
    s = Screen(width, height)
    s.write(text)
    return s.text()
