/** HTTP: the approval API, /metrics and /healthz on one port (plain HTTP behind the Service). */
import * as http from "http";
import { ApprovalService } from "./approval";
import { OperatorMetrics } from "./metrics";

const ROUTE = /^\/v1\/namespaces\/([a-z0-9-]{1,63})\/runbookexecutions\/([a-z0-9.-]{1,253})\/(approve|reject)$/;

export function startServer(port: number, host: string, approvals: ApprovalService, metrics: OperatorMetrics, ready: () => boolean): Promise<http.Server> {
  const server = http.createServer(async (req, res) => {
    const send = (status: number, body: unknown, type = "application/json") => {
      res.writeHead(status, { "Content-Type": type });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    try {
      const url = new URL(req.url ?? "/", "http://x");
      if (req.method === "GET" && url.pathname === "/healthz") return send(200, "ok", "text/plain");
      if (req.method === "GET" && url.pathname === "/readyz") return send(ready() ? 200 : 503, ready() ? "leading" : "standby", "text/plain");
      if (req.method === "GET" && url.pathname === "/metrics") return send(200, await metrics.registry.metrics(), metrics.registry.contentType);
      const m = url.pathname.match(ROUTE);
      if (req.method === "POST" && m) {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const raw = Buffer.concat(chunks).toString("utf8");
        let comment: string | undefined;
        try {
          comment = raw ? (JSON.parse(raw) as { comment?: string }).comment : undefined;
        } catch {
          return send(400, { ok: false, message: "body must be JSON" });
        }
        const auth = req.headers.authorization;
        const token = auth?.startsWith("Bearer ") ? auth.slice(7) : undefined;
        const r = await approvals.decide(token, m[1], m[2], m[3] === "approve" ? "approved" : "rejected", comment);
        return send(r.status, r.body);
      }
      send(404, { ok: false, message: "not found" });
    } catch (e) {
      send(500, { ok: false, message: (e as Error).message });
    }
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}
