/**
 * The load kit's smoke run as a rollout gate, when the kit offers one:
 * `npm run load -- browse --profile smoke --target <url> --allow-remote`.
 * `browse` is the read-only scenario (anonymous listing and product pages),
 * so it is safe against production; the kit refuses non-loopback targets
 * without --allow-remote. A missing kit is a skipped gate, never a pass.
 */
import { existsSync, readFileSync } from "node:fs";
import { run } from "./exec.ts";
import type { SmokeResult } from "./gates.ts";

/** Why the smoke gate cannot run, or undefined when `npm run load` exists and accepts --target. */
export function smokeUnavailable(): string | undefined {
  const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { scripts?: Record<string, string> };
  if (!pkg.scripts?.load) return "package.json has no `load` script";
  if (!existsSync("load/cli.ts")) return "load/cli.ts does not exist";
  return readFileSync("load/cli.ts", "utf8").includes("--target") ? undefined : "the load kit has no --target option";
}

/** The npm arguments of the smoke run against a target URL. */
export function smokeArgv(url: string): string[] {
  return ["run", "load", "--", "browse", "--profile", "smoke", "--target", url, "--allow-remote"];
}

/** Runs the smoke profile against `url`; exit 1 (broken SLO or invariant) or 2 (setup error) fails the gate. */
export async function runSmoke(url: string, skip: boolean): Promise<SmokeResult> {
  if (skip) return { kind: "skipped", note: "--skip-smoke" };
  const missing = smokeUnavailable();
  if (missing) return { kind: "skipped", note: missing };
  const r = await run(smokeArgv(url), { stream: true, bin: "npm" });
  if (r.code === 0) return { kind: "passed" };
  // the kit names each broken SLO or invariant on its last lines; npm's own warnings are noise
  const lines = `${r.stdout}\n${r.stderr}`.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("npm warn") && !l.startsWith(">"));
  return { kind: "failed", detail: `load smoke exited ${r.code}: ${(lines.at(-1) ?? "no output").slice(0, 160)}` };
}
