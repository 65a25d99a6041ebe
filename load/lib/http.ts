/**
 * A small keep-alive HTTP/1.1 client on node:http. Load generation needs
 * connection reuse, a bounded socket pool and no per-request allocation of
 * a WHATWG Response; node:http gives all three without a new dependency.
 */
import { Agent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parsed JSON body when the response was JSON, otherwise undefined. */
  json: unknown;
}

export interface RequestOptions {
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** A client bound to one base URL with its own socket pool. */
export class HttpClient {
  readonly base: URL;
  private readonly agent: Agent;
  private readonly secure: boolean;

  constructor(base: string, maxSockets = 256) {
    this.base = new URL(base);
    this.secure = this.base.protocol === "https:";
    const opts = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: "lifo" as const };
    this.agent = this.secure ? new HttpsAgent(opts) : new Agent(opts);
  }

  /** Sends one request; network errors and timeouts reject with a message naming them. */
  request(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResult> {
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string> = { accept: "application/json", ...opts.headers };
    if (payload) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(payload.length);
    }
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const send = this.secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname,
          port: this.base.port,
          path: this.base.pathname.replace(/\/$/, "") + path,
          method,
          headers,
          agent: this.agent,
          timeout: opts.timeoutMs ?? 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            resolve(result(res.statusCode ?? 0, res.headers, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
          });
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error("TIMEOUT")));
      req.on("error", reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  /** Closes pooled sockets so the process can exit. */
  close(): void {
    this.agent.destroy();
  }
}

/**
 * A response whose `text` is decoded and `json` parsed on first use: a read
 * benchmark that only counts statuses should not spend the load generator's
 * CPU (on the cores the target runs on) decoding and parsing every body.
 * Decoding alone held the products-list benchmark back: its 20-product pages
 * kept the load generator at 72% of a core (load/FINDINGS.md, seventeenth session).
 */
function result(status: number, headers: HttpResult["headers"], body: Buffer): HttpResult {
  let text: string | undefined;
  let parsed: { value: unknown } | undefined;
  return {
    status,
    headers,
    get text() {
      if (text === undefined) text = body.toString("utf8");
      return text;
    },
    get json() {
      if (!parsed) parsed = { value: parseJson(headers, this.text) };
      return parsed.value;
    },
  };
}

function parseJson(headers: HttpResult["headers"], text: string): unknown {
  if (!String(headers["content-type"] ?? "").includes("json") || text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The problem+json `code` of an error response (only error bodies are parsed for it). */
export function problemCode(res: HttpResult): string | undefined {
  if (res.status < 400) return undefined;
  const body = res.json as { code?: unknown } | undefined;
  return typeof body?.code === "string" ? body.code : undefined;
}
