/**
 * Miniflare options for the rehearsal: the previous release and the current
 * build side by side on one workerd.
 * - every Worker twice, `<script>--old` and `<script>--new`, each from its own
 *   build's bundle and config, service bindings kept within the build;
 * - one host per Durable Object Worker (`rehearsal-objects-<worker>`) whose
 *   classes run the old or the new code per object (versioned-objects.js), so
 *   both builds' Workers reach the same objects and storage;
 * - the splitter (splitter.js) on the public port, its Control entrypoint on
 *   the control port;
 * - the queue consumed by the new build's events Worker (one consumer per queue).
 * Each build reports its own version id through CF_VERSION_METADATA.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { LegacyWorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { workerOptions, type BenchDatabase } from "../../bench-workers.ts";
import { ALL_WORKERS, GATEWAY, type WorkerInfo } from "../../workers.ts";
import { hasWorker, inBuild, type Build } from "../compat-workers.ts";

export type Side = "old" | "new";

export interface RehearsalBuild extends Build {
  /** Version id the build reports (x-edgeshop-version, logs, /health). */
  versionId: string;
}

export interface RehearsalPorts {
  host: string;
  public: number;
  control: number;
}

type Bindings = Record<string, unknown>;
type ServiceBindings = Record<string, { name: string; entrypoint?: string }>;
type ObjectBindings = Record<string, string | { className: string; scriptName?: string; useSQLite?: boolean }>;

const HERE = resolve("scripts/release/rehearsal");
const source = (file: string) => readFileSync(join(HERE, file), "utf8");
const COMPAT = { compatibilityDate: "2026-10-20", compatibilityFlags: ["nodejs_compat"] };

export const scriptOf = (w: WorkerInfo, side: Side): string => `${w.script}--${side}`;
export const objectHostOf = (w: WorkerInfo): string => `rehearsal-objects-${w.name}`;

/** Durable Object bindings of classes a Worker hosts itself (no scriptName), as binding -> class name. */
function ownObjects(options: LegacyWorkerOptions): [string, string][] {
  return Object.entries((options.durableObjects ?? {}) as ObjectBindings)
    .filter(([, d]) => typeof d === "string" || !d.scriptName)
    .map(([binding, d]) => [binding, typeof d === "string" ? d : d.className]);
}

/**
 * Two versions means two isolates of each Worker, as in production, so the catalog's commit wait
 * (README, "Catalog reads") takes its production value instead of dev's 0.
 */
function productionCommitWait(info: WorkerInfo): Bindings {
  const production = unstable_getMiniflareWorkerOptions(info.config, "production").workerOptions.bindings as Bindings | undefined;
  return production?.CATALOG_COMMIT_WAIT_MS === undefined ? {} : { CATALOG_COMMIT_WAIT_MS: production.CATALOG_COMMIT_WAIT_MS };
}

function options(w: WorkerInfo, build: RehearsalBuild, db: BenchDatabase): LegacyWorkerOptions {
  const info = inBuild(w, build.root);
  const o = workerOptions(info, build.bundles, db);
  delete o.versionMetadata;
  o.bindings = { ...(o.bindings as Bindings), ...productionCommitWait(info), CF_VERSION_METADATA: { id: build.versionId, tag: "", timestamp: "" } } as LegacyWorkerOptions["bindings"];
  return o;
}

/** Service binding targets renamed to the same build's copy. */
function withinBuild(services: ServiceBindings | undefined, side: Side): ServiceBindings {
  return Object.fromEntries(Object.entries(services ?? {}).map(([k, v]) => [k, { ...v, name: `${v.name}--${side}` }]));
}

/** Durable Object bindings pointed at the shared host of the Worker that defines the class. */
function toHosts(bindings: ObjectBindings | undefined, owner: WorkerInfo): ObjectBindings {
  return Object.fromEntries(
    Object.entries(bindings ?? {}).map(([k, d]) => {
      const className = typeof d === "string" ? d : d.className;
      const script = typeof d === "string" ? undefined : d.scriptName;
      const host = ALL_WORKERS.find((w) => w.script === (script ?? owner.script)) ?? owner;
      return [k, { className, scriptName: objectHostOf(host), useSQLite: true }];
    }),
  );
}

function sideWorker(w: WorkerInfo, side: Side, build: RehearsalBuild, db: BenchDatabase): LegacyWorkerOptions {
  const o = options(w, build, db);
  o.name = scriptOf(w, side);
  o.serviceBindings = withinBuild(o.serviceBindings as ServiceBindings, side) as LegacyWorkerOptions["serviceBindings"];
  o.durableObjects = toHosts(o.durableObjects as ObjectBindings, w) as LegacyWorkerOptions["durableObjects"];
  // One consumer per queue: the new build's events Worker.
  if (side === "old") delete o.queueConsumers;
  return o;
}

/** The shared host of a Worker's Durable Object classes, running both builds' code. */
function objectHost(w: WorkerInfo, builds: Record<Side, RehearsalBuild>, db: BenchDatabase): LegacyWorkerOptions {
  const next = options(w, builds.new, db);
  const prev = hasWorker(w, builds.old) ? options(w, builds.old, db) : next;
  const classes = ownObjects(next).map(([, c]) => c);
  const prefixed = <T>(rec: Record<string, T> | undefined) => Object.fromEntries(Object.entries(rec ?? {}).map(([k, v]) => [`OLD__${k}`, v]));
  const entry = `import { versioned, control } from "./versioned-objects.js";
${classes.map((c) => `export const ${c} = versioned(${JSON.stringify(c)});`).join("\n")}
export default { fetch: control };`;
  const bundle = (b: RehearsalBuild) => readFileSync(join(b.bundles, w.name, "index.js"), "utf8");
  return {
    ...COMPAT,
    name: objectHostOf(w),
    modules: [
      { type: "ESModule", path: "host.js", contents: entry },
      { type: "ESModule", path: "versioned-objects.js", contents: source("versioned-objects.js") },
      { type: "ESModule", path: "buckets.js", contents: source("buckets.js") },
      { type: "ESModule", path: "old/index.js", contents: bundle(hasWorker(w, builds.old) ? builds.old : builds.new) },
      { type: "ESModule", path: "new/index.js", contents: bundle(builds.new) },
    ],
    bindings: { ...(next.bindings as Bindings), ...prefixed(prev.bindings as Bindings) } as LegacyWorkerOptions["bindings"],
    serviceBindings: {
      ...withinBuild(next.serviceBindings as ServiceBindings, "new"),
      ...prefixed(withinBuild(prev.serviceBindings as ServiceBindings, "old")),
    } as LegacyWorkerOptions["serviceBindings"],
    queueProducers: next.queueProducers,
    durableObjects: Object.fromEntries(ownObjects(next).map(([binding, className]) => [binding, { className, useSQLite: true }])),
  };
}

/** Every Miniflare Worker of the rehearsal stack. */
export function rehearsalWorkers(builds: Record<Side, RehearsalBuild>, db: BenchDatabase, ports: RehearsalPorts): LegacyWorkerOptions[] {
  const workers: LegacyWorkerOptions[] = [];
  for (const side of ["old", "new"] as const) {
    for (const w of ALL_WORKERS) if (hasWorker(w, builds[side])) workers.push(sideWorker(w, side, builds[side], db));
  }
  const hosts = ALL_WORKERS.filter((w) => ownObjects(options(w, builds.new, db)).length > 0);
  workers.push(...hosts.map((w) => objectHost(w, builds, db)));
  workers.push({
    ...COMPAT,
    name: "rehearsal-splitter",
    modules: [
      { type: "ESModule", path: "splitter.js", contents: source("splitter.js") },
      { type: "ESModule", path: "buckets.js", contents: source("buckets.js") },
    ],
    bindings: {
      VERSIONS: JSON.stringify({ old: builds.old.versionId, new: builds.new.versionId }),
      OBJECT_HOSTS: JSON.stringify(hosts.map((w) => `OBJECTS_${w.name.toUpperCase()}`)),
    },
    serviceBindings: {
      GATEWAY_OLD: scriptOf(GATEWAY, "old"),
      GATEWAY_NEW: scriptOf(GATEWAY, "new"),
      ...Object.fromEntries(hosts.map((w) => [`OBJECTS_${w.name.toUpperCase()}`, objectHostOf(w)])),
    },
    unsafeDirectSockets: [
      { host: ports.host, port: ports.public },
      { host: ports.host, port: ports.control, entrypoint: "Control" },
    ],
  });
  return workers;
}
