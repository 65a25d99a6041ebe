/**
 * Local stand-in for Neon's WebSocket proxy: the Neon serverless driver speaks
 * the Postgres wire protocol over a WebSocket (`ws://host/v1?address=h:p`),
 * and this relays it to a plain TCP Postgres (PGlite's socket server or a
 * real PostgreSQL). The driver never closes its socket after sending
 * Terminate ('X'), so the proxy ends the TCP connection itself when it sees
 * one; otherwise every pooled connection would leak.
 */
import { connect, type Socket } from "node:net";
import { WebSocketServer, type WebSocket, type RawData } from "ws";

export interface WsProxy {
  port: number;
  /** Open client connections, for leak checks. */
  connections(): number;
  close(): Promise<void>;
}

/** Tracks frontend message boundaries so a Terminate message is recognised wherever it falls. */
class FrontendStream {
  private buffer = Buffer.alloc(0);
  private started = false;

  /** Feeds bytes; returns true once a Terminate message has been seen. */
  push(chunk: Buffer): boolean {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (!this.started) {
        // Startup, SSLRequest or GSSENCRequest: int32 length, no type byte.
        if (this.buffer.length < 4) return false;
        const len = this.buffer.readInt32BE(0);
        if (this.buffer.length < len) return false;
        const code = len >= 8 ? this.buffer.readInt32BE(4) : 0;
        this.buffer = this.buffer.subarray(len);
        if (code !== 80877103 && code !== 80877104) this.started = true; // not SSL/GSS negotiation
        continue;
      }
      if (this.buffer.length < 5) return false;
      const type = this.buffer[0];
      const len = this.buffer.readInt32BE(1);
      if (this.buffer.length < 1 + len) return false;
      this.buffer = this.buffer.subarray(1 + len);
      if (type === 0x58) return true; // 'X' Terminate
    }
  }
}

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return data;
}

function relay(ws: WebSocket, target: string): void {
  const [host, portText] = target.split(":");
  const port = Number(portText);
  if (!host || !Number.isInteger(port)) {
    ws.close(1008, "bad address");
    return;
  }
  const tcp: Socket = connect({ host, port });
  tcp.setNoDelay(true);
  const frontend = new FrontendStream();
  const pending: Buffer[] = [];
  let connected = false;

  tcp.on("connect", () => {
    connected = true;
    for (const chunk of pending) tcp.write(chunk);
    pending.length = 0;
  });
  tcp.on("data", (data) => {
    if (ws.readyState === ws.OPEN) ws.send(data);
  });
  tcp.on("close", () => ws.close());
  tcp.on("error", () => ws.terminate());

  ws.on("message", (data) => {
    const chunk = toBuffer(data);
    const terminated = frontend.push(chunk);
    if (connected) tcp.write(chunk);
    else pending.push(chunk);
    if (terminated) {
      tcp.end();
      ws.close();
    }
  });
  ws.on("close", () => tcp.destroy());
  ws.on("error", () => tcp.destroy());
}

/** Starts the proxy on 127.0.0.1:`port` (0 picks a free port). */
export async function startWsProxy(port: number): Promise<WsProxy> {
  const server = new WebSocketServer({ host: "127.0.0.1", port, perMessageDeflate: false });
  server.on("connection", (ws, req) => {
    const url = new URL(req.url ?? "/", "http://proxy");
    relay(ws, url.searchParams.get("address") ?? "");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    connections: () => server.clients.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
