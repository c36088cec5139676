"""Is an endpoint there at all? One probe per endpoint before a job fans out, and a circuit
breaker per role client while it runs, so an endpoint that does not answer costs one line and a
few requests, not the full retry ladder of every request of every video."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request

REACHABILITY_KINDS = ("connection", "timeout")  # failures that say "nobody is there"


def probe(base_url: str, timeout_s: float = 5.0) -> str | None:
    """None when anything answers HTTP at `base_url` (even 404 or 401: the server is there),
    else the reason it does not (refused, unknown host, no answer in `timeout_s`)."""
    url = base_url.rstrip("/") + "/models"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s):
            return None
    except urllib.error.HTTPError:
        return None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return f"no answer in {timeout_s:g} s"
        return getattr(reason, "strerror", None) or str(reason)
    except (TimeoutError, socket.timeout):
        return f"no answer in {timeout_s:g} s"
    except (OSError, ValueError) as exc:  # a malformed URL, a reset connection
        return " ".join(str(exc).split())


class Breaker:
    """Opens after `threshold` requests in a row failed for good on connection / timeout: for
    `cooldown_s` no request is sent (callers fail fast); then one is let through, and the next
    failure opens it again. `threshold` 0 disables it."""

    def __init__(self, threshold: int = 3, cooldown_s: float = 30.0):
        self.threshold, self.cooldown_s = threshold, cooldown_s
        self.failures = 0
        self.open_until = 0.0

    def allows(self) -> bool:
        return self.threshold <= 0 or time.monotonic() >= self.open_until

    def record(self, kind: str | None) -> None:
        """`kind` None for a success, else the failure kind of a request that gave up."""
        if kind is None:
            self.failures = 0
        elif kind in REACHABILITY_KINDS:
            self.failures += 1
            if self.threshold > 0 and self.failures >= self.threshold:
                self.open_until = time.monotonic() + self.cooldown_s
