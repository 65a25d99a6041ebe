/**
 * Seeds the demo catalog through the public admin API, so products, Postgres
 * rows and StockDO counters are created by the same code paths as in
 * production. Idempotent: existing slugs (409 SLUG_TAKEN) and SKUs
 * (409 SKU_TAKEN) are left alone.
 */
import { DEMO_CATALOG } from "./seed-data.ts";

interface Category {
  id: string;
  slug: string;
}

async function call(base: string, path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/json");
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  return fetch(`${base}${path}`, { ...init, headers });
}

export async function adminToken(base: string): Promise<string> {
  const res = await call(base, "/v1/auth/login", {
    method: "POST",
    body: JSON.stringify({ email: process.env.SEED_ADMIN_EMAIL ?? "admin@edgeshop.local", password: process.env.SEED_ADMIN_PASSWORD ?? "admin-password" }),
  });
  if (res.status === 401) {
    // The seed only creates the admin: one kept in .data keeps the password it was created with.
    throw new Error(
      "admin login failed (401): the admin in .data was created with another password. SEED_ADMIN_EMAIL / SEED_ADMIN_PASSWORD " +
        "apply when the admin is first created: start with the values it was created with, or run `rm -rf .data` to start from scratch.",
    );
  }
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { token: string };
  return body.token;
}

/** Creates the demo categories and products that are missing; returns how many products it created. */
export async function seedCatalogThroughApi(base: string): Promise<number> {
  const token = await adminToken(base);
  const listed = await call(base, "/v1/categories");
  if (listed.status !== 200) {
    console.warn(`catalog seed skipped: GET /v1/categories answered ${listed.status}`);
    return 0;
  }
  const existing = ((await listed.json()) as { items: Category[] }).items;
  const bySlug = new Map(existing.map((c) => [c.slug, c.id]));
  let created = 0;
  for (const category of DEMO_CATALOG) {
    if (!bySlug.has(category.slug)) {
      const res = await call(base, "/v1/categories", { method: "POST", token, body: JSON.stringify({ name: category.name, slug: category.slug }) });
      if (res.status === 201) bySlug.set(category.slug, ((await res.json()) as Category).id);
    }
    const categoryId = bySlug.get(category.slug);
    if (!categoryId) continue;
    for (const product of category.products) {
      const res = await call(base, "/v1/products", { method: "POST", token, body: JSON.stringify({ ...product, categoryId }) });
      if (res.status === 201) created++;
      else if (res.status !== 409) console.warn(`seed product ${product.title}: ${res.status} ${await res.text()}`);
    }
  }
  if (created > 0) console.log(`seeded ${created} demo products`);
  return created;
}
