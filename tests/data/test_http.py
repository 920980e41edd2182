from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from backtest.data._http import (
    HtmlPageError,
    HttpClient,
    HttpError,
    RetryPolicy,
    check_body,
    network_failure,
    parse_retry_after,
)
from backtest.errors import ProviderError

CSV = b"observation_date,DGS10\n2024-01-02,3.95\n"
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def client(session, sleeps, **policy):
    return HttpClient(session, sleeps.append, RetryPolicy(**policy))


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text
    return text


def test_returns_body_on_200(session, respond, sleeps):
    fake = session(respond(200, CSV))
    body = client(fake, sleeps).get("https://x/y", label="fred:DGS10", params={"id": "DGS10"})
    assert body == CSV
    assert fake.calls == [("https://x/y", {"id": "DGS10"})]
    assert sleeps == []


def test_503_then_200_retries_with_backoff(session, respond, sleeps):
    fake = session(respond(503), respond(502), respond(200, CSV))
    assert client(fake, sleeps, backoff_s=1.5).get("u", label="fred:DGS10") == CSV
    assert sleeps == [1.5, 3.0]


def test_persistent_503_gives_one_line_naming_series(session, respond, sleeps):
    fake = session(*[respond(503) for _ in range(4)])
    with pytest.raises(ProviderError) as info:
        client(fake, sleeps).get("u", label="fred:DGS10")
    assert one_line(info.value) == (
        "fred:DGS10: HTTP 503 from fred after 4 attempts; try again later or use --offline"
    )
    assert sleeps == [1.0, 2.0, 4.0]  # no wait after the last attempt


def test_429_honours_retry_after_seconds(session, respond, sleeps):
    fake = session(respond(429, b"", {"Retry-After": "7"}), respond(200, CSV))
    assert client(fake, sleeps).get("u", label="fred:DGS10") == CSV
    assert sleeps == [7.0]


def test_retry_after_is_capped(session, respond, sleeps):
    fake = session(respond(429, b"", {"Retry-After": "3600"}), respond(200, CSV))
    client(fake, sleeps, max_wait_s=20.0).get("u", label="fred:DGS10")
    assert sleeps == [20.0]


def test_retry_after_http_date(session, respond, sleeps):
    later = format_datetime(datetime.now(UTC) + timedelta(hours=2), usegmt=True)
    fake = session(respond(503, b"", {"Retry-After": later}), respond(200, CSV))
    client(fake, sleeps, max_wait_s=30.0).get("u", label="fred:DGS10")
    assert sleeps == [30.0]


def test_parse_retry_after():
    assert parse_retry_after("12", NOW) == 12.0
    assert parse_retry_after(None, NOW) is None
    assert parse_retry_after("soon", NOW) is None
    in_90s = format_datetime(NOW + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(in_90s, NOW) == pytest.approx(90.0)
    past = format_datetime(NOW - timedelta(days=1), usegmt=True)
    assert parse_retry_after(past, NOW) == 0.0


def test_timeouts_exhaust_attempts(session, sleeps):
    fake = session(*[requests.Timeout("read timed out") for _ in range(3)])
    with pytest.raises(ProviderError) as info:
        client(fake, sleeps, attempts=3, timeout_s=5).get("u", label="french:X/Y")
    assert one_line(info.value) == (
        "french:X/Y: cannot reach the Ken French data library (no response within 5 s after "
        "3 attempts); offline? try again when online, or use --offline (the cache) or "
        "--mirror DIR (local files)"
    )
    assert len(fake.calls) == 3


def test_connection_error_then_success(session, respond, sleeps):
    fake = session(requests.ConnectionError("boom"), respond(200, CSV))
    assert client(fake, sleeps).get("u", label="fred:DGS10") == CSV
    assert sleeps == [1.0]


def test_connection_error_message_hides_params(session, sleeps):
    secret = "abcdef0123456789"
    fake = session(*[requests.ConnectionError(f"https://api?api_key={secret}") for _ in range(2)])
    with pytest.raises(ProviderError) as info:
        client(fake, sleeps, attempts=2).get("u", label="fred:DGS10", params={"api_key": secret})
    assert secret not in str(info.value)
    assert "cannot reach FRED (connection failed: ConnectionError after 2 attempts)" in str(
        info.value)


def test_404_is_not_retried(session, respond, sleeps):
    fake = session(respond(404, b"<html>Not found</html>"))
    with pytest.raises(HttpError) as info:
        client(fake, sleeps).get("u", label="fred:NOPE")
    assert info.value.status == 404
    assert one_line(info.value) == "fred:NOPE: HTTP 404 from fred"
    assert sleeps == [] and len(fake.calls) == 1


def test_other_request_errors_fail_at_once(session, sleeps):
    fake = session(requests.exceptions.InvalidURL("bad"))
    with pytest.raises(ProviderError, match="request to fred failed"):
        client(fake, sleeps).get("u", label="fred:DGS10")


def test_html_page_with_200_is_rejected(session, respond, sleeps):
    page = b"\n<!DOCTYPE html><html><head><title>Error - FRED</title></head><body>x</body></html>"
    with pytest.raises(HtmlPageError) as info:
        client(session(respond(200, page)), sleeps).get("u", label="fred:DGS10")
    assert one_line(info.value) == (
        "fred:DGS10: fred sent an HTML page ('Error - FRED') instead of CSV"
    )


@pytest.mark.parametrize("body", [b"", b"  \r\n"])
def test_empty_body_is_rejected(session, respond, sleeps, body):
    with pytest.raises(ProviderError, match=r"^fred:DGS10: empty response from fred"):
        client(session(respond(200, body)), sleeps).get("u", label="fred:DGS10")


def test_zip_expected_but_csv_received():
    with pytest.raises(ProviderError, match="not a zip archive"):
        check_body(b"a,b\n1,2\n", "french:F/RF", "zip")
    assert check_body(b"PK\x03\x04rest", "french:F/RF", "zip").startswith(b"PK")


def test_policy_validation():
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)
    assert RetryPolicy(backoff_s=2, max_wait_s=5).wait_s(3, None) == 5


def test_a_failed_dns_lookup_is_not_retried(session, sleeps):
    dns = requests.ConnectionError(
        "HTTPSConnectionPool(host='fred.stlouisfed.org', port=443): Max retries exceeded "
        "(Caused by NameResolutionError(\"Failed to resolve 'fred.stlouisfed.org' ([Errno -3] "
        "Temporary failure in name resolution)\"))")
    fake = session(dns)
    with pytest.raises(ProviderError) as info:
        client(fake, sleeps).get("u", label="fred:DGS10")
    assert one_line(info.value).startswith(
        "fred:DGS10: cannot reach FRED (DNS lookup failed); offline?")
    assert sleeps == [] and len(fake.calls) == 1


@pytest.mark.parametrize(
    ("text", "meaning"),
    [
        ("Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com",
         "DNS lookup failed"),
        ("DNSError('Failed to perform, curl: (6) ...')", "DNS lookup failed"),
        ("[Errno 111] Connection refused", "connection refused"),
        ("curl: (7) Failed to connect to x:443 over proxy 127.0.0.1", "cannot connect through "
         "the proxy"),
        ("curl: (28) Operation timed out after 30001 milliseconds", "timed out"),
        ("[Errno 101] Network is unreachable", "network unreachable"),
        ("HTTP 404", None),
        ("Too Many Requests. Rate limited.", None),
    ],
)
def test_network_failures_are_recognised(text, meaning):
    assert network_failure(text) == meaning


@pytest.mark.parametrize("proxy", ["http://127.0.0.1:9", "http://no-such-host.invalid:9"])
def test_the_real_requests_library_offline_gives_one_line(monkeypatch, sleeps, proxy):
    """No network needed: the real requests session is sent to a proxy that is not there."""
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, proxy)
    for name in ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    http = HttpClient(None, sleeps.append, RetryPolicy(attempts=2, timeout_s=5))
    with pytest.raises(ProviderError) as info:
        http.get("https://fred.stlouisfed.org/graph/fredgraph.csv", label="fred:DGS10",
                 params={"id": "DGS10"})
    text = one_line(info.value)
    assert text.startswith("fred:DGS10: cannot reach FRED (")
    assert "offline?" in text and "Traceback" not in text
