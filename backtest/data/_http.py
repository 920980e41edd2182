"""One small HTTP GET helper for the live providers (FRED, Ken French).

Retries are bounded and only for failures that a later attempt can fix:
timeouts, dropped connections, HTTP 429 and 5xx. Waits grow exponentially
(``backoff_s``, ``2 * backoff_s``, ...) unless the server sends
``Retry-After`` (seconds or an HTTP date), which is honoured up to
``max_wait_s``. Other 4xx statuses fail at once. A body that is empty or an
HTML page where CSV, zip or JSON was expected is an error, never data.

Every failure is a :class:`~backtest.errors.ProviderError` whose message is one
line naming the series, for example
``fred:DGS10: HTTP 503 from fred after 4 attempts; try again later or use --offline``.
A failure to reach the host at all names the host and asks "offline?"
(:func:`unreachable`), e.g. ``fred:DGS10: cannot reach FRED (DNS lookup failed);
offline? ...``; a failed DNS lookup is not retried (it means no network far more
often than a hiccup, and four tries would only delay the message).
The session and the sleep function are injectable so tests run without a
network and without waiting.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal, Protocol

from backtest.errors import ProviderError

__all__ = [
    "HOSTS",
    "HtmlPageError",
    "HttpClient",
    "HttpError",
    "RetryPolicy",
    "Session",
    "network_failure",
    "unreachable",
]

Expect = Literal["csv", "zip", "json"]
USER_AGENT = "dcf-regime/0.1 (+https://pypi.org/project/dcf-regime/)"
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)

#: What each live source's host is called in messages.
HOSTS = {"fred": "FRED", "french": "the Ken French data library", "yahoo": "Yahoo Finance"}
#: Substrings (lower case) of the errors of requests/urllib3, curl (yfinance) and the
#: OS, by what they mean; checked in this order.
_SIGNS = (
    ("DNS lookup failed", ("could not resolve", "failed to resolve", "name resolution",
                           "name or service not known", "nodename nor servname",
                           "getaddrinfo", "no address associated", "dnserror",
                           "nameresolutionerror")),
    ("cannot connect through the proxy", ("proxy",)),
    ("connection refused", ("connection refused", "could not connect to server",
                            "failed to connect", "connectionrefused")),
    ("network unreachable", ("network is unreachable", "no route to host")),
    ("timed out", ("timed out", "timeout")),
    ("TLS handshake failed", ("ssl", "certificate", "tls")),
)


def network_failure(text: str) -> str | None:
    """What a network-level error message means (``"DNS lookup failed"``...), or ``None``.

    ``text`` is an exception's text (requests, urllib3, curl through yfinance); an
    error that is not about reaching the host (an HTTP status, bad data) gives ``None``.
    """
    low = text.lower()
    for meaning, signs in _SIGNS:
        if any(sign in low for sign in signs):
            return meaning
    return None


def unreachable(label: str, why: str, attempts: int = 1) -> str:
    """The one-line message for a host that could not be reached: names it, asks "offline?"."""
    source = label.split(":", 1)[0]
    host = HOSTS.get(source, source)
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    return (
        f"{label}: cannot reach {host} ({why}{tries}); offline? try again when online, "
        "or use --offline (the cache) or --mirror DIR (local files)"
    )


class Session(Protocol):
    """Anything with a ``requests``-style ``get`` (a ``requests.Session``, or a test fake)."""

    def get(self, url: str, *, params: Mapping[str, str] | None, timeout: float) -> Any:
        """Return a response with ``status_code``, ``headers`` and ``content``."""
        ...


class HttpError(ProviderError):
    """A non-retryable HTTP status (4xx other than 429); providers map 404 to "unknown series"."""

    def __init__(self, message: str, status: int, body: bytes) -> None:
        super().__init__(message)
        self.status = status
        self.body = body[:2000]


class HtmlPageError(ProviderError):
    """The server answered with an HTML page where data was expected."""


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How long and how often to try.

    Parameters
    ----------
    attempts : int
        Total attempts, including the first (>= 1).
    timeout_s : float
        Per-attempt timeout in seconds (connect and read).
    backoff_s : float
        First wait between attempts; doubles on each further attempt.
    max_wait_s : float
        Cap on any single wait, including one asked for by ``Retry-After``.
    """

    attempts: int = 4
    timeout_s: float = 30.0
    backoff_s: float = 1.0
    max_wait_s: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be >= 1, got {self.attempts}")
        if min(self.timeout_s, self.backoff_s, self.max_wait_s) < 0:
            raise ValueError("timeout_s, backoff_s and max_wait_s must be >= 0")

    def wait_s(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        wait = self.backoff_s * 2 ** (attempt - 1) if retry_after is None else retry_after
        return min(max(wait, 0.0), self.max_wait_s)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Parse a ``Retry-After`` header: delay seconds or an HTTP date; ``None`` if absent or bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)


class HttpClient:
    """GET with bounded retries; see the module docstring for the policy.

    Parameters
    ----------
    session : Session or None
        Defaults to a ``requests.Session`` created on first use.
    sleep : callable or None
        Called with the seconds to wait between attempts; defaults to ``time.sleep``.
    policy : RetryPolicy or None
        Attempts, timeout and backoff; defaults to ``RetryPolicy()``.
    """

    def __init__(
        self,
        session: Session | None = None,
        sleep: Callable[[float], object] | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self._session = session
        self._sleep = sleep if sleep is not None else time.sleep
        self.policy = policy if policy is not None else RetryPolicy()

    def session(self) -> Session:
        """Return the session, creating a ``requests.Session`` on first use."""
        if self._session is None:
            import requests  # on first use: ~0.15 s that a command reading the cache never needs

            session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
            self._session = session
        return self._session

    def get(
        self,
        url: str,
        *,
        label: str,
        params: Mapping[str, str] | None = None,
        expect: Expect = "csv",
    ) -> bytes:
        """Return the body of ``url``, checked to look like ``expect``.

        Parameters
        ----------
        url : str
            Address without the query string.
        label : str
            The series id (``fred:DGS10``) that every error message starts with.
        params : mapping or None
            Query parameters. They never appear in messages (they may hold an API key).
        expect : {"csv", "zip", "json"}
            The payload type; an HTML page or an empty body is rejected.

        Raises
        ------
        ProviderError
            After the last retry; :class:`HttpError` for a non-retryable status,
            :class:`HtmlPageError` for an HTML page.
        """
        import requests

        retryable = (requests.Timeout, requests.ConnectionError,
                     requests.exceptions.ChunkedEncodingError)
        source = label.split(":", 1)[0]
        failure, network = "", False
        for attempt in range(1, self.policy.attempts + 1):
            retry_after: float | None = None
            try:
                response = self.session().get(url, params=params, timeout=self.policy.timeout_s)
            except retryable as exc:
                failure, network = _describe(exc, source, self.policy.timeout_s)
                if failure == "DNS lookup failed":
                    raise ProviderError(unreachable(label, failure, attempt)) from None
            except requests.RequestException as exc:
                raise ProviderError(
                    f"{label}: request to {source} failed ({type(exc).__name__}); "
                    "check the network or use --offline"
                ) from None
            else:
                status = int(response.status_code)
                if status < 400:
                    return check_body(bytes(response.content), label, expect)
                if status != 429 and status < 500:
                    raise HttpError(
                        f"{label}: HTTP {status} from {source}", status, bytes(response.content)
                    )
                failure, network = f"HTTP {status} from {source}", False
                header = response.headers.get("Retry-After")
                retry_after = parse_retry_after(header, datetime.now(UTC))
            if attempt < self.policy.attempts:
                self._sleep(self.policy.wait_s(attempt, retry_after))
        if network:
            raise ProviderError(unreachable(label, failure, self.policy.attempts))
        raise ProviderError(
            f"{label}: {failure} after {self.policy.attempts} attempts; "
            "try again later or use --offline"
        )


def _describe(exc: Exception, source: str, timeout_s: float) -> tuple[str, bool]:
    """What went wrong, and whether the host could not be reached at all."""
    import requests

    if isinstance(exc, requests.Timeout):
        return f"no response within {timeout_s:g} s", True
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return f"download from {source} cut off", False
    meaning = network_failure(f"{type(exc).__name__} {exc}")
    return meaning or f"connection failed: {type(exc).__name__}", True


def check_body(body: bytes, label: str, expect: Expect) -> bytes:
    """Reject an empty body, an HTML page, or a non-zip where a zip was expected."""
    source = label.split(":", 1)[0]
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head:
        raise ProviderError(
            f"{label}: empty response from {source} (expected {expect.upper()}); "
            "try again later or use --offline"
        )
    if head.startswith(b"<"):  # HTML or XML: an error or login page, never data
        match = _TITLE.search(body[:4096])
        title = match.group(1).decode("utf-8", "replace").strip() if match else ""
        shown = f" ({' '.join(title.split())[:80]!r})" if title else ""
        raise HtmlPageError(
            f"{label}: {source} sent an HTML page{shown} instead of {expect.upper()}"
        )
    if expect == "zip" and not body.startswith(b"PK"):
        raise ProviderError(f"{label}: {source} sent something that is not a zip archive")
    return body
