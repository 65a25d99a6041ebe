/**
 * Samples CPU and memory of the processes a local run depends on, once a
 * second, from /proc: workerd (all Workers and Durable Objects; found as
 * descendants of `npm run serve:bench`), PostgreSQL (the postmaster and its
 * backends) and this load generator. This is how a stress run names the
 * first resource to saturate, and a soak run sees memory growth.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { cpus } from "node:os";

export interface ResourceSample {
  t: number;
  /** CPU in percent of ONE core (200 = both cores of a 2-core machine). */
  cpu: Record<string, number>;
  rssMb: Record<string, number>;
}

const TICK = 100; // USER_HZ on Linux
const PAGE = 4096;

function parents(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

function tree(root: number, children: Map<number, number[]>): number[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i] as number) ?? []));
  return out;
}

function usage(pids: number[]): { ticks: number; rssMb: number } {
  let ticks = 0;
  let pages = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // utime + stime, plus cutime + cstime: children that exited (a Postgres backend per connection) count too.
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      pages += Number(f[21]); // rss
    } catch {
      // exited meanwhile
    }
  }
  return { ticks, rssMb: Math.round((pages * PAGE) / 1048576) };
}

/** Busy and total jiffies of the whole machine (all cores), from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const f = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: total - idle, total };
}

const comm = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
};

/** Starts sampling; `stop()` returns the samples. Roots are PIDs from .tmp/bench/state.json (absent for remote targets). */
export function sampleResources(roots: { serveBench?: number | null; postgres?: number | null; pgbouncer?: number | null }): { stop(): ResourceSample[]; cores: number } {
  const samples: ResourceSample[] = [];
  const groups = (): Record<string, number[]> => {
    const children = parents();
    const g: Record<string, number[]> = { loadgen: [process.pid] };
    if (roots.serveBench && existsSync(`/proc/${roots.serveBench}`)) {
      g.workerd = tree(roots.serveBench, children).filter((p) => comm(p) === "workerd");
      // The serve:bench Node process relays every Postgres byte (the Neon WebSocket proxy).
      g.wsproxy = [roots.serveBench];
    }
    if (roots.postgres && existsSync(`/proc/${roots.postgres}`)) g.postgres = tree(roots.postgres, children);
    if (roots.pgbouncer && existsSync(`/proc/${roots.pgbouncer}`)) g.pgbouncer = [roots.pgbouncer];
    return g;
  };
  const t0 = performance.now();
  let last: { at: number; ticks: Record<string, number>; machine: { busy: number; total: number } } | undefined;
  const cores = cpus().length;
  const tick = (): void => {
    const at = performance.now();
    const cpu: Record<string, number> = {};
    const rssMb: Record<string, number> = {};
    const ticks: Record<string, number> = {};
    const machine = machineTicks();
    for (const [name, pids] of Object.entries(groups())) {
      const u = usage(pids);
      ticks[name] = u.ticks;
      rssMb[name] = u.rssMb;
      if (last?.ticks[name] !== undefined) cpu[name] = Math.round(((u.ticks - (last.ticks[name] ?? 0)) / TICK / ((at - last.at) / 1000)) * 100);
    }
    if (last) {
      // Everything else on the machine, in the same unit (percent of one core): other work skews every figure.
      const busy = ((machine.busy - last.machine.busy) / Math.max(1, machine.total - last.machine.total)) * cores * 100;
      const ours = Object.values(cpu).reduce((a, b) => a + b, 0);
      cpu.other = Math.max(0, Math.round(busy - ours));
      samples.push({ t: Math.round((at - t0) / 100) / 10, cpu, rssMb });
    }
    last = { at, ticks, machine };
  };
  tick();
  const timer = setInterval(tick, 1000);
  timer.unref();
  return {
    cores,
    stop: () => {
      clearInterval(timer);
      return samples;
    },
  };
}
