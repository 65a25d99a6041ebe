/**
 * A Miniflare plugin (loaded through an `unsafeBindings` entry, see
 * bench-workers.ts) that gives `npm run serve:bench` an in-isolate Rate
 * Limiting binding: `limit({ key })` counts per fixed window in the memory of
 * the isolate that calls it, as a workerd "wrapped" binding, so a call costs
 * no cross-Worker hop. Production's binding keeps its counters on the machine
 * running the Worker; a service-binding stand-in would add an RPC per request
 * that production does not pay, and Miniflare's own emulation persists every
 * call through a SQLite Durable Object (~1.1 ms of workerd CPU per request).
 */
const MODULE = "edgeshop-bench:ratelimit";
const TYPE = "unsafe:edgeshop-bench-ratelimit";

/** Runs inside workerd: one limiter per binding, counters shared by the isolate. */
const LIMITER_MODULE = `
const windows = new Map();
export default function (env) {
  const name = env.name, limit = env.limit, periodMs = env.period * 1000;
  return {
    async limit({ key }) {
      const window = Math.floor(Date.now() / periodMs);
      const id = name + "\\u0000" + key;
      const entry = windows.get(id);
      if (!entry || entry.window !== window) {
        windows.set(id, { window, count: 1 });
        return { success: limit >= 1 };
      }
      entry.count++;
      return { success: entry.count <= limit };
    },
  };
}`;

const limiters = (workerOpts) => Object.entries(workerOpts.config.env ?? {}).filter(([, b]) => b.type === TYPE);

export const plugins = {
  "edgeshop-bench-ratelimit": {
    getBindings(workerOpts) {
      return limiters(workerOpts).map(([name, b]) => ({
        name,
        wrapped: {
          moduleName: MODULE,
          innerBindings: [
            { name: "name", json: JSON.stringify(name) },
            { name: "limit", json: JSON.stringify(Number(b.dev.options.limit)) },
            { name: "period", json: JSON.stringify(Number(b.dev.options.period)) },
          ],
        },
      }));
    },
    getNodeBindings() {
      return {};
    },
    getServices() {
      return [];
    },
    getExtensions({ options }) {
      return options.some((o) => limiters(o).length > 0) ? [{ modules: [{ name: MODULE, esModule: LIMITER_MODULE, internal: true }] }] : [];
    },
  },
};
