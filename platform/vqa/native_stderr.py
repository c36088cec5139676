"""Drop known notices that native code (Ray's C++ core worker) writes straight to this process's
file descriptor 2, below Python, where no logging filter or Ray log hook reaches.

`filter_stderr(patterns)` puts a small filter process between fd 2 and the real stderr: lines
matching a pattern are dropped, everything else passes byte for byte, partial lines (progress
bars) at once. The filter is a separate process, not a thread, so that when this process dies
hard (a native abort, SIGKILL) the filter still drains the pipe and its last lines — the ones
that say why — still reach the terminal. A terminal stays a terminal (a pseudo-terminal of the
same size), so progress bars and colours behave as before.

Run as a script, this file is the filter (standard library only: it starts in milliseconds).
"""

from __future__ import annotations

import atexit
import os
import re
import select
import subprocess
import sys
import time

HOLD_S = 0.5  # a partial line that may become a dropped one waits at most this long
_state: dict = {}


def filter_stderr(patterns: list[str]) -> bool:
    """Route this process's fd 2 through the filter (once per process) → whether it is on.

    Child processes started afterwards inherit the filtered fd 2 as well. At exit fd 2 is given
    back and the filter is waited for, so its output lands before the shell's prompt."""
    if _state or not patterns:
        return bool(_state)
    try:
        real = os.dup(2)
    except OSError:  # no stderr at all: nothing to filter
        return False
    if os.isatty(real):
        read_end, write_end = _pseudo_terminal_like(real)
    else:
        read_end, write_end = os.pipe()
    child = subprocess.Popen(
        [sys.executable, "-I", os.path.abspath(__file__), *patterns], stdin=read_end,
        stdout=real, stderr=real, close_fds=True,
        start_new_session=True)  # Ctrl-C stops us, not it: it drains what we wrote and ends
    os.close(read_end)
    sys.stderr.flush()
    os.dup2(write_end, 2)
    os.close(write_end)
    _state.update(child=child, real=real)
    atexit.register(_give_back)
    return True


def _pseudo_terminal_like(tty_fd: int) -> tuple[int, int]:
    """A pseudo-terminal with `tty_fd`'s size, output passed unchanged (no \\n → \\r\\n)."""
    import fcntl
    import pty
    import termios

    master, slave = pty.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, fcntl.ioctl(tty_fd, termios.TIOCGWINSZ, b"\0" * 8))
    except OSError:
        pass
    return master, slave


def _give_back(wait_s: float = 3.0) -> None:
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os.dup2(_state["real"], 2)  # closes our write end: the filter sees the end once
    try:  # Ray's own children, which inherited it, have gone too
        _state["child"].wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        pass  # it finishes by itself when they do


def _run(patterns: list[re.Pattern], src: int = 0, dst: int = 1) -> None:
    """Copy `src` to `dst`, dropping lines that match. Only a partial line that starts like a
    native log line (`[20…`) is held back, and not for longer than HOLD_S."""
    pending, since = b"", 0.0
    while True:
        ready, _, _ = select.select([src], [], [], HOLD_S if pending else None)
        if not ready:  # a held partial line went quiet: it is not a log line being written
            _write(dst, pending)
            pending = b""
            continue
        try:
            chunk = os.read(src, 65536)
        except OSError:  # a pseudo-terminal whose other side closed (EIO): the end
            chunk = b""
        if not chunk:
            _write(dst, pending)
            return
        pending += chunk
        *lines, pending = pending.split(b"\n")
        out = [ln + b"\n" for ln in lines
               if not any(p.search(ln.decode("utf-8", "replace")) for p in patterns)]
        if pending and (not pending.startswith(b"[20") or len(pending) > 65536
                        or (since and time.monotonic() - since > HOLD_S)):
            out.append(pending)
            pending = b""
        since = time.monotonic() if pending else 0.0
        _write(dst, b"".join(out))


def _write(fd: int, data: bytes) -> None:
    while data:
        try:
            data = data[os.write(fd, data):]
        except BrokenPipeError:
            return


if __name__ == "__main__":
    _run([re.compile(p) for p in sys.argv[1:]])
