"""The filter between a process's fd 2 and its stderr: native lines that match are dropped,
everything else passes unchanged — partial lines at once, a terminal stays a terminal — and
the last lines of a process that dies hard still arrive."""

import os
import pty
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOISE = "[2026-12-07 05:24:52,316 E 1477 1477] core_worker.cc:2465: noisy notice\n"


def script(body: str) -> list[str]:
    head = textwrap.dedent("""
        import os, sys, time
        from vqa.native_stderr import filter_stderr
        print("on" if filter_stderr([r"core_worker\\.cc:\\d+: noisy"]) else "off", flush=True)
    """)
    return [sys.executable, "-c", head + textwrap.dedent(body)]


def run(body: str, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "platform"))
    return subprocess.run(script(body), capture_output=True, env=env, timeout=60, **kw)


def test_matching_lines_are_dropped_and_the_rest_passes_unchanged():
    done = run(f"""
        os.write(2, b"before\\n" + {NOISE.encode()!r} + b"after\\n")
        os.write(2, b"50%|#####     |\\r")  # a progress bar: no newline, shown at once
        time.sleep(0.3)
        os.write(2, b"[2026-12-07 E] partial, never ended")  # held briefly, then shown
        time.sleep(1.0)
        import subprocess
        subprocess.run([sys.executable, "-c", "import sys; sys.stderr.write(%r)" % {NOISE!r}])
        print("python stderr", file=sys.stderr)
    """)
    assert done.returncode == 0 and done.stdout == b"on\n", done
    assert done.stderr == (b"before\nafter\n50%|#####     |\r[2026-12-07 E] partial, never ended"
                           b"python stderr\n"), done.stderr


def test_the_last_lines_of_a_process_killed_hard_still_arrive():
    done = run("""
        os.write(2, b"the reason it died\\n[2026 partial")
        os.kill(os.getpid(), 9)
    """)
    assert done.returncode == -9
    assert done.stderr == b"the reason it died\n[2026 partial", done.stderr


def test_a_terminal_stays_a_terminal_of_the_same_size():
    master, slave = pty.openpty()
    import fcntl
    import struct
    import termios
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 97, 0, 0))
    env = dict(os.environ, PYTHONPATH=str(ROOT / "platform"))
    proc = subprocess.Popen(script(f"""
        print(os.isatty(2), os.get_terminal_size(2).columns, flush=True)
        os.write(2, b"line one\\n" + {NOISE.encode()!r} + b"line two\\n")
    """), stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    out, _ = proc.communicate(timeout=60)
    got = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        got += chunk
    os.close(master)
    assert out == b"on\nTrue 97\n", out
    assert got.replace(b"\r\n", b"\n") == b"line one\nline two\n", got
