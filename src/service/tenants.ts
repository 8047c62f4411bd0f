/**
 * Tenant management (docs/amqp-api.md §3.3, §7.4, §7.5).
 */
import { badRequest, notFound } from '../errors.js';
import type { JsonObject } from '../model/credentials.js';
import { prepareTenant, registrationLimits, type PreparedTenant, type RegistrationLimits } from '../model/tenant.js';
import type { TenantStore } from '../store/store.js';
import { validate } from '../validation.js';
import { asObject, rejectProblems, requireSameId } from './body.js';

export interface TenantService {
  /** Adds a tenant; returns its id. BAD_REQUEST, CONFLICT (id or CA subject DN taken). */
  create(body: unknown): Promise<string>;
  /** The stored tenant as JSON text. NOT_FOUND. */
  get(tenantId: string): Promise<string>;
  /** Replaces a tenant. BAD_REQUEST, NOT_FOUND, CONFLICT (CA subject DN taken). */
  update(tenantId: string, body: unknown): Promise<void>;
  /** Removes a tenant with its devices and credentials. NOT_FOUND. */
  remove(tenantId: string): Promise<void>;
  /**
   * The tenant's registration limits (Hono: `max-devices`, `max-credentials-per-device`; -1 is no
   * limit), for the writes that must refuse with 403 beyond them. NOT_FOUND.
   */
  registrationLimits(tenantId: string): Promise<RegistrationLimits>;
}

/** Validates a tenant body and shapes the tenant to store with its CA DN keys. BAD_REQUEST. */
export function checkTenant(body: unknown, tenantId: string): PreparedTenant {
  const input = asObject(body, 'the tenant');
  validate('tenant', input);
  const { problems, prepared } = prepareTenant(input, tenantId);
  rejectProblems(problems);
  return prepared;
}

export function createTenantService(store: TenantStore): TenantService {
  const prepare = checkTenant;
  const stored = async (tenantId: string): Promise<string> => {
    const json = await store.getTenant(tenantId);
    if (json === null) throw notFound(`tenant "${tenantId}" not found`);
    return json;
  };

  return {
    async create(body) {
      const id = asObject(body, 'the tenant')['tenant-id'];
      if (id === undefined) throw badRequest('missing required property "tenant-id"');
      validate('tenant', body);
      const { tenant, caKeys, ...indexes } = prepare(body, id as string);
      await store.createTenant(id as string, JSON.stringify(tenant), caKeys, indexes);
      return id as string;
    },
    get: stored,
    async update(tenantId, body) {
      requireSameId(asObject(body, 'the tenant'), 'tenant-id', tenantId);
      const { tenant, caKeys, ...indexes } = prepare(body, tenantId);
      await store.updateTenant(tenantId, JSON.stringify(tenant), caKeys, indexes);
    },
    remove: (tenantId) => store.deleteTenant(tenantId),
    registrationLimits: async (tenantId) => registrationLimits(JSON.parse(await stored(tenantId)) as JsonObject),
  };
}
