import { DomainService } from "../../../shared/service.ts";

/** RPC surface of the shipping Worker. */
export class ShippingService extends DomainService<ShippingEnv> {}

export default ShippingService;
