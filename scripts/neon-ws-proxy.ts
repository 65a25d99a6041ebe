/**
 * Local stand-in for Neon's WebSocket proxy: the Neon serverless driver speaks
 * the Postgres wire protocol over a WebSocket (`ws://host/v1?address=h:p`),
 * and this relays it to a plain TCP Postgres (PGlite's socket server or a
 * real PostgreSQL). The driver never closes its socket after sending
 * Terminate ('X'), so the proxy ends the TCP connection itself when it sees
 * one; otherwise every pooled connection would leak.
 *
 * PGlite is a single Postgres session shared by every socket connection, and
 * its socket server interleaves the messages of concurrent connections, which
 * breaks the extended protocol ("portal does not exist") and transactions.
 * With `serialize`, the proxy lets one connection talk at a time: from its
 * first message until Postgres is idle again (ReadyForQuery 'I' with no
 * query outstanding), so a whole transaction runs uninterrupted.
 *
 * The same port answers Neon's HTTP query path (`POST /sql`, see
 * neon-http-sql.ts), under the same turnstile.
 */
import { createServer } from "node:http";
import { connect, type Socket } from "node:net";
import { WebSocketServer, type WebSocket, type RawData } from "ws";
import { SqlOverHttp } from "./neon-http-sql.ts";
import { BackendStream, FrontendStream } from "./pg-wire.ts";

export interface WsProxy {
  port: number;
  /** Open client connections, for leak checks. */
  connections(): number;
  close(): Promise<void>;
}

/** A FIFO lock: one connection at a time talks to a serialised database. */
class Turnstile {
  private holder: object | undefined;
  private readonly waiting: { owner: object; go: () => void }[] = [];

  acquire(owner: object): Promise<void> {
    if (this.holder === owner) return Promise.resolve();
    if (!this.holder) {
      this.holder = owner;
      return Promise.resolve();
    }
    return new Promise((go) => this.waiting.push({ owner, go }));
  }

  release(owner: object): void {
    const i = this.waiting.findIndex((w) => w.owner === owner);
    if (i >= 0) this.waiting.splice(i, 1);
    if (this.holder !== owner) return;
    const next = this.waiting.shift();
    this.holder = next?.owner;
    next?.go();
  }
}

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return data;
}

function relay(ws: WebSocket, target: string, turnstile: Turnstile | undefined): void {
  const [host, portText] = target.split(":");
  const port = Number(portText);
  if (!host || !Number.isInteger(port)) {
    ws.close(1008, "bad address");
    return;
  }
  const tcp: Socket = connect({ host, port });
  tcp.setNoDelay(true);
  const owner = {};
  const frontend = new FrontendStream();
  const backend = new BackendStream();
  let outstanding = 0; // queries sent whose ReadyForQuery has not come back
  let holding = false;
  let chain: Promise<void> = new Promise((resolve) => tcp.once("connect", () => resolve()));

  const release = () => {
    holding = false;
    turnstile?.release(owner);
  };

  tcp.on("data", (data) => {
    if (turnstile) {
      for (const status of backend.push(data)) {
        outstanding = Math.max(0, outstanding - 1);
        if (status === "I" && outstanding === 0) release();
      }
    }
    if (ws.readyState === ws.OPEN) ws.send(data);
  });
  tcp.on("close", () => {
    release();
    ws.close();
  });
  tcp.on("error", () => {
    release();
    ws.terminate();
  });

  ws.on("message", (data) => {
    const chunk = toBuffer(data);
    const seen = frontend.push(chunk);
    if (seen.negotiation) backend.expectNegotiationByte();
    // Writes keep their order: each waits for the previous one (and for the turnstile).
    chain = chain.then(async () => {
      if (turnstile && !holding && seen.waitsForReady > 0) {
        await turnstile.acquire(owner);
        holding = true;
      }
      outstanding += seen.waitsForReady;
      if (!tcp.destroyed) tcp.write(chunk);
      if (seen.terminated) {
        release();
        tcp.end();
        ws.close();
      }
    });
  });
  ws.on("close", () => {
    release();
    tcp.destroy();
  });
  ws.on("error", () => {
    release();
    tcp.destroy();
  });
}

/**
 * Starts the proxy on 127.0.0.1:`port` (0 picks a free port). `serialize`
 * is for PGlite: one connection's conversation at a time.
 */
export async function startWsProxy(port: number, options: { serialize?: boolean } = {}): Promise<WsProxy> {
  const turnstile = options.serialize ? new Turnstile() : undefined;
  const sql = new SqlOverHttp(async (fn) => {
    if (!turnstile) return fn();
    const owner = {};
    await turnstile.acquire(owner);
    try {
      return await fn();
    } finally {
      turnstile.release(owner);
    }
  }, Boolean(turnstile));
  const http = createServer((req, res) => {
    if (new URL(req.url ?? "/", "http://proxy").pathname === "/sql") return void sql.handle(req, res);
    res.writeHead(404).end();
  });
  http.keepAliveTimeout = 60_000;
  const server = new WebSocketServer({ server: http, perMessageDeflate: false });
  server.on("connection", (ws, req) => {
    const url = new URL(req.url ?? "/", "http://proxy");
    relay(ws, url.searchParams.get("address") ?? "", turnstile);
  });
  await new Promise<void>((resolve, reject) => {
    http.once("listening", resolve);
    http.once("error", reject);
    http.listen(port, "127.0.0.1");
  });
  const address = http.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    connections: () => server.clients.size,
    close: async () => {
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await sql.close();
    },
  };
}
