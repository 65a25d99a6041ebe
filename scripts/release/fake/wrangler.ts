/**
 * Fake `wrangler` for offline rollout rehearsals (EDGESHOP_FAKE_WRANGLER):
 * answers versions upload/list/deploy, deployments status/list, rollback and
 * deploy from the JSON state in FAKE_CF_STATE, keyed by `<config>#<env>`.
 * Uploads of the configs listed in FAKE_BAD_CONFIGS are broken builds.
 */
import { randomUUID } from "node:crypto";
import { readState, tick, writeState, type FakeWorker } from "./cloudflare-state.ts";

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
};
const path = process.env.FAKE_CF_STATE ?? ".tmp/fake-cloudflare.json";
const state = readState(path);
const key = `${flag("-c")}#${flag("--env")}`;
const worker: FakeWorker = (state[key] ??= { versions: [], deployments: [] });
const positionals = argv.filter((a, i) => !a.startsWith("-") && !(argv[i - 1] ?? "").startsWith("-"));
const [cmd, sub] = positionals;
const out = (v: unknown): void => void process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);

function upload(): string {
  const id = randomUUID();
  const bad = (process.env.FAKE_BAD_CONFIGS ?? "").split(",").includes(flag("-c") ?? "");
  worker.versions.push({ id, tag: flag("--tag"), created_on: tick(state), bad });
  return id;
}
function deploy(specs: string[]): void {
  const versions = specs.map((s) => {
    const [id, pct] = s.split("@");
    if (!worker.versions.some((v) => v.id === id)) throw new Error(`unknown version ${id}`);
    return { version_id: id!, percentage: Number(pct!.replace("%", "")) };
  });
  worker.deployments.push({ created_on: tick(state), versions });
}

try {
  if (cmd === "versions" && sub === "upload") process.stdout.write(`Worker Version ID: ${upload()}\n`);
  else if (cmd === "versions" && sub === "list") out(worker.versions.slice(-10).map((v) => ({ id: v.id, metadata: { created_on: v.created_on }, annotations: { "workers/tag": v.tag } })));
  else if (cmd === "versions" && sub === "deploy") deploy(positionals.slice(2));
  else if (cmd === "deployments" && sub === "status") out(worker.deployments.at(-1));
  else if (cmd === "deployments" && sub === "list") out(worker.deployments.slice(-10));
  else if (cmd === "rollback") deploy([`${sub}@100%`]);
  else if (cmd === "deploy") deploy([`${upload()}@100%`]);
  else if (cmd === "triggers" && sub === "deploy") process.stdout.write("triggers applied\n");
  else throw new Error(`fake wrangler: unsupported ${argv.join(" ")}`);
  writeState(path, state);
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
