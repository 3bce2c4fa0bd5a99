"""``GET /dashboard``: the service's requests, errors and latencies as one page a person can open.

The figures are read from the registry ``/metrics`` exposes (every worker's, added up, under
``--workers N``), so the page and a Prometheus scrape always agree. The page is rendered here,
whole, on each request: no script, no stylesheet, font or image from anywhere else (its
Content-Security-Policy forbids the browser to fetch any), so it works on a network without the
internet; the browser reloads it every REFRESH_SECONDS.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape

from prometheus_client import CollectorRegistry

from aura.api.observability import LATENCY_BUCKETS

REFRESH_SECONDS = 5
QUANTILES = (0.5, 0.95, 0.99)
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
"""Nothing may be loaded from anywhere, the page's own inline style excepted."""
UNMATCHED = "unmatched"
"""The label every path that is no endpoint is counted under (`aura.api.observability`)."""
REQUESTS = "aura_api_requests_total"
LATENCY = "aura_api_request_duration_seconds_bucket"
STARTED = "aura_api_start_time_seconds"


def histogram_quantile(q: float, buckets: Sequence[tuple[float, float]]) -> float | None:
    """The ``q``-quantile of a histogram, estimated from its cumulative ``buckets``, ``(upper
    bound, observations at or below it)`` in increasing order and ending with ``+Inf``; None
    without observations.

    A histogram keeps counts per bucket, not the observations, so a quantile can only be
    estimated. This is Prometheus's ``histogram_quantile``, so the page shows what a Grafana
    panel over the same series would: find the bucket holding the ``q * total``-th observation
    and interpolate linearly between its bounds (the first bucket's lower bound is 0), taking
    the observations as spread evenly within it. A quantile past the last finite bound is given
    as that bound, since the ``+Inf`` bucket has no upper one.
    """
    if not 0 < q <= 1:
        raise ValueError(f"a quantile is in (0, 1], got {q}")
    if len(buckets) < 2 or buckets[-1][0] != math.inf:
        raise ValueError("a histogram has at least one finite bucket and ends with +Inf")
    total = buckets[-1][1]
    if total <= 0:
        return None
    rank = q * total
    index = next(i for i, (_, count) in enumerate(buckets) if count >= rank)
    if index == len(buckets) - 1:
        return buckets[-2][0]
    upper, count = buckets[index]
    if index == 0 and upper <= 0:
        return upper
    lower, below = (0.0, 0.0) if index == 0 else buckets[index - 1]
    return lower + (upper - lower) * (rank - below) / (count - below)


@dataclass
class Traffic:
    """Requests to one endpoint by one method, and how many were refused."""

    endpoint: str
    method: str
    requests: int = 0
    client_errors: int = 0
    """4xx, the 499 of a client that hung up included."""
    server_errors: int = 0
    """5xx."""


@dataclass
class Snapshot:
    """What the registry holds at one moment."""

    started: float | None
    """Unix time the service started (its first worker's), if known."""
    traffic: list[Traffic]
    latency: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    """Each endpoint's cumulative latency buckets, in seconds, ending with +Inf."""


def read_snapshot(registry: CollectorRegistry) -> Snapshot:
    """Requests per endpoint and method, latency buckets per endpoint and the start time, read
    from ``registry`` as a scrape of it would read them."""
    traffic: dict[tuple[str, str], Traffic] = {}
    latency: dict[str, list[tuple[float, float]]] = {}
    started = None
    for family in registry.collect():
        for sample in family.samples:
            labels = sample.labels
            if sample.name == REQUESTS:
                key = (labels["endpoint"], labels["method"])
                row = traffic.setdefault(key, Traffic(*key))
                count, status = int(sample.value), labels["status"]
                row.requests += count
                if status.startswith("4"):
                    row.client_errors += count
                elif status.startswith("5"):
                    row.server_errors += count
            elif sample.name == LATENCY:
                bucket = (float(labels["le"]), sample.value)
                latency.setdefault(labels["endpoint"], []).append(bucket)
            elif sample.name == STARTED and sample.value > 0:
                started = sample.value
    for buckets in latency.values():
        buckets.sort()
    rows = sorted(traffic.values(), key=lambda r: (r.endpoint == UNMATCHED, r.endpoint, r.method))
    return Snapshot(started, rows, latency)


def duration(seconds: float | None) -> str:
    """``4.25 ms``, ``2.5 s``; a dash for no value. Milliseconds below what rounds to a second:
    999.6 ms to three significant figures is 1,000, which Python writes ``1e+03``."""
    if seconds is None:
        return "–"
    milliseconds = f"{seconds * 1000:.3g}"
    if float(milliseconds) < 1000:
        return f"{milliseconds} ms"
    return f"{seconds:.3g} s"


def uptime(seconds: float) -> str:
    """``3 d 04:05:06``: days, then hours, minutes and seconds."""
    minutes, secs = divmod(int(max(seconds, 0)), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days} d {clock}" if days else clock


def utc(timestamp: float) -> str:
    """``2026-12-07T11:20:03Z``."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#1b1b1b}
table{border-collapse:collapse}
th,td{border:1px solid #bbb;padding:.3em .7em}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.bad{color:#a40000;font-weight:bold}
p.note{color:#555;max-width:60em}
"""


def _row(row: Traffic, latency: list[str], span: int) -> str:
    """One endpoint and method; the latency cells only on the first row of its endpoint
    (``span`` rows tall), since latency is measured per endpoint."""
    errors = [
        f'<td class="n{" bad" if count else ""}">{count}</td>'
        for count in (row.client_errors, row.server_errors)
    ]
    cells = [
        f"<td>{escape(row.endpoint)}</td>",
        f"<td>{escape(row.method)}</td>",
        f'<td class="n">{row.requests}</td>',
        *errors,
    ]
    if span:
        cells += [f'<td class="n" rowspan="{span}">{escape(value)}</td>' for value in latency]
    return "<tr>" + "".join(cells) + "</tr>"


def _table(snapshot: Snapshot) -> str:
    """The requests table, or the empty state when nothing was counted."""
    if not snapshot.traffic:
        return (
            '<p id="empty">No requests counted yet. This page&#39;s own request is counted once '
            "it is answered, so the next refresh shows it.</p>"
        )
    head = "".join(
        f'<th scope="col">{name}</th>'
        for name in ("Endpoint", "Method", "Requests", "4xx", "5xx")
        + tuple(f"p{round(q * 100)}" for q in QUANTILES)
    )
    lines = [f"<table><thead><tr>{head}</tr></thead><tbody>"]
    for index, row in enumerate(snapshot.traffic):
        first = index == 0 or snapshot.traffic[index - 1].endpoint != row.endpoint
        span = sum(r.endpoint == row.endpoint for r in snapshot.traffic) if first else 0
        buckets = snapshot.latency.get(row.endpoint)
        latency = [duration(histogram_quantile(q, buckets) if buckets else None) for q in QUANTILES]
        lines.append(_row(row, latency, span))
    lines.append("</tbody></table>")
    return "\n".join(lines)


def render(snapshot: Snapshot, version: str, created: datetime, now: float) -> str:
    """The page: the served export, the service's uptime at ``now`` and the requests table."""
    total = sum(r.requests for r in snapshot.traffic)
    client = sum(r.client_errors for r in snapshot.traffic)
    server = sum(r.server_errors for r in snapshot.traffic)
    if snapshot.started is None:
        up = "start time unknown"
    else:
        up = f"started {utc(snapshot.started)}, up {uptime(now - snapshot.started)}"
    created_at = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    first, last = duration(LATENCY_BUCKETS[0]), duration(LATENCY_BUCKETS[-1])
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="{REFRESH_SECONDS}">
<title>AURA service dashboard</title>
<style>{STYLE}</style>
</head>
<body>
<h1>AURA service dashboard</h1>
<p>Models: version <b id="version">{escape(version)}</b>, exported {escape(created_at)}.
Service: <span id="uptime">{escape(up)}</span>. Page rendered {utc(now)}.</p>
<p id="totals">{total} requests, {client} client errors (4xx), {server} server errors (5xx).</p>
{_table(snapshot)}
<p class="note">Counts since the service started, every worker&#39;s added up: the figures of
<code>/metrics</code>. Requests to this page, <code>/metrics</code> and <code>/health</code> are
counted like any other, each once it is answered; <i>{UNMATCHED}</i> is every path that is no
endpoint. 4xx includes 499, a client that hung up before its request was read.</p>
<p class="note">p50, p95 and p99 are estimates from the latency histogram&#39;s buckets, as
Prometheus&#39;s <code>histogram_quantile</code> makes them: linear interpolation within the
bucket the percentile falls in, observations taken as spread evenly in it (bounds {first} to
{last}; one past the last bound shows as {last}). Latency is measured per endpoint, all its methods
together. This page reloads every {REFRESH_SECONDS} s.</p>
</body>
</html>
"""
