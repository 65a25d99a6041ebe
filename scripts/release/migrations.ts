/**
 * Durable Object migration detection. A version that adds a `[[migrations]]`
 * tag cannot ship through `wrangler versions upload` (Cloudflare applies DO
 * migrations only with a full deploy), so the rollout compares the config's
 * migration tags with the ones in the last release tag's config and refuses
 * new ones. Parses the small TOML subset our configs use, so it stays pure.
 */

export interface DoMigration {
  tag: string;
  /** Directive keys present: new_sqlite_classes, renamed_classes, deleted_classes, ... */
  kinds: string[];
}

/** Directives that lose or move data: they need an explicit --allow-destructive. */
export const DESTRUCTIVE_KINDS = ["deleted_classes", "renamed_classes", "transferred_classes"];

const TABLE_HEADER = /^\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/;
const KEY_VALUE = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/;

/**
 * The `[[migrations]]` entries of a wrangler.toml: the top-level list, or the
 * `[[env.<env>.migrations]]` list when that environment declares its own
 * (migrations are inheritable, so an env without its own list uses the top).
 */
export function extractMigrations(toml: string, env?: string): DoMigration[] {
  const lists = new Map<string, DoMigration[]>();
  let current: DoMigration | undefined;
  // keys of a [[migrations.x]] sub-table (from, to, ...) are not directives
  let inSubTable = false;
  for (const raw of toml.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const header = line.match(TABLE_HEADER);
    if (header && line.startsWith("[")) {
      const path = header[1]!;
      const owner = path.match(/^(env\.[^.]+\.)?migrations$/);
      const sub = path.match(/^(env\.[^.]+\.)?migrations\.([a-z_]+)$/);
      inSubTable = Boolean(sub);
      if (owner && line.startsWith("[[")) {
        const scope = owner[1] ?? "";
        current = { tag: "", kinds: [] };
        lists.set(scope, [...(lists.get(scope) ?? []), current]);
      } else if (sub && current) {
        // [[migrations.renamed_classes]] belongs to the migration above it
        if (!current.kinds.includes(sub[2]!)) current.kinds.push(sub[2]!);
      } else current = undefined;
      continue;
    }
    const kv = line.match(KEY_VALUE);
    if (!kv || !current || inSubTable) continue;
    if (kv[1] === "tag") current.tag = kv[2]!.replace(/#.*$/, "").trim().replace(/^["']|["']$/g, "");
    else if (!current.kinds.includes(kv[1]!)) current.kinds.push(kv[1]!);
  }
  const envList = env ? lists.get(`env.${env}.`) : undefined;
  return envList ?? lists.get("") ?? [];
}

/** Migrations present in `current` whose tag the `previous` config did not have. */
export function newMigrations(current: DoMigration[], previous: DoMigration[]): DoMigration[] {
  const known = new Set(previous.map((m) => m.tag));
  return current.filter((m) => !known.has(m.tag));
}

/** Why a set of new migrations is dangerous, or an empty list when all are additive. */
export function destructiveReasons(migrations: DoMigration[]): string[] {
  return migrations.flatMap((m) =>
    m.kinds.filter((k) => DESTRUCTIVE_KINDS.includes(k)).map((k) => `migration ${m.tag} has ${k}: data is moved or deleted and rollback is blocked`),
  );
}
