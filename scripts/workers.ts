/** The Workers of edgeshop, in dependency order (a Worker after everything it binds to). */
export interface WorkerInfo {
  /** Short domain name, also the folder under workers/. */
  name: string;
  /** Script name on Cloudflare (wrangler.toml `name`). */
  script: string;
  /** Path of its wrangler config, relative to the repo root. */
  config: string;
  /** Folder holding its .dev.vars(.example). */
  dir: string;
  /** Name of its generated Env interface. */
  envInterface: string;
}

const domain = (name: string): WorkerInfo => ({
  name,
  script: `edgeshop-${name}`,
  config: `workers/${name}/wrangler.toml`,
  dir: `workers/${name}`,
  envInterface: `${name[0]!.toUpperCase()}${name.slice(1)}Env`,
});

export const DOMAIN_WORKERS: WorkerInfo[] = ["users", "catalog", "payments", "shipping", "orders", "favourites", "events"].map(domain);

export const GATEWAY: WorkerInfo = {
  name: "gateway",
  script: "edgeshop-gateway",
  config: "wrangler.toml",
  dir: ".",
  envInterface: "GatewayEnv",
};

/** Every Worker, gateway last (it binds to all the others). */
export const ALL_WORKERS: WorkerInfo[] = [...DOMAIN_WORKERS, GATEWAY];
