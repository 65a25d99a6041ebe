import { DomainService } from "../../../shared/service.ts";

/** RPC surface of the catalog Worker. */
export class CatalogService extends DomainService<CatalogEnv> {}

export default CatalogService;
export { StockDO } from "../../../durable/stock-do.ts";
