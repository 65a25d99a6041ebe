import type { Principal } from "../../../shared/auth.ts";
import type { BodyProblem } from "./middleware/reject-unstorable-text.ts";

/** Hono environment of the gateway: bindings plus what middleware learns per request. */
export interface AppEnv {
  Bindings: GatewayEnv;
  Variables: {
    requestId: string;
    /** W3C trace id of this request (continued from `traceparent` or new). */
    traceId: string;
    principal: Principal | undefined;
    /** Set when the JSON body held text that cannot be stored (reject-unstorable-text.ts). */
    bodyProblem: BodyProblem | undefined;
  };
}
