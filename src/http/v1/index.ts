/**
 * Hono's `/v1` management API (docs/management-v1.md): mounted like the legacy routes, documented
 * in the same OpenAPI document, checked by the same scopes.
 */
import type { Route } from '../route.js';
import { CREDENTIALS_V1_ROUTES } from './credentials.js';
import { DEVICE_BULK_ROUTES, DEVICE_V1_ROUTES } from './devices.js';
import { TENANT_V1_ROUTES } from './tenants.js';

export const V1_ROUTES: readonly Route[] = [...TENANT_V1_ROUTES, ...DEVICE_V1_ROUTES, ...DEVICE_BULK_ROUTES, ...CREDENTIALS_V1_ROUTES];
