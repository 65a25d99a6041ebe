/**
 * The rehearsal's edge: splits requests between the old and the new gateway by
 * percentage, as a gradual deployment does. `Cloudflare-Workers-Version-Key`
 * pins a client (same key, same version, for as long as the deployment holds;
 * raising the new version's share never moves a pinned client back), and
 * `Cloudflare-Workers-Version-Overrides: edgeshop-gateway="<version id>"`
 * forces a version while it is part of the deployment. Each gateway calls the
 * domain Workers of its own build (a version key pins across service bindings).
 * The `Control` entrypoint (its own socket) moves the deployment, Durable
 * Object hosts first, and reports what each version served.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { bucketOf, versionForBucket } from "./buckets.js";

const state = { percentNew: 0, served: { old: 0, new: 0 } };

function pick(request, versions) {
  const overrides = request.headers.get("cloudflare-workers-version-overrides");
  const forced = overrides && /edgeshop-gateway="([^"]+)"/.exec(overrides)?.[1];
  if (forced === versions.new && state.percentNew > 0) return "new";
  if (forced === versions.old && state.percentNew < 100) return "old";
  const key = request.headers.get("cloudflare-workers-version-key");
  return versionForBucket(key ? bucketOf(key) : Math.random() * 100, state.percentNew);
}

export default {
  async fetch(request, env) {
    const version = pick(request, JSON.parse(env.VERSIONS));
    state.served[version]++;
    return (version === "new" ? env.GATEWAY_NEW : env.GATEWAY_OLD).fetch(request);
  },
};

export class Control extends WorkerEntrypoint {
  async fetch(request) {
    const url = new URL(request.url);
    const hosts = JSON.parse(this.env.OBJECT_HOSTS);
    if (request.method === "POST" && url.pathname === "/deployment") {
      const { percentNew } = await request.json();
      if (!Number.isInteger(percentNew) || percentNew < 0 || percentNew > 100) return Response.json({ error: "percentNew must be 0..100" }, { status: 400 });
      for (const host of hosts) {
        const res = await this.env[host].fetch("http://objects/deployment", { method: "POST", body: JSON.stringify({ percentNew }) });
        if (!res.ok) return Response.json({ error: `${host}: ${res.status}` }, { status: 502 });
      }
      state.percentNew = percentNew;
      state.served = { old: 0, new: 0 };
      return Response.json({ percentNew });
    }
    if (url.pathname === "/stats") {
      const objects = {};
      for (const host of hosts) objects[host] = await (await this.env[host].fetch("http://objects/stats")).json();
      return Response.json({ ...state, objects });
    }
    return new Response("not found", { status: 404 });
  }
}
