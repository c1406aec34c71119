// Smoke test of the PyPI route: real embedded ClickHouse (chdb-core) runs queries.
import { chdbQuery } from "../helpers/chdb";
import { pinnedVersion, tempDir } from "../helpers/tools";

describe("ClickHouse via chdb-core (PyPI)", () => {
  it("runs a query on the pinned ClickHouse build", () => {
    const version = chdbQuery("SELECT version()").output.trim();
    expect(version).toMatch(/^\d+\.\d+/);
    expect(pinnedVersion("HELIOS_CHDB_VERSION").split(".")[0]).toBe(version.split(".")[0]);
    expect(chdbQuery("SELECT sum(number) FROM numbers(1000)").output.trim()).toBe("499500");
  });

  it("keeps a MergeTree table across sessions and reports SQL errors", () => {
    const dataDir = tempDir("chdb");
    chdbQuery("CREATE DATABASE IF NOT EXISTS t;\nCREATE TABLE t.flows (ts DateTime, bytes UInt64) ENGINE = MergeTree ORDER BY ts;\nINSERT INTO t.flows VALUES (now(), 10), (now(), 32)", { dataDir });
    expect(chdbQuery("SELECT sum(bytes) FROM t.flows", { dataDir }).output.trim()).toBe("42");
    expect(() => chdbQuery("SELECT nope FROM t.flows", { dataDir })).toThrow(/Unknown expression|UNKNOWN_IDENTIFIER|nope/);
  });
});
