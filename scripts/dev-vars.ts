/**
 * Keeps each Worker's `.dev.vars` (gitignored local secrets) in place: copied
 * from the committed `.dev.vars.example` when missing, with the database
 * lines pointed at the database this run actually uses.
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ALL_WORKERS } from "./workers.ts";

export function prepareDevVars(overrides: Record<string, string>): void {
  for (const worker of ALL_WORKERS) {
    const example = join(worker.dir, ".dev.vars.example");
    const target = join(worker.dir, ".dev.vars");
    if (!existsSync(example)) continue;
    if (!existsSync(target)) copyFileSync(example, target);
    let text = readFileSync(target, "utf8");
    for (const [key, value] of Object.entries(overrides)) {
      const line = `${key}=${value}`;
      const re = new RegExp(`^${key}=.*$`, "m");
      if (re.test(text)) text = text.replace(re, line);
      else if (readFileSync(example, "utf8").match(re)) text += `\n${line}\n`;
    }
    writeFileSync(target, text);
  }
}
