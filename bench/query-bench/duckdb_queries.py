"""The query benchmark's reference: DuckDB over the store's Parquet files.

Run by `query-bench` (bench/src/bin/query-bench.rs) with a JSON argument:
{"tables": DIR, "project": ID, "from_ms", "to_ms", "week_from_ms", "session": {...},
 "releases": [A, B], "runs": N, "threads": N}. Prints one JSON object on stdout:
{"duckdb": VERSION, "queries": {name: [seconds per run]}, "answers": {name: first row}}.

Each statement computes what the Sightline query of the same name answers, by the same
definitions (docs/query.md): sampled sessions only, weights 1 / sample_rate, one final
value per view and vital (latest timestamp, then received_at, then event id), weighted
nearest-rank quantiles. Written the way one writes them for DuckDB (QUALIFY, window
sums); the error groups group by type, message with digits folded and the first stack
line, as DuckDB has no Sightline fingerprint function.
"""

import json
import sys
import time

import duckdb


def main():
    args = json.loads(sys.argv[1])
    con = duckdb.connect()
    con.execute(f"SET threads = {int(args['threads'])}")
    tables, project = args["tables"], args["project"]

    def table(kind):
        return f"read_parquet('{tables}/{kind}/{project}/*/*.parquet')"

    def ts(ms):
        return f"make_timestamp({int(ms) * 1000})"

    frm, to, week = ts(args["from_ms"]), ts(args["to_ms"]), ts(args["week_from_ms"])

    def scan(alias, start=frm, end=to):
        return (
            f"{alias}.project = '{project}' AND {alias}.timestamp >= {start} AND {alias}.timestamp < {end} "
            f"AND {alias}.sampling_reason = 'sampled'"
        )

    def vital_units(name, extra="", keys=""):
        return (
            f"SELECT {keys} 1.0 / sample_rate AS w, value AS v FROM {table('vital')} e "
            f"WHERE {scan('e')} AND name = '{name}' {extra} "
            "QUALIFY row_number() OVER (PARTITION BY view_id ORDER BY timestamp DESC, received_at DESC, event_id DESC) = 1"
        )

    def quantile(units, q, partition=""):
        part = f"PARTITION BY {partition}" if partition else ""
        return (
            f"SELECT {partition + ',' if partition else ''} min(v) FILTER (WHERE cw >= {q} * tw) AS p, sum(w) AS count "
            f"FROM (SELECT *, sum(w) OVER ({part} ORDER BY v ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cw, "
            f"sum(w) OVER ({part}) AS tw FROM ({units})) {'GROUP BY ' + partition if partition else ''}"
        )

    views = (
        f"SELECT e.view_id, 1.0 / e.sample_rate AS w FROM {table('view')} e WHERE {scan('e')} "
        "QUALIFY row_number() OVER (PARTITION BY view_id ORDER BY timestamp DESC, received_at DESC, event_id DESC) = 1"
    )
    error_rate = (
        f"SELECT sum(w * CASE WHEN err.view_id IS NULL THEN 0.0 ELSE 1.0 END) / sum(w) FROM ({views}) v "
        f"LEFT JOIN (SELECT DISTINCT x.view_id FROM {table('error')} x WHERE {scan('x')}) err ON err.view_id = v.view_id"
    )
    overview = [
        f"SELECT sum(w) FROM ({views})",
        quantile(vital_units("lcp"), 0.75),
        quantile(vital_units("inp"), 0.75),
        quantile(vital_units("cls"), 0.75),
        error_rate,
    ]
    series = quantile(vital_units("lcp", keys="date_trunc('hour', timestamp) AS b,"), 0.75, "b") + " ORDER BY b"
    breakdown = (
        quantile(vital_units("inp", keys="route AS g0, browser AS g1,"), 0.75, "g0, g1")
        + " ORDER BY count DESC, g0, g1 LIMIT 10"
    )
    distribution = (
        "SELECT least(greatest(CAST(ceil(round(v * 10000.0) / 250.0) AS BIGINT) - 1, 0), 40) AS i, sum(w), count(*) "
        f"FROM ({vital_units('cls')}) GROUP BY i ORDER BY i"
    )
    errors = (
        "SELECT error_type, min(message) AS message, sum(coalesce(count, 1)) AS count, count(*) AS events, "
        "count(DISTINCT session_id) AS sessions, count(DISTINCT user_id) AS users, min(timestamp), max(timestamp), "
        "list(DISTINCT release ORDER BY release) AS releases, mode(route), mode(browser) "
        f"FROM {table('error')} e WHERE e.project = '{project}' AND e.timestamp >= {week} AND e.timestamp < {to} "
        "GROUP BY error_type, regexp_replace(message, '[0-9]+', '0', 'g'), split_part(stack, chr(10), 2) "
        "ORDER BY count DESC LIMIT 50"
    )
    session = args["session"]
    s_from, s_to, sid = ts(session["from_ms"]), ts(session["to_ms"]), session["id"].replace("'", "''")

    def in_session(kind, columns):
        return (
            f"SELECT timestamp, view_id, event_id, route, '{kind}' AS kind, {columns} FROM {table(kind)} e "
            f"WHERE e.project = '{project}' AND e.timestamp >= {s_from} AND e.timestamp < {s_to} AND e.session_id = '{sid}'"
        )

    timeline = " UNION ALL ".join(
        [
            in_session("view", "page_url AS a, CAST(load AS VARCHAR) AS b"),
            in_session("vital", "name AS a, CAST(value AS VARCHAR) AS b")
            + " QUALIFY row_number() OVER (PARTITION BY view_id, name ORDER BY timestamp DESC, received_at DESC, event_id DESC) = 1",
            in_session("error", "message AS a, error_type AS b"),
            in_session("request", "url AS a, CAST(status AS VARCHAR) AS b"),
        ]
    )
    timeline = f"SELECT * FROM ({timeline}) ORDER BY timestamp, view_id, event_id LIMIT 5000"
    a, b = args["releases"]
    compare = []
    for release in (a, b):
        compare.append(quantile(vital_units("lcp", extra=f"AND release = '{release}'"), 0.75))
        compare.append(
            f"SELECT sum(w) FROM (SELECT 1.0 / sample_rate AS w, release FROM {table('view')} e WHERE {scan('e')} "
            "QUALIFY row_number() OVER (PARTITION BY view_id ORDER BY timestamp DESC, received_at DESC, event_id DESC) = 1) "
            f"WHERE release = '{release}'"
        )

    queries = {
        "overview": overview,
        "lcp_series": [series],
        "inp_breakdown": [breakdown],
        "cls_distribution": [distribution],
        "error_groups": [errors],
        "session_timeline": [timeline],
        "release_comparison": compare,
    }
    times, answers = {}, {}
    for name, statements in queries.items():
        runs = []
        for run in range(int(args["runs"]) + 1):
            started = time.perf_counter()
            rows = [con.execute(sql).fetchall() for sql in statements]
            elapsed = time.perf_counter() - started
            if run == 0:
                answers[name] = [str(r[0]) if r else None for r in rows]
            else:
                runs.append(elapsed)
        times[name] = runs
    print(json.dumps({"duckdb": duckdb.__version__, "queries": times, "answers": answers}))


if __name__ == "__main__":
    main()
