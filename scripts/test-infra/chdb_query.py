"""Runs SQL from stdin on embedded ClickHouse (chdb-core); prints the last statement's result.

Used by the tests (tests/helpers/chdb.ts) and benchmarks. Statements are split on ';' at
line ends; a session with --path keeps its database between calls.
"""
import argparse
import sys

from chdb import session as chs


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--format", default="TSV")
    parser.add_argument("--path", default=None)
    args = parser.parse_args()
    sql = sys.stdin.read()
    statements = [s.strip() for s in sql.replace(";\r\n", ";\n").split(";\n") if s.strip()]
    if statements and statements[-1].endswith(";"):
        statements[-1] = statements[-1][:-1]
    sess = chs.Session(args.path) if args.path else chs.Session()
    result = None
    try:
        for stmt in statements:
            result = sess.query(stmt, args.format)
    except Exception as exc:  # ClickHouse's message is what the caller needs
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        sess.close()
    if result is not None:
        sys.stdout.write(result.bytes().decode("utf-8", errors="replace"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
