"""GET /dashboard: the figures of /metrics as a page, and the quantile estimate it shows."""

from __future__ import annotations

import math
import re
import time
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from test_serve import (
    MAX_SENT,
    MIN_SENT,
    STARTUP_SECONDS,
    health_pids,
    logged_requests,
    serving,
    wait_for,
)

from aura.api.app import create_app
from aura.api.dashboard import (
    duration,
    histogram_quantile,
    read_snapshot,
    render,
    uptime,
    utc,
)
from aura.api.observability import Metrics
from aura.api.settings import Settings
from aura.export.manifest import read_manifest

PREDICT = "/api/ml/predict/"
INF = math.inf
# cumulative: 2 observations at or below 2 ms, 6 at or below 5 ms, all 10 at or below 10 ms
TEN = [(0.001, 0), (0.002, 2), (0.005, 6), (0.01, 10), (INF, 10)]


@pytest.mark.parametrize(
    ("q", "buckets", "expected"),
    [
        # rank 5 is the 3rd of the 4 observations in (2 ms, 5 ms]: 2 + 3 * 3/4 ms
        (0.5, TEN, 0.00425),
        # rank 9.5: 3.5 of the 4 in (5 ms, 10 ms]: 5 + 5 * 3.5/4 ms
        (0.95, TEN, 0.009375),
        # rank 9.9: 5 + 5 * 3.9/4 ms
        (0.99, TEN, 0.009875),
        # rank 2 is the first bucket's last: its upper bound exactly
        (0.2, TEN, 0.002),
        # rank 1 in the first bucket holding any, (1 ms, 2 ms]: 1 + 1 * 1/2 ms
        (0.1, TEN, 0.0015),
        # all in the first bucket, whose lower bound is 0: rank 2 of 4 -> 0.25 ms
        (0.5, [(0.0005, 4), (0.001, 4), (INF, 4)], 0.00025),
        # rank 3 of 4 lies past the last finite bound: that bound, 1 ms
        (0.75, [(0.0005, 1), (0.001, 1), (INF, 4)], 0.001),
        # rank 1 of 4 is the one in the first bucket: its upper bound
        (0.25, [(0.0005, 1), (0.001, 1), (INF, 4)], 0.0005),
    ],
)
def test_the_quantile_estimate_is_prometheus_s_worked_by_hand(
    q: float, buckets: list[tuple[float, float]], expected: float
) -> None:
    assert histogram_quantile(q, buckets) == pytest.approx(expected)


def test_a_histogram_without_observations_has_no_quantile() -> None:
    assert histogram_quantile(0.5, [(0.001, 0), (INF, 0)]) is None


def test_a_rank_equal_to_a_bucket_s_count_is_that_bucket_s_upper_bound() -> None:
    """Prometheus takes the first bucket whose cumulative count reaches the rank (count >= rank).
    Two of four observations at or below 1 ms, none in (1 ms, 2 ms]: the median, rank 2, is the
    first bucket's 1 ms, not the 2 ms lower bound of the next bucket that holds any."""
    buckets = [(0.001, 2), (0.002, 2), (0.005, 4), (INF, 4)]
    assert histogram_quantile(0.5, buckets) == pytest.approx(0.001)


def test_the_quantile_one_is_the_bound_of_the_last_observation_s_bucket() -> None:
    """q = 1 is allowed (quantiles are in (0, 1]): rank 10 of TEN lies at the end of (5 ms,
    10 ms], 5 + 5 * 4/4 ms."""
    assert histogram_quantile(1.0, TEN) == pytest.approx(0.01)


def test_a_lowest_bucket_at_or_below_zero_gives_its_upper_bound() -> None:
    """Prometheus's documented rule: the lowest bucket's lower bound is taken as 0 only when its
    upper bound is above 0; otherwise a quantile in the lowest bucket is that upper bound."""
    assert histogram_quantile(0.25, [(-1.0, 2), (0.0, 3), (1.0, 4), (INF, 4)]) == -1.0


@pytest.mark.parametrize(
    ("q", "buckets"),
    [(0, TEN), (1.5, TEN), (0.5, [(INF, 3)]), (0.5, [(0.001, 1), (0.01, 3)])],
    ids=["q=0", "q>1", "no finite bucket", "no +Inf bucket"],
)
def test_a_quantile_of_what_is_no_histogram_is_refused(q: float, buckets: list) -> None:
    with pytest.raises(ValueError):
        histogram_quantile(q, buckets)


class Cells(HTMLParser):
    """The text of each table row's cells; the text of elements by id."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.ids: dict[str, str] = {}
        self._cell: list[str] | None = None
        self._id: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        self._id = dict(attrs).get("id") or self._id

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._id is not None:
            self.ids[self._id] = self.ids.get(self._id, "") + data
            self._id = None


def parse(page: str) -> Cells:
    cells = Cells()
    cells.feed(page)
    return cells


def table(page: str) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(endpoint, method) -> (requests, 4xx, 5xx), as the page's table shows them."""
    header, *rows = parse(page).rows
    assert header[:5] == ["Endpoint", "Method", "Requests", "4xx", "5xx"]
    return {(r[0], r[1]): (int(r[2]), int(r[3]), int(r[4])) for r in rows}


def latency_cells(page: str) -> dict[str, list[str]]:
    """endpoint -> its p50, p95, p99 cells (on the first row of the endpoint)."""
    _, *rows = parse(page).rows
    return {r[0]: r[5:] for r in rows if len(r) == 8}


def scraped(text: str) -> tuple[dict, dict, float]:
    """From /metrics: (endpoint, method) -> (requests, 4xx, 5xx); endpoint -> cumulative
    buckets; the start time."""
    counts: dict[tuple[str, str], list[int]] = {}
    buckets: dict[str, list[tuple[float, float]]] = {}
    started = 0.0
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "aura_api_requests_total":
                row = counts.setdefault((s.labels["endpoint"], s.labels["method"]), [0, 0, 0])
                row[0] += int(s.value)
                row[1] += int(s.value) if s.labels["status"].startswith("4") else 0
                row[2] += int(s.value) if s.labels["status"].startswith("5") else 0
            elif s.name == "aura_api_request_duration_seconds_bucket":
                bucket = (float(s.labels["le"]), s.value)
                buckets.setdefault(s.labels["endpoint"], []).append(bucket)
            elif s.name == "aura_api_start_time_seconds":
                started = s.value
    return {k: tuple(v) for k, v in counts.items()}, buckets, started


@pytest.fixture
def fresh(artifacts_dir: Path) -> TestClient:
    """An app of its own, so its counts are only this test's requests."""
    with TestClient(create_app(settings=Settings(artifacts_dir=artifacts_dir))) as client:
        yield client


def sample(client: TestClient) -> dict:
    doc = client.get("/openapi.json").json()
    content = doc["paths"][PREDICT + "engagement"]["post"]["requestBody"]["content"]
    return content["application/json"]["examples"]["one record"]["value"]


def test_the_page_is_self_contained_html_that_reloads_itself(
    client: TestClient, artifacts_dir: Path
) -> None:
    response = client.get("/dashboard")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["cache-control"] == "no-store"
    page = response.text
    assert '<meta http-equiv="refresh" content="5">' in page
    # nothing fetched: no script, no linked stylesheet, font or image, no URL at all
    assert not re.search(r"<script|<link|<img|src=|href=|url\(|@import|https?:", page)
    manifest = read_manifest(artifacts_dir)
    ids = parse(page).ids
    assert ids["version"] == manifest.version == response.headers["x-model-version"]
    assert manifest.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") in page
    assert re.fullmatch(r"started \S+Z, up \d\d:\d\d:\d\d", ids["uptime"])


def test_the_page_counts_what_was_sent_as_metrics_does(fresh: TestClient) -> None:
    record = sample(fresh)  # GET /openapi.json: 200
    for _ in range(3):
        assert fresh.post(PREDICT + "engagement", json=record).status_code == 200
    for _ in range(2):
        assert fresh.post(PREDICT + "engagement", json={}).status_code == 422
    assert fresh.post(PREDICT + "compatibility", json=[]).status_code == 422
    assert fresh.get("/no/such/path").status_code == 404
    assert fresh.get(PREDICT + "engagement").status_code == 405
    assert fresh.get("/health").status_code == 200
    assert fresh.head("/health").status_code == 200
    sent = {
        ("/openapi.json", "GET"): (1, 0, 0),
        (PREDICT + "engagement", "POST"): (5, 2, 0),
        (PREDICT + "engagement", "GET"): (1, 1, 0),
        (PREDICT + "compatibility", "POST"): (1, 1, 0),
        ("unmatched", "GET"): (1, 1, 0),
        ("/health", "GET"): (1, 0, 0),
        ("/health", "HEAD"): (1, 0, 0),
    }
    metrics_text = fresh.get("/metrics").text
    page = fresh.get("/dashboard").text
    counts, buckets, started = scraped(metrics_text)
    assert counts == sent
    # the page, asked after the scrape, holds the scrape's own request too
    assert table(page) == sent | {("/metrics", "GET"): (1, 0, 0)}
    assert parse(page).ids["totals"] == "12 requests, 5 client errors (4xx), 0 server errors (5xx)."
    cells = latency_cells(page)
    for endpoint in (PREDICT + "engagement", PREDICT + "compatibility", "/health"):
        expected = [duration(histogram_quantile(q, buckets[endpoint])) for q in (0.5, 0.95, 0.99)]
        assert cells[endpoint] == expected
    assert parse(page).ids["uptime"].startswith(f"started {utc(started)}, up ")


def test_the_page_of_a_service_asked_nothing_yet_says_so(fresh: TestClient) -> None:
    first = fresh.get("/dashboard").text
    assert "No requests counted yet" in first and "<table" not in first
    assert "0 requests, 0 client errors (4xx), 0 server errors (5xx)." in first
    second = fresh.get("/dashboard").text  # its own first request is counted now
    assert "No requests counted yet" not in second
    assert table(second) == {("/dashboard", "GET"): (1, 0, 0)}


def test_everything_shown_is_escaped() -> None:
    metrics = Metrics()
    metrics.requests.labels("/a<script>alert(1)</script>", "G&T", "500").inc()
    metrics.latency.labels("/a<script>alert(1)</script>").observe(0.003)
    created = datetime(2026, 12, 7, tzinfo=UTC)
    page = render(read_snapshot(metrics.registry), '<b id="x">"v"</b>', created, 1.8e9)
    assert "<script" not in page and '<b id="x">' not in page
    assert "/a&lt;script&gt;alert(1)&lt;/script&gt;" in page and "G&amp;T" in page
    assert table(page) == {("/a<script>alert(1)</script>", "G&T"): (1, 0, 1)}
    assert parse(page).ids["version"] == '<b id="x">"v"</b>'


@pytest.mark.parametrize("method", ["POST", "PUT", "HEAD"])
def test_another_method_gets_the_service_s_405(client: TestClient, method: str) -> None:
    """Like /metrics and /api/ml/models, the page answers GET alone (HEAD is /health's, for
    probes); any other method gets the JSON 405 naming it."""
    response = client.request(method, "/dashboard")
    assert (response.status_code, response.headers["allow"]) == (405, "GET")
    if method != "HEAD":
        assert response.json()["message"] == f"{method} is not allowed on /dashboard; it takes GET"


def test_the_page_is_no_operation_of_the_api_document(client: TestClient) -> None:
    assert "/dashboard" not in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "–"),
        (0.0005, "0.5 ms"),  # the first latency bound
        (0.00425, "4.25 ms"),
        (0.12345, "123 ms"),  # three significant figures
        (1.0, "1 s"),  # a second is written in seconds, not as 1e+03 ms
        (2.5, "2.5 s"),
        (10.0, "10 s"),  # the last latency bound
    ],
)
def test_a_duration_is_written_in_milliseconds_below_a_second(
    seconds: float | None, shown: str
) -> None:
    assert duration(seconds) == shown


@pytest.mark.parametrize("seconds", [0.9995, 0.9996, 0.99999])
def test_a_duration_that_rounds_to_a_second_is_written_as_one(seconds: float) -> None:
    """999.6 ms to three significant figures is 1,000 ms, which Python writes "1e+03": the page
    showed a p99 of "1e+03 ms" for a latency just under a second (bucket (0.5 s, 1 s])."""
    assert duration(seconds) == "1 s"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "00:00:00"),
        (59.9, "00:00:59"),  # seconds completed
        (-3.0, "00:00:00"),  # a clock set back after the start is no negative uptime
        (86_399, "23:59:59"),
        (86_400, "1 d 00:00:00"),
        (3 * 86_400 + 4 * 3_600 + 5 * 60 + 6, "3 d 04:05:06"),
    ],
)
def test_uptime_is_days_then_hours_minutes_and_seconds(seconds: float, shown: str) -> None:
    assert uptime(seconds) == shown


def test_the_page_shows_each_endpoint_s_figures_worked_by_hand() -> None:
    """Six requests to two endpoints and one unmatched path, the latency of /a and /b observed:
    every number on the page is worked from what was recorded. /a's one observation of 3 ms lies
    in (2 ms, 5 ms]: p50 = 2 + 3 * 0.5, p95 = 2 + 3 * 0.95, p99 = 2 + 3 * 0.99 ms. /b's 0.7 s
    lies in (0.5 s, 1 s] and its 1.5 s in (1 s, 2.5 s]: p50 (rank 1) is 1 s, p95 (rank 1.9)
    1 + 1.5 * 0.9 s, p99 (rank 1.98) 1 + 1.5 * 0.98 s. Rows are sorted by endpoint then method,
    unmatched last; an endpoint's latency stands once, across all its methods' rows."""
    metrics = Metrics()
    for labels in [
        ("/b", "POST", "200"),
        ("/b", "POST", "200"),
        ("/a", "GET", "200"),
        ("/b", "GET", "404"),
        ("unmatched", "GET", "404"),
        ("/a", "POST", "500"),
    ]:
        metrics.requests.labels(*labels).inc()
    metrics.latency.labels("/a").observe(0.003)
    metrics.latency.labels("/b").observe(0.7)
    metrics.latency.labels("/b").observe(1.5)
    metrics.started.set(datetime(2026, 12, 7, 11, 20, 3, tzinfo=UTC).timestamp())
    now = datetime(2026, 12, 9, 12, 21, 4, tzinfo=UTC).timestamp()  # 2 d 01:01:01 later
    created = datetime(2026, 12, 7, 13, 0, tzinfo=timezone(timedelta(hours=2)))
    page = render(read_snapshot(metrics.registry), "v1", created, now)

    header, *rows = parse(page).rows
    assert header == ["Endpoint", "Method", "Requests", "4xx", "5xx", "p50", "p95", "p99"]
    assert rows == [
        ["/a", "GET", "1", "0", "0", "3.5 ms", "4.85 ms", "4.97 ms"],
        ["/a", "POST", "1", "0", "1"],
        ["/b", "GET", "1", "1", "0", "1 s", "2.35 s", "2.47 s"],
        ["/b", "POST", "2", "0", "0"],
        ["unmatched", "GET", "1", "1", "0", "–", "–", "–"],
    ]
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    spans = [re.findall(r'rowspan="(\d+)"', row) for row in body.split("<tr>")[1:]]
    assert spans == [["2"] * 3, [], ["2"] * 3, [], ["1"] * 3]
    # an error count is marked only where there is one
    assert '<td class="n bad">1</td><td class="n">0</td>' in body  # /b GET: one 4xx
    assert '<td class="n">0</td><td class="n bad">1</td>' in body  # /a POST: one 5xx
    assert body.count(" bad") == 3
    ids = parse(page).ids
    assert ids["totals"] == "6 requests, 2 client errors (4xx), 1 server errors (5xx)."
    assert ids["uptime"] == "started 2026-12-07T11:20:03Z, up 2 d 01:01:01"
    assert "exported 2026-12-07T11:00:00Z" in page  # 13:00 at UTC+2
    assert "Page rendered 2026-12-09T12:21:04Z." in page
    assert "(bounds 0.5 ms to\n10 s; one past the last bound shows as 10 s)" in page


def test_a_start_time_never_set_is_told_as_unknown() -> None:
    """A worker's gauge reads 0 before it is set: the page says the start is unknown rather
    than counting the uptime from 1970."""
    metrics = Metrics()
    metrics.started.set(0)
    page = render(read_snapshot(metrics.registry), "v1", datetime(2026, 12, 7, tzinfo=UTC), 1.8e9)
    assert parse(page).ids["uptime"] == "start time unknown"


def test_requests_are_told_apart_by_status_class() -> None:
    """A 499 (client gone) is a client error, a 500 a server error; 2xx and 3xx are neither."""
    metrics = Metrics()
    for status in ("200", "304", "404", "422", "499", "500", "503"):
        metrics.requests.labels("/x", "POST", status).inc()
    snapshot = read_snapshot(metrics.registry)
    (row,) = snapshot.traffic
    assert (row.requests, row.client_errors, row.server_errors) == (7, 3, 2)


def wait_logged(log: Path, path: str, count: int) -> None:
    """Until ``count`` requests to ``path`` are logged. A worker counts a request once its answer
    is sent, then logs it: a request whose answer came back may be counted a moment later (and,
    under load, after the next request was served by the other worker); one it has logged is
    counted."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while len(logged_requests(log, path)) < count:
        assert time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.1)


def test_with_two_workers_the_page_adds_up_every_worker_as_metrics_does(
    artifacts_dir: Path, tmp_path: Path
) -> None:
    """Each worker counts the requests it answers; the page, answered by either, shows them all
    (prometheus-client's multiprocess files, as /metrics reads them). /health is asked on new
    connections until both workers have answered some."""
    log = tmp_path / "serve.log"
    with serving(artifacts_dir, log, workers=2) as url:
        wait_for(log, '"serving artifacts"', count=2)  # both workers up
        wait_logged(log, "/health", 1)  # the answer `serving` waited for
        ready = len(logged_requests(log, "/health"))
        before = table(httpx2.get(url + "/dashboard", timeout=5).text)[("/health", "GET")][0]
        skip = len(health_pids(log))
        sent = 0
        while sent < MIN_SENT or (sent < MAX_SENT and len(set(health_pids(log)[skip:])) < 2):
            assert httpx2.get(url + "/health", timeout=5).status_code == 200
            sent += 1
        # every request so far counted before the scrape, and the scrape before the page
        wait_logged(log, "/health", ready + sent)
        wait_logged(log, "/dashboard", 1)
        metrics_text = httpx2.get(url + "/metrics", timeout=5).text
        wait_logged(log, "/metrics", 1)
        page = httpx2.get(url + "/dashboard", timeout=5).text
        answered_by = set(health_pids(log)[skip:])
    assert len(answered_by) == 2, f"one worker answered all {sent} requests"
    shown, (counts, _, started) = table(page), scraped(metrics_text)
    assert shown[("/health", "GET")][0] - before == sent
    scrapes = counts.get(("/metrics", "GET"), (0, 0, 0))[0]
    assert shown == counts | {("/metrics", "GET"): (scrapes + 1, 0, 0)}
    # one start time for the service, the earlier worker's, not one per worker
    assert metrics_text.count("\naura_api_start_time_seconds ") == 1
    assert parse(page).ids["uptime"].startswith(f"started {utc(started)}, up ")
