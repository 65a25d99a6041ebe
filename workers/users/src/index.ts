import { withSentry } from "@sentry/cloudflare";
import { sentryOptions, sentryWhenConfigured } from "../../../shared/observability.ts";
import { signAccessToken } from "../../../shared/auth.ts";
import { ok, type Result } from "../../../shared/errors.ts";
import type { Page } from "../../../shared/pagination.ts";
import type { Address, AddressInput, AddressPatch, LoginInput, RegisterInput, UpdateMeInput, User } from "../../../shared/schemas/users.ts";
import { DomainService } from "../../../shared/service.ts";
import { login, register } from "./accounts.ts";
import { addAddress, deleteAddress, getUser, listAddresses, listUsers, saveAddress, updateAddress, updateProfile } from "./profiles.ts";

export interface AuthResult {
  user: User;
  token: string;
}

/** RPC surface of the users Worker. Inputs arrive already validated by the gateway. */
class UsersServiceBase extends DomainService<UsersEnv> {
  protected static override readonly worker = "users";
  async register(input: RegisterInput): Promise<Result<AuthResult>> {
    const created = await register(this.db(), input);
    if (!created.ok) return created;
    return ok({ user: created.value, token: await this.issue(created.value) });
  }

  async login(input: LoginInput): Promise<Result<AuthResult>> {
    const found = await login(this.db(), input);
    if (!found.ok) return found;
    return ok({ user: found.value, token: await this.issue(found.value) });
  }

  async getUser(id: string): Promise<Result<User>> {
    return getUser(this.db(), id);
  }

  async updateProfile(id: string, input: UpdateMeInput): Promise<Result<User>> {
    return updateProfile(this.db(), id, input);
  }

  async listUsers(limit: number, cursor?: string, email?: string): Promise<Result<Page<User>>> {
    return listUsers(this.db(), limit, cursor, email);
  }

  /** `listUsers` by email, under a name the previous release lacks: a rollout answers 503, never the whole list. */
  async listUsersByEmail(limit: number, cursor: string | undefined, email: string): Promise<Result<Page<User>>> {
    return this.listUsers(limit, cursor, email);
  }

  async listAddresses(userId: string): Promise<Address[]> {
    return listAddresses(this.db(), userId);
  }

  /** The previous release's gateway's call (no limit): kept while a gateway of that release may run. */
  async addAddress(userId: string, input: AddressInput): Promise<Address> {
    return addAddress(this.db(), userId, input);
  }

  async saveAddress(userId: string, input: AddressInput): Promise<Result<Address>> {
    return saveAddress(this.db(), userId, input);
  }

  async updateAddress(userId: string, id: string, patch: AddressPatch): Promise<Result<Address>> {
    return updateAddress(this.db(), userId, id, patch);
  }

  async deleteAddress(userId: string, id: string): Promise<Result<null>> {
    return deleteAddress(this.db(), userId, id);
  }

  private issue(user: User): Promise<string> {
    return signAccessToken({ userId: user.id, role: user.role }, this.env);
  }
}

/** Instrumented with Sentry: a thrown error (a bug, never an expected failure) is reported. */
export const UsersService = sentryWhenConfigured(UsersServiceBase, withSentry((env: UsersEnv) => sentryOptions(env), UsersServiceBase));
export default UsersService;
