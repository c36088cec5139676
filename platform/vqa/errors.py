"""Exception types shared across the platform, so callers can catch one type per failure kind."""


class VideoError(Exception):
    """A video that cannot be probed or decoded; the message names the file and the reason."""

    def __init__(self, path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ConfigError(ValueError):
    """A config that does not validate; the message names the offending key."""
