/**
 * Running wrangler (through npx) with progress output. Every command is
 * echoed before it runs; long ones stream their output so a rollout is never
 * silent for minutes.
 */
import { spawn } from "node:child_process";
import { formatArgv, type Argv } from "./wrangler.ts";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

const started = Date.now();

/** Progress line with elapsed time, on stderr so JSON output on stdout stays clean. */
export function say(message: string): void {
  const s = Math.round((Date.now() - started) / 1000);
  process.stderr.write(`[${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}] ${message}\n`);
}

/**
 * Runs `npx <argv>` (or `<bin> <argv>`); `stream` copies its output to the
 * terminal as it comes. EDGESHOP_FAKE_WRANGLER (a script path) replaces
 * wrangler, which is how the rollout is rehearsed offline in tests.
 */
export function run(argv: Argv, opts: { stream?: boolean; bin?: string } = {}): Promise<RunResult> {
  const bin = opts.bin ?? "npx";
  say(`$ ${formatArgv(argv, bin)}`);
  const fake = process.env.EDGESHOP_FAKE_WRANGLER;
  const [cmd, args] = fake && bin === "npx" && argv[0] === "wrangler" ? [process.execPath, [fake, ...argv.slice(1)]] : [bin, argv];
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
      if (opts.stream) process.stderr.write(d);
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
      if (opts.stream) process.stderr.write(d);
    });
    child.on("error", (e) => resolve({ code: 127, stdout, stderr: `${stderr}${e.message}` }));
    child.on("exit", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Runs a command that must succeed, returning its stdout. */
export async function runOrThrow(argv: Argv, opts: { stream?: boolean } = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.code !== 0) throw new Error(`${formatArgv(argv)} exited ${r.code}\n${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** Runs a `--json` command and parses its stdout (wrangler may print a banner before the JSON). */
export async function runJson(argv: Argv): Promise<unknown> {
  const out = await runOrThrow(argv);
  const start = out.search(/^[[{]/m);
  if (start === -1) throw new Error(`${formatArgv(argv)} printed no JSON`);
  return JSON.parse(out.slice(start));
}

/** The real path talks to Cloudflare: it needs an API token, and says so instead of prompting for a login. */
export function requireToken(): void {
  if (!process.env.CLOUDFLARE_API_TOKEN) {
    throw new Error("CLOUDFLARE_API_TOKEN is not set: the real path calls the Cloudflare API (use --dry-run to see the plan offline)");
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
