/**
 * A throwaway PostgreSQL 15 cluster on loopback for `npm run serve:bench`:
 * the benchmark target must use a real PostgreSQL, not PGlite (one session,
 * WASM), or the database would be the bottleneck of every figure.
 * initdb refuses to run as root, so the binaries run as `postgres` via runuser
 * when we are root (as .ci/run does).
 */
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";

export const PG_BIN = process.env.PG_BIN ?? "/usr/lib/postgresql/15/bin";

export interface BenchPostgres {
  url: string;
  /** PID of the postmaster, for resource sampling. */
  pid: number;
  dataDir: string;
  stop(): void;
}

function run(bin: string, args: string[], asPostgres: boolean): void {
  const cmd = asPostgres ? "runuser" : join(PG_BIN, bin);
  const argv = asPostgres ? ["-u", "postgres", "--", join(PG_BIN, bin), ...args] : args;
  const res = spawnSync(cmd, argv, { encoding: "utf8" });
  if (res.status !== 0) throw new Error(`${bin} ${args.join(" ")} failed: ${res.stderr || res.stdout}`);
}

/** The uid/gid of the `postgres` user, which runs PostgreSQL (and PgBouncer) when we are root. */
export function postgresUid(): { uid: number; gid: number } | undefined {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * Starts (initialising on first use) a cluster in `dir` on 127.0.0.1:`port`
 * and creates the `edgeshop` database. The data survives restarts, so a
 * seeded catalog is reused by the next `serve:bench`.
 */
export function startBenchPostgres(dir: string, port: number): BenchPostgres {
  if (!existsSync(join(PG_BIN, "initdb"))) {
    throw new Error(`PostgreSQL binaries not found in ${PG_BIN} (apt-get install postgresql-15, or set DATABASE_URL)`);
  }
  const asPostgres = userInfo().uid === 0;
  const dataDir = join(dir, "data");
  mkdirSync(dir, { recursive: true });
  const owner = asPostgres ? postgresUid() : undefined;
  if (asPostgres && !owner) throw new Error("running as root but there is no postgres user to run PostgreSQL as");
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const fresh = !existsSync(join(dataDir, "PG_VERSION"));
  // UTF-8 with Unicode case rules (search folds É to é), whatever locale the shell has.
  if (fresh) run("initdb", ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"], asPostgres);
  // fsync off: a benchmark cluster is disposable; synchronous_commit stays on so commit latency is still real work.
  // Autovacuum runs are logged (checkpoints are by default) so a latency stall can be matched with them in <dir>/log.
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c max_connections=400 -c fsync=off -c shared_buffers=256MB -c log_autovacuum_min_duration=0`;
  run("pg_ctl", ["-D", dataDir, "-l", join(dir, "log"), "-w", "-o", opts, "start"], asPostgres);
  if (fresh) run("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "edgeshop"], asPostgres);
  const pid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/edgeshop`,
    pid,
    dataDir,
    stop: () => {
      try {
        run("pg_ctl", ["-D", dataDir, "-m", "fast", "stop"], asPostgres);
      } catch {
        // pg_ctl failed: end the postmaster by its PID so nothing is left running.
        try {
          process.kill(pid, "SIGINT");
        } catch {
          // already gone
        }
      }
    },
  };
}

/**
 * Runs pgbench (TPC-B-like, `clients` clients, `seconds` s) in a separate
 * `pgbench` database of the same cluster and returns its TPS, so figures from
 * different machines can be compared against what PostgreSQL alone does here.
 */
export function runPgbench(port: number, clients: number, seconds: number): number {
  const asPostgres = userInfo().uid === 0;
  const conn = ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres"];
  spawnSync(asPostgres ? "runuser" : join(PG_BIN, "createdb"), asPostgres ? ["-u", "postgres", "--", join(PG_BIN, "createdb"), ...conn, "pgbench"] : [...conn, "pgbench"]);
  run("pgbench", [...conn, "-i", "-q", "-s", "10", "pgbench"], asPostgres);
  const args = [...conn, "-c", String(clients), "-j", "2", "-T", String(seconds), "-M", "prepared", "pgbench"];
  const res = asPostgres ? spawnSync("runuser", ["-u", "postgres", "--", join(PG_BIN, "pgbench"), ...args], { encoding: "utf8" }) : spawnSync(join(PG_BIN, "pgbench"), args, { encoding: "utf8" });
  const m = /tps = ([\d.]+)/.exec(res.stdout ?? "");
  if (!m?.[1]) throw new Error(`pgbench failed: ${res.stderr}`);
  return Number(m[1]);
}
