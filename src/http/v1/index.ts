/**
 * Hono's `/v1` management API (hono-management-v1.md): mounted like the legacy routes, documented
 * in the same OpenAPI document, checked by the same scopes. None yet.
 */
import type { Route } from '../route.js';

export const V1_ROUTES: readonly Route[] = [];
