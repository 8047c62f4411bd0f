/**
 * The management API of Hono's legacy device registry (docs/amqp-api.md §7): `/tenant`,
 * `/registration`, `/credentials`, and this registry's `/denied-devices`.
 */
import type { Route } from '../route.js';
import { CREDENTIALS_ROUTES } from './credentials.js';
import { DENIED_DEVICE_ROUTES } from './denied-devices.js';
import { REGISTRATION_ROUTES } from './registrations.js';
import { TENANT_ROUTES } from './tenants.js';

export const LEGACY_ROUTES: readonly Route[] = [...TENANT_ROUTES, ...REGISTRATION_ROUTES, ...CREDENTIALS_ROUTES, ...DENIED_DEVICE_ROUTES];
