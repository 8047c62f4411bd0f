/**
 * The one route table of the management API. The router, the OpenAPI document
 * (scripts/swagger.ts), the scope checks and the tests all read it; a route's path, scopes,
 * schemas and responses are declared once, in `common/`, `legacy/` or `v1/` (route.ts: the type).
 */
import { OPERATOR_ROUTES } from './common/operator.js';
import { SECURITY_ROUTES } from './common/security.js';
import { SESSION_ROUTES } from './common/session.js';
import { LEGACY_ROUTES } from './legacy/index.js';
import type { Route } from './route.js';
import { V1_ROUTES } from './v1/index.js';

// In the order of the OpenAPI document's paths.
export const ROUTES: readonly Route[] = [...OPERATOR_ROUTES, ...LEGACY_ROUTES, ...SECURITY_ROUTES, ...SESSION_ROUTES, ...V1_ROUTES];
