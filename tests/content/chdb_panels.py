"""Runs dashboard SQL on embedded ClickHouse (chdb-core) for the content tests and the bench.

stdin: JSON {"path": data dir or null, "setup": [sql, ...], "queries": [{"id": str, "sql": str}, ...]}
stdout: JSON {"results": [{"id", "rows", "first", "ms", "error"}]} -- rows = result row count,
first = the first row (a list) or null, ms = wall time of the query in this process and
cpu_ms = CPU time this process (all ClickHouse threads) spent on it, each the best of
`repeat` runs when given. On a shared machine cpu_ms is the load-independent figure.
Setup statements run first (an error there aborts with exit 1); query errors are reported
per query so one bad panel does not hide the others.
"""
import json
import sys
import time

from chdb import session as chs


def main() -> int:
    job = json.load(sys.stdin)
    sess = chs.Session(job.get("path")) if job.get("path") else chs.Session()
    try:
        for stmt in job.get("setup", []):
            try:
                sess.query(stmt, "TSV")
            except Exception as exc:
                print(f"setup statement failed: {exc}\n--- statement ---\n{stmt}", file=sys.stderr)
                return 1
        results = []
        repeat = int(job.get("repeat", 1))
        for q in job.get("queries", []):
            best = None
            best_cpu = None
            rows = None
            first = None
            error = None
            for _ in range(repeat):
                start = time.perf_counter()
                cpu_start = time.process_time()
                try:
                    res = sess.query(q["sql"], "JSONCompact")
                    ms = (time.perf_counter() - start) * 1000
                    cpu_ms = (time.process_time() - cpu_start) * 1000
                    best_cpu = cpu_ms if best_cpu is None else min(best_cpu, cpu_ms)
                    parsed = json.loads(res.bytes().decode("utf-8"))
                    rows = parsed["rows"]
                    first = parsed["data"][0] if parsed["data"] else None
                    best = ms if best is None else min(best, ms)
                except Exception as exc:
                    error = str(exc)
                    break
            results.append({"id": q["id"], "rows": rows, "first": first, "ms": best, "cpu_ms": best_cpu, "error": error})
        json.dump({"results": results}, sys.stdout)
    finally:
        sess.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
