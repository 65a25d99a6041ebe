import { withSentry } from "@sentry/cloudflare";
import { sentryOptions, sentryWhenConfigured } from "../../../shared/observability.ts";
import type { Result } from "../../../shared/errors.ts";
import type { Favourite } from "../../../shared/schemas/favourites.ts";
import { DomainService } from "../../../shared/service.ts";
import { addFavourite, listFavourites, removeFavourite, type ProductSummaries } from "./favourites.ts";

/**
 * Existing (non-deleted) products among `ids`, straight from the catalog
 * Worker. A module function, not a method: DomainService wraps every method
 * of the class as an async RPC call.
 */
function summariesFrom(env: FavouritesEnv): ProductSummaries {
  return (ids) => env.CATALOG.getProductSummaries(ids);
}

/** RPC surface of the favourites Worker. Inputs arrive already validated by the gateway. */
class FavouritesServiceBase extends DomainService<FavouritesEnv> {
  protected static override readonly worker = "favourites";
  async list(userId: string): Promise<Favourite[]> {
    return listFavourites(this.db(), summariesFrom(this.env), userId);
  }

  async add(userId: string, productId: string): Promise<Result<null>> {
    return addFavourite(this.db(), summariesFrom(this.env), userId, productId);
  }

  async remove(userId: string, productId: string): Promise<Result<null>> {
    return removeFavourite(this.db(), userId, productId);
  }
}

/** Instrumented with Sentry: a thrown error (a bug, never an expected failure) is reported. */
export const FavouritesService = sentryWhenConfigured(FavouritesServiceBase, withSentry((env: FavouritesEnv) => sentryOptions(env), FavouritesServiceBase));
export default FavouritesService;
