"""Exception types shared across the platform, so callers can catch one type per failure kind.

The CLI's error boundary (`vqa.cli`) prints the expected kinds (`EXPECTED`) as one line and exits
2; anything else is a bug and keeps its traceback (exit 1).
"""


class VideoError(Exception):
    """A video that cannot be probed or decoded; the message names the file and the reason."""

    def __init__(self, path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ConfigError(ValueError):
    """A config that does not validate; the message names the offending key."""


class InputError(ValueError):
    """An input the user named (a path, a file's content, a value) that cannot be used: the
    message names it and says why; `fix`, when there is one, says what to do instead."""

    def __init__(self, message: str, fix: str | None = None):
        self.fix = fix
        super().__init__(f"{message}; {fix}" if fix else message)


class ClusterError(RuntimeError):
    """A Ray cluster address that is malformed or does not answer; the message names it."""


class JobFailed(RuntimeError):
    """A job that ran but in which every item failed: the message gives the dominant reason.
    Exit 1, never a success that reads like one."""


def describe_os_error(exc: OSError) -> str:
    """An OSError in the words every command uses: `not found: PATH` (as `<what> not found:
    PATH` elsewhere), else `PATH: reason` (not Python's `[Errno 2] …: 'path'`)."""
    if not exc.filename:
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"not found: {exc.filename}"
    return f"{exc.filename}: {(exc.strerror or str(exc)).lower()}"


# What a user can cause with a bad path, file, value or address: one line, exit 2.
EXPECTED = (ConfigError, InputError, ClusterError, VideoError, FileNotFoundError,
            IsADirectoryError, NotADirectoryError, FileExistsError, PermissionError)
