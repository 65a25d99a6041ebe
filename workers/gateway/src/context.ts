import type { Principal } from "../../../shared/auth.ts";

/** Hono environment of the gateway: bindings plus what middleware learns per request. */
export interface AppEnv {
  Bindings: GatewayEnv;
  Variables: {
    requestId: string;
    principal: Principal | undefined;
  };
}
