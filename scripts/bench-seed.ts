/**
 * The realistic catalog `npm run serve:bench` serves: categories and products
 * (3 variants each) created through the public admin API in parallel, so
 * Postgres rows, StockDOs and caches come from production code paths; and
 * customers inserted straight into Postgres with one precomputed password
 * hash, because 1,000 registrations would spend minutes in PBKDF2 and
 * measure nothing the benchmark is about. Re-running skips what exists.
 */
import { users } from "../shared/db/schema/index.ts";
import { newId } from "../shared/ids.ts";
import { hashPassword } from "../shared/password.ts";
import { HttpClient } from "../load/lib/http.ts";
import { withDb } from "./db.ts";

export const BENCH_PASSWORD = "bench-password";
/** Email of bench customer `i` (the load scenarios log in as these). */
export const benchEmail = (i: number): string => `shopper-${String(i).padStart(5, "0")}@bench.edgeshop.local`;

const WORDS = ["oak", "linen", "copper", "wool", "ceramic", "steel", "walnut", "cotton", "glass", "leather", "bamboo", "marble"];
const NOUNS = ["mug", "lamp", "chair", "scarf", "bowl", "kettle", "desk", "blanket", "vase", "bag", "shelf", "clock"];
const SIZES = ["S", "M", "L"];

export interface SeedPlan {
  products: number;
  customers: number;
  categories: number;
  stockPerSku: number;
}

async function runPool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let it = queue.shift(); it !== undefined; it = queue.shift()) await fn(it);
  }));
}

/** Creates `plan.categories` categories and `plan.products` products through the admin API; returns how many were created. */
export async function seedCatalog(base: string, plan: SeedPlan, concurrency = 16): Promise<number> {
  const http = new HttpClient(base, concurrency);
  try {
    const login = await http.request("POST", "/v1/auth/login", { body: { email: process.env.SEED_ADMIN_EMAIL ?? "admin@edgeshop.local", password: process.env.SEED_ADMIN_PASSWORD ?? "admin-password" } });
    const token = (login.json as { token?: string } | undefined)?.token;
    if (!token) throw new Error(`admin login failed: ${login.status} ${login.text}`);
    const categoryIds: string[] = [];
    for (let c = 0; c < plan.categories; c++) {
      const slug = `bench-${NOUNS[c % NOUNS.length]}-${c}`;
      await http.request("POST", "/v1/categories", { token, body: { name: `Bench ${NOUNS[c % NOUNS.length]} ${c}`, slug } });
    }
    const listed = await http.request("GET", "/v1/categories");
    for (const cat of (listed.json as { items: { id: string; slug: string }[] }).items) if (cat.slug.startsWith("bench-")) categoryIds.push(cat.id);
    if (categoryIds.length === 0) throw new Error(`no bench categories: GET /v1/categories -> ${listed.status}`);
    let created = 0;
    const failures = new Map<string, number>();
    await runPool([...Array(plan.products).keys()], concurrency, async (i) => {
      const word = WORDS[i % WORDS.length]!;
      const noun = NOUNS[Math.floor(i / WORDS.length) % NOUNS.length]!;
      const id = String(i).padStart(5, "0");
      const body = {
        title: `${word[0]!.toUpperCase()}${word.slice(1)} ${noun} ${id}`,
        description: `A ${word} ${noun} for the bench catalog, item ${id}. Durable, simple and well made.`,
        categoryId: categoryIds[i % categoryIds.length]!,
        variants: SIZES.map((size, v) => ({ sku: `BENCH-${id}-${size}`, title: size, price: { amount: 900 + ((i * 37 + v * 100) % 9000), currency: "USD" }, initialStock: plan.stockPerSku })),
      };
      const res = await http.request("POST", "/v1/products", { token, body });
      if (res.status === 201) created++;
      else if (res.status !== 409) failures.set(String(res.status), (failures.get(String(res.status)) ?? 0) + 1);
    });
    if (failures.size > 0) console.warn(`product seed failures by status: ${JSON.stringify(Object.fromEntries(failures))}`);
    return created;
  } finally {
    http.close();
  }
}

/** Inserts customers shopper-00000..N-1 (password BENCH_PASSWORD) that do not exist yet. */
export async function seedCustomers(databaseUrl: string, proxy: string | undefined, count: number): Promise<void> {
  const pw = await hashPassword(BENCH_PASSWORD);
  await withDb(databaseUrl, proxy, async (db) => {
    for (let start = 0; start < count; start += 500) {
      const rows = [];
      for (let i = start; i < Math.min(count, start + 500); i++) {
        const now = Date.now();
        rows.push({ id: newId("usr", now), createdAt: new Date(now), updatedAt: new Date(now), email: benchEmail(i), name: `Shopper ${i}`, role: "customer" as const, passwordAlgo: pw.algo, passwordIterations: pw.iterations, passwordSalt: pw.salt, passwordHash: pw.hash });
      }
      await db.insert(users).values(rows).onConflictDoNothing({ target: users.email });
    }
  });
}
