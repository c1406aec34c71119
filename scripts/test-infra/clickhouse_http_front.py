"""A thin ClickHouse HTTP interface in front of embedded ClickHouse (chdb-core), for tests.

No usable ClickHouse server binary is installable on these machines (Debian bookworm's
clickhouse-server is 18.16 from 2018: no TTL, SimpleAggregateFunction, DateTime64 or
ProtobufSingle; PyPI ships only the embedded chdb-core), so tests that need a ClickHouse *server* --
the clickhouse-migrator speaking HTTP through @clickhouse/client -- talk to this front. Every
query runs in real ClickHouse (chdb, one persistent session); only the HTTP framing is ours:

  GET  /ping                      -> "Ok.\n"
  POST /?query=INSERT ... FORMAT X   body = data      (insert with data, like the real server)
  POST /[?query=prefix]           body = SQL            (queries and DDL)
  URL parameters that are ClickHouse settings are applied with SET before the query.
  Errors: HTTP 500, body = ClickHouse's own "Code: N. DB::Exception: ..." text.

It listens on 127.0.0.1 only. The working directory is set to --format-schema-dir, because
embedded ClickHouse resolves a relative format_schema (e.g. 'flow.proto:EnrichedFlow') against
the current directory where a server uses format_schema_path -- same file, same setting text.
Prints "listening <port>" on stdout once ready.
"""
import argparse
import gzip
import json
import os
import re
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from chdb import session as chs

# Parameters of the HTTP interface itself, not ClickHouse settings.
HTTP_ONLY = {
    "query", "query_id", "database", "default_format", "session_id", "session_timeout", "session_check",
    "user", "password", "quota_key", "compress", "decompress", "enable_http_compression", "role",
    "wait_end_of_query", "send_progress_in_http_headers", "http_headers_progress_interval_ms",
}
SETTING_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
INSERT_WITH_DATA = re.compile(r"^\s*(INSERT\s+INTO\s+[^\s(]+(?:\s*\([^)]*\))?)\s+(SETTINGS\s+.+?\s+)?FORMAT\s+(\w+)\s*;?\s*$", re.I | re.S)
ERROR_CODE = re.compile(r"Code:\s*(\d+)")


class Front:
    def __init__(self, data_path: str):
        self.lock = threading.Lock()
        self.session = chs.Session(data_path)

    def run(self, sql: str, fmt: str, settings: dict) -> bytes:
        with self.lock:
            for name, value in settings.items():
                literal = value if re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value) else "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
                self.session.query(f"SET {name} = {literal}")
            return self.session.query(sql, fmt).bytes()


def make_handler(front: Front):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet; tests read errors from responses
            pass

        def reply(self, status: int, body: bytes, headers: dict | None = None):
            accept = self.headers.get("Accept-Encoding", "")
            params = parse_qs(urlparse(self.path).query)
            out_headers = dict(headers or {})
            if "gzip" in accept and params.get("enable_http_compression", ["0"])[0] == "1":
                body = gzip.compress(body)
                out_headers["Content-Encoding"] = "gzip"
            self.send_response(status)
            for k, v in out_headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            path = urlparse(self.path).path
            if path in ("/ping", "/"):
                return self.reply(200, b"Ok.\n", {"Content-Type": "text/plain; charset=UTF-8"})
            self.handle_query(b"")

        def do_POST(self):
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                body = self.read_chunked()
            else:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            self.handle_query(body)

        def read_chunked(self) -> bytes:
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()

        def handle_query(self, body: bytes):
            params = {k: v[-1] for k, v in parse_qs(urlparse(self.path).query, keep_blank_values=True).items()}
            settings = {k: v for k, v in params.items() if k not in HTTP_ONLY and SETTING_NAME.match(k)}
            fmt = params.get("default_format", "TabSeparated")
            query = params.get("query", "")
            tmp = None
            if os.environ.get("CH_FRONT_DEBUG"):
                print("REQ", self.command, self.path, self.headers.items(), body[:200], file=sys.stderr, flush=True)
            try:
                m = INSERT_WITH_DATA.match(query) if query and body else None
                if m:
                    fd, tmp = tempfile.mkstemp(prefix="ch-front-", suffix=".data")
                    with os.fdopen(fd, "wb") as f:
                        f.write(body)
                    sql = f"{m.group(1)} FROM INFILE '{tmp}' {m.group(2) or ''}FORMAT {m.group(3)}"
                else:
                    sql = (query + ("\n" if query and body else "") + body.decode("utf-8")).strip()
                if not sql:
                    return self.reply(400, b"Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)\n")
                out = front.run(sql, fmt, settings)
                summary = json.dumps({"read_rows": "0", "read_bytes": "0", "written_rows": "0", "written_bytes": "0", "total_rows_to_read": "0"})
                self.reply(200, out, {
                    "Content-Type": "text/plain; charset=UTF-8",
                    "X-ClickHouse-Query-Id": params.get("query_id", ""),
                    "X-ClickHouse-Format": fmt,
                    "X-ClickHouse-Summary": summary,
                })
            except Exception as exc:  # ClickHouse's message, as the real server sends it
                text = str(exc).strip()
                code = ERROR_CODE.search(text)
                self.reply(500, (text + "\n").encode("utf-8"), {
                    "Content-Type": "text/plain; charset=UTF-8",
                    "X-ClickHouse-Exception-Code": code.group(1) if code else "1001",
                })
            finally:
                if tmp:
                    os.unlink(tmp)

    return Handler


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True, help="chdb data directory")
    parser.add_argument("--format-schema-dir", required=True, help="directory holding flow.proto")
    args = parser.parse_args()
    data_path = os.path.abspath(args.path)
    os.chdir(args.format_schema_dir)
    front = Front(data_path)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(front))
    print(f"listening {args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
