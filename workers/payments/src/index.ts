import { DomainService } from "../../../shared/service.ts";

/** RPC surface of the payments Worker. */
export class PaymentsService extends DomainService<PaymentsEnv> {}

export default PaymentsService;
