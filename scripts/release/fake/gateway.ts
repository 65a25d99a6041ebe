/**
 * Fake public gateway for offline rollout rehearsals: answers /health and the
 * canary paths, routing the gateway and each domain Worker by the fake
 * deployments (honouring Cloudflare-Workers-Version-Overrides for the gateway
 * only, as Cloudflare does: not over RPC). A version uploaded as broken
 * (FAKE_BAD_CONFIGS) fails: the gateway with 500, a domain Worker as "down" in /health.
 */
import { createServer, type Server } from "node:http";
import { readState, pickVersion, type FakeState } from "./cloudflare-state.ts";

const DOMAINS = ["users", "catalog", "payments", "shipping", "orders", "favourites"];

function route(state: FakeState, key: string, pinned?: string): { id: string; bad: boolean } {
  const w = state[key];
  const live = w?.deployments.at(-1);
  const inDeployment = pinned && live?.versions.some((v) => v.version_id === pinned);
  const id = (inDeployment ? pinned : pickVersion(live)) ?? "none";
  return { id, bad: w?.versions.find((v) => v.id === id)?.bad ?? false };
}

/** Starts the fake gateway for `env` on a free port (state file read per request); resolves to its URL and server. */
export function startFakeGateway(statePath: () => string, env: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const state = readState(statePath());
    const pin = /="([^"]+)"/.exec(req.headers["cloudflare-workers-version-overrides"]?.toString() ?? "")?.[1];
    const gw = route(state, `wrangler.toml#${env}`, pin);
    const services: Record<string, string> = {};
    const versions: Record<string, string> = { gateway: gw.id };
    for (const d of DOMAINS) {
      const v = route(state, `workers/${d}/wrangler.toml#${env}`);
      services[d] = v.bad ? "down" : "ok";
      versions[d] = v.id;
    }
    // as the real gateway: events in `versions` only ("unknown" when broken), never in `services`
    const events = route(state, `workers/events/wrangler.toml#${env}`);
    versions.events = events.bad ? "unknown" : events.id;
    const down = Object.values(services).includes("down");
    const status = gw.bad ? 500 : req.url === "/health" && down ? 503 : 200;
    res.writeHead(status, { "content-type": "application/json", "x-edgeshop-version": gw.id });
    res.end(JSON.stringify(req.url === "/health" ? { status: down ? "degraded" : "ok", version: gw.id, services, versions } : { items: [], nextCursor: null }));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => {
    const addr = server.address();
    resolve({ url: `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`, server });
  }));
}
