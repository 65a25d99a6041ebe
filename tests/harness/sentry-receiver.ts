/**
 * A Sentry-compatible envelope receiver on loopback: Workers in tests get
 * `SENTRY_DSN=http://key@127.0.0.1:PORT/1` and tests read back what was
 * reported with `GET /events`.
 */
import { createServer, type Server } from "node:http";

export interface SentryReceiver {
  dsn: string;
  url: string;
  close(): Promise<void>;
}

export async function startSentryReceiver(): Promise<SentryReceiver> {
  const events: unknown[] = [];
  const server: Server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/events") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(events));
      return;
    }
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      // An envelope is newline-delimited JSON: header, then (item header, item) pairs.
      const lines = body.split("\n").filter((l) => l.trim().length > 0);
      for (let i = 1; i + 1 < lines.length; i += 2) {
        try {
          const itemHeader = JSON.parse(lines[i]!) as { type?: string };
          if (itemHeader.type === "event") events.push(JSON.parse(lines[i + 1]!));
        } catch {
          // not JSON: ignore
        }
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    dsn: `http://testkey@127.0.0.1:${port}/1`,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
