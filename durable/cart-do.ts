import { DurableObject } from "cloudflare:workers";

/** Placeholder: filled in by its issue. */
export class CartDO extends DurableObject {}
