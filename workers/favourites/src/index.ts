import { DomainService } from "../../../shared/service.ts";

/** RPC surface of the favourites Worker. */
export class FavouritesService extends DomainService<FavouritesEnv> {}

export default FavouritesService;
