/**
 * `npm start`: the whole local stack in one command.
 *   1. the database: embedded PGlite persisted in .data/pglite (or DATABASE_URL)
 *   2. the Neon WebSocket proxy in front of it
 *   3. migrations, then the admin seed
 *   4. every Worker under one multi-config `wrangler dev` on 127.0.0.1:8787
 *   5. the demo catalog, seeded through the public API once the gateway is up
 * Ctrl-C stops everything it started.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { startPglite, type LocalDatabase } from "./local-db.ts";
import { startWsProxy, type WsProxy } from "./neon-ws-proxy.ts";
import { isLoopback, migrateDatabase, withDb } from "./db.ts";
import { prepareDevVars } from "./dev-vars.ts";
import { assertPortFree, waitForHttp } from "./ports.ts";
import { seedAll } from "./seed.ts";
import { seedCatalogThroughApi } from "./seed-catalog.ts";
import { ALL_WORKERS, GATEWAY } from "./workers.ts";

const GATEWAY_PORT = Number(process.env.PORT ?? 8787);
const PROXY_PORT = Number(process.env.NEON_WS_PROXY_PORT ?? 8790);
const PGLITE_PORT = Number(process.env.PGLITE_PORT ?? 54329);
const DATA_DIR = process.env.EDGESHOP_DATA_DIR ?? ".data";

const started: { db?: LocalDatabase; proxy?: WsProxy; wrangler?: ChildProcess } = {};
let stopping = false;

/**
 * wrangler dev runs in a process group of its own (so it can be stopped whole),
 * which outlives a `npm start` that is killed (SIGKILL) rather than stopped.
 * Its group id and the `npm start` that owns it are kept here; the next start
 * stops that stack first when its owner is gone, instead of refusing because
 * the gateway's port is taken (a stack whose owner still runs is left alone).
 */
const STACK_FILE = `${DATA_DIR}/wrangler.pid`;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** Whether `pid` is alive and is a wrangler dev (a pid the system gave to something else since is left alone). */
function isWranglerDev(pid: number): boolean {
  const ps = spawnSync("ps", ["-o", "command=", "-p", String(pid)], { encoding: "utf8" });
  return ps.status === 0 && /wrangler/.test(ps.stdout) && / dev /.test(ps.stdout);
}

async function stopLeftoverStack(): Promise<void> {
  if (!existsSync(STACK_FILE)) return;
  const [wrangler = NaN, owner = NaN] = readFileSync(STACK_FILE, "utf8").trim().split(/\s+/).map(Number);
  if (Number.isInteger(owner) && owner > 1 && alive(owner)) return; // another npm start runs it: the port check says so
  rmSync(STACK_FILE, { force: true });
  if (!Number.isInteger(wrangler) || wrangler <= 1 || !isWranglerDev(wrangler)) return;
  console.warn(`stopping the stack a previous npm start left running (wrangler dev, process group ${wrangler})`);
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-wrangler, sig);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  for (let i = 0; i < 50 && isWranglerDev(wrangler); i++) await new Promise((r) => setTimeout(r, 100));
  signal("SIGKILL");
  await new Promise((r) => setTimeout(r, 500)); // its ports are released as its processes end
}

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    if (started.wrangler?.pid && started.wrangler.exitCode === null) {
      try {
        process.kill(-started.wrangler.pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    // The stack file stays until the next start: should wrangler hang on SIGTERM, that start finds and stops it.
    await started.proxy?.close();
    await started.db?.close();
  }
  process.exit(code);
}

async function main(): Promise<void> {
  await stopLeftoverStack();
  await assertPortFree(GATEWAY_PORT, "gateway");
  await assertPortFree(PROXY_PORT, "Neon WebSocket proxy");

  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    await assertPortFree(PGLITE_PORT, "embedded PGlite");
    mkdirSync(`${DATA_DIR}/pglite`, { recursive: true });
    started.db = await startPglite(PGLITE_PORT, `${DATA_DIR}/pglite`);
    databaseUrl = started.db.url;
  }
  // PGlite is one session: the proxy lets one connection's conversation through at a time.
  started.proxy = await startWsProxy(PROXY_PORT, { serialize: Boolean(started.db) });
  const proxy = `127.0.0.1:${started.proxy.port}/v1`;

  await migrateDatabase(databaseUrl, proxy);
  await withDb(databaseUrl, proxy, seedAll);
  prepareDevVars({ DATABASE_URL: databaseUrl, NEON_WS_PROXY: isLoopback(databaseUrl) ? proxy : "" });

  const configs = [GATEWAY, ...ALL_WORKERS.filter((w) => w !== GATEWAY)].flatMap((w) => ["-c", w.config]);
  started.wrangler = spawn(
    "npx",
    ["wrangler", "dev", ...configs, "--ip", "127.0.0.1", "--port", String(GATEWAY_PORT), "--persist-to", `${DATA_DIR}/wrangler`, "--show-interactive-dev-session=false"],
    { stdio: ["ignore", "inherit", "inherit"], detached: true, env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" } },
  );
  if (started.wrangler.pid) {
    mkdirSync(DATA_DIR, { recursive: true });
    writeFileSync(STACK_FILE, `${started.wrangler.pid} ${process.pid}\n`);
  }
  started.wrangler.on("exit", (code) => {
    if (!stopping) {
      console.error(`wrangler dev exited (${code}); stopping`);
      void stop(code ?? 1);
    }
  });

  const base = `http://127.0.0.1:${GATEWAY_PORT}`;
  if (!(await waitForHttp(`${base}/health`, 120_000))) {
    console.error("the gateway did not become healthy within 120 s");
    await stop(1);
  }
  await seedCatalogThroughApi(base);
  console.log(
    [
      "",
      "edgeshop is running:",
      `  API      ${base}/v1`,
      `  health   ${base}/health`,
      `  docs     ${base}/docs`,
      `  openapi  ${base}/v1/openapi.json`,
      `  database ${started.db ? `embedded PGlite (${DATA_DIR}/pglite)` : "DATABASE_URL"}`,
      `  admin    ${process.env.SEED_ADMIN_EMAIL ?? "admin@edgeshop.local"} / ${process.env.SEED_ADMIN_PASSWORD ? "(SEED_ADMIN_PASSWORD)" : "admin-password"}`,
      "Press Ctrl-C to stop.",
      "",
    ].join("\n"),
  );
}

process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
process.on("SIGHUP", () => void stop(0)); // the terminal closed
main().catch(async (err: unknown) => {
  console.error(`npm start failed: ${err instanceof Error ? err.message : String(err)}`);
  await stop(1);
});
