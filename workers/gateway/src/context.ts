import type { Principal } from "../../../shared/auth.ts";

/** Hono environment of the gateway: bindings plus what middleware learns per request. */
export interface AppEnv {
  Bindings: GatewayEnv;
  Variables: {
    requestId: string;
    /** W3C trace id of this request (continued from `traceparent` or new). */
    traceId: string;
    principal: Principal | undefined;
  };
}
