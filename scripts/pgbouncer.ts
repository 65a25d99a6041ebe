/**
 * PgBouncer in transaction mode in front of the bench PostgreSQL: the local
 * counterpart of Neon's pooled endpoint (the `-pooler` host, PgBouncer in
 * transaction mode), which is what Workers use in production.
 *
 * Why it matters: every Worker call opens its own Postgres connection (a Pool
 * per request), and a direct PostgreSQL connection forks a backend. On the
 * bench machine that fork costs ~45 ms of CPU (pgbench -C: 35 connections/s
 * per client), so without a pooler the figures measure process creation,
 * not edgeshop. It also keeps the code honest: anything that needs a session
 * (SET, advisory locks, named prepared statements) fails here as it would on Neon.
 * Migrations and seeding keep using the direct URL, as Neon advises.
 */
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { postgresUid } from "./bench-postgres.ts";

export const PGBOUNCER_BIN = process.env.PGBOUNCER_BIN ?? "/usr/sbin/pgbouncer";

export interface PgBouncer {
  /** The pooled URL: same user and database as the direct one, PgBouncer's port. */
  url: string;
  port: number;
  pid: number;
  stop(): void;
}

export function pgbouncerInstalled(): boolean {
  return existsSync(PGBOUNCER_BIN);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Ends a PgBouncer left running from `dir` by a run that was killed (its
 * pidfile is still there) and waits for it to free its port.
 */
export function stopStalePgBouncer(dir: string): void {
  const pidFile = join(resolve(dir), "pgbouncer.pid");
  if (!existsSync(pidFile)) return;
  const stale = Number(readFileSync(pidFile, "utf8").trim());
  if (stale > 0 && alive(stale)) {
    process.kill(stale, "SIGTERM");
    for (let i = 0; i < 50 && alive(stale); i++) spawnSync("sleep", ["0.1"]);
  }
  rmSync(pidFile, { force: true });
}

/**
 * Starts PgBouncer (daemonised, PID from its pidfile) on 127.0.0.1:`port` in
 * front of `directUrl`, with its files in `dir`. PgBouncer refuses to run as
 * root, so as root it runs as `postgres`.
 */
export function startPgBouncer(directUrl: string, port: number, dir: string, poolSize = 60): PgBouncer {
  if (!pgbouncerInstalled()) throw new Error(`PgBouncer not found at ${PGBOUNCER_BIN} (apt-get install pgbouncer), or run with --pooler none`);
  const target = new URL(directUrl);
  const user = decodeURIComponent(target.username || "postgres");
  const database = target.pathname.replace(/^\//, "") || "postgres";
  const home = resolve(dir);
  mkdirSync(home, { recursive: true });
  const pidFile = join(home, "pgbouncer.pid");
  stopStalePgBouncer(home);
  const ini = [
    "[databases]",
    `${database} = host=${target.hostname} port=${target.port || 5432} dbname=${database} user=${user}${target.password ? ` password=${decodeURIComponent(target.password)}` : ""}`,
    "[pgbouncer]",
    "listen_addr = 127.0.0.1",
    `listen_port = ${port}`,
    "unix_socket_dir =",
    // Loopback only, in front of a trust-auth bench cluster; Neon's pooler authenticates for real.
    "auth_type = any",
    "pool_mode = transaction",
    "max_client_conn = 4000",
    `default_pool_size = ${poolSize}`,
    "ignore_startup_parameters = extra_float_digits,options",
    `logfile = ${join(home, "pgbouncer.log")}`,
    `pidfile = ${pidFile}`,
    "",
  ].join("\n");
  const iniFile = join(home, "pgbouncer.ini");
  writeFileSync(iniFile, ini);
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const owner = postgresUid();
    if (!owner) throw new Error("running as root but there is no postgres user to run PgBouncer as");
    chownSync(home, owner.uid, owner.gid);
    chownSync(iniFile, owner.uid, owner.gid);
  }
  // 4,000 clients need more descriptors than the usual soft limit of 1,024.
  const command = `ulimit -n 8192 2>/dev/null || ulimit -n 4096; exec ${PGBOUNCER_BIN} -d ${iniFile}`;
  const res = asRoot ? spawnSync("runuser", ["-u", "postgres", "--", "sh", "-c", command], { encoding: "utf8" }) : spawnSync("sh", ["-c", command], { encoding: "utf8" });
  if (res.status !== 0) throw new Error(`pgbouncer failed to start: ${res.stderr || res.stdout}`);
  let pid = 0;
  for (let i = 0; i < 50 && !pid; i++) {
    if (existsSync(pidFile)) pid = Number(readFileSync(pidFile, "utf8").trim());
    else spawnSync("sleep", ["0.1"]);
  }
  if (!pid) throw new Error(`pgbouncer did not write ${pidFile}; see ${join(home, "pgbouncer.log")}`);
  const pooled = new URL(directUrl);
  pooled.hostname = "127.0.0.1";
  pooled.port = String(port);
  return {
    url: pooled.toString(),
    port,
    pid,
    stop: () => {
      try {
        // SIGTERM: immediate shutdown (SIGINT would wait for clients to leave).
        process.kill(pid, "SIGTERM");
      } catch {
        // already gone
      }
    },
  };
}

/**
 * `node scripts/pgbouncer.ts <direct url> <port> <dir>`: starts PgBouncer
 * daemonised (for .ci/run) and prints the pooled URL; stop it by the PID in
 * `<dir>/pgbouncer.pid`.
 */
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [directUrl, port, dir] = process.argv.slice(2);
  if (!directUrl || !port || !dir) {
    console.error("usage: node scripts/pgbouncer.ts <direct postgres url> <port> <dir>");
    process.exit(2);
  }
  console.log(startPgBouncer(directUrl, Number(port), dir).url);
}
