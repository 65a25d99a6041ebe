/**
 * A small, dependency-free flag parser shared by the release scripts, kept
 * pure so its behaviour is unit-tested: `--flag value`, `--flag=value` and
 * boolean `--flag`.
 */

export interface ParsedArgs {
  flags: Record<string, string | true>;
  positionals: string[];
}

/** Parses argv; `booleans` names flags that never take a value. */
export function parseArgs(argv: string[], booleans: readonly string[]): ParsedArgs {
  const flags: Record<string, string | true> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (eq !== -1) flags[name] = arg.slice(eq + 1);
    else if (booleans.includes(name)) flags[name] = true;
    else {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith("--")) throw new Error(`--${name} needs a value`);
      flags[name] = value;
      i++;
    }
  }
  return { flags, positionals };
}

/** A string flag, or undefined when absent. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === "string" ? v : undefined;
}

/** A comma-separated list flag (`--workers users,catalog`). */
export function listFlag(args: ParsedArgs, name: string): string[] | undefined {
  const v = stringFlag(args, name);
  return v === undefined ? undefined : v.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}

/** A non-negative number flag with a default. */
export function numberFlag(args: ParsedArgs, name: string, fallback: number): number {
  const v = stringFlag(args, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got "${v}"`);
  return n;
}

/** Rollout stages: ascending whole percentages in 1..100 ending at 100 (default 10,50,100). */
export function parseStages(value: string | undefined): number[] {
  if (value === undefined) return [10, 50, 100];
  const stages = value.split(",").map((s) => Number(s.trim()));
  if (stages.some((s) => !Number.isInteger(s) || s < 1 || s > 100)) throw new Error(`--stages must be whole percentages between 1 and 100, got "${value}"`);
  if (stages.some((s, i) => i > 0 && s <= stages[i - 1]!)) throw new Error(`--stages must be strictly ascending, got "${value}"`);
  if (stages.at(-1) !== 100) throw new Error(`--stages must end at 100 so the rollout completes, got "${value}"`);
  return stages;
}
