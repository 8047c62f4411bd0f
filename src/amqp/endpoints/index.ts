/**
 * The AMQP API endpoints, in the order the documents list them. The server routes links by their
 * names; amqp_asyncapi.yaml is generated from their operation tables.
 */
import type { Endpoint } from '../endpoint.js';
import { credentialsEndpoint } from './credentials.js';
import { deviceConnectionEndpoint } from './device-connection.js';
import { registrationEndpoint } from './registration.js';
import { tenantEndpoint } from './tenant.js';

export const ENDPOINTS: readonly Endpoint[] = [tenantEndpoint, registrationEndpoint, credentialsEndpoint, deviceConnectionEndpoint];
