/**
 * Builds the AsyncAPI 3.0 document of the AMQP 1.0 APIs (amqp_asyncapi.yaml, `make swagger`)
 * from the endpoints' own operation tables and the JSON Schemas in `schemas/`: the same
 * declarations the server dispatches by, so the document cannot drift from the code.
 */
import { stringify } from 'yaml';
import { componentName, componentSchemas } from '../schema-components.js';
import type { Endpoint, OperationSpec } from './endpoint.js';
import { ENDPOINTS } from './endpoints/index.js';

type Json = Record<string, unknown>;

/** Statuses any operation may answer besides its own: 500 (unexpected) and 503 (Redis unreachable). */
const COMMON_STATUSES = [500, 503];

const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${componentName(name)}` });

/** `device_con` → `deviceCon`: channel ids in camel case, like the other ids of the document. */
const channelId = (endpoint: Endpoint) => endpoint.name.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());

function requestAddress(endpoint: Endpoint): string {
  return endpoint.targetSegments === 2 ? `${endpoint.name}/{tenantId}` : endpoint.name;
}

function requestMessage(endpoint: Endpoint, subject: string, spec: OperationSpec): Json {
  const properties: Json = {
    subject: { const: subject, description: 'AMQP properties: the operation.' },
    message_id: { description: 'AMQP properties: the request id (string, ulong, uuid or binary); needed unless correlation_id is set.' },
    correlation_id: { description: 'AMQP properties: optional; when set, the answer is correlated by it instead of message_id.' },
    reply_to: { type: 'string', description: `AMQP properties: the address of the client's receiver link on the same connection, ${requestAddress(endpoint)}/<reply id>.` },
    content_type: { type: 'string', description: 'AMQP properties: application/json when there is a body.' },
  };
  const required = ['subject', 'reply_to'];
  for (const [name, property] of Object.entries(spec.properties ?? {})) {
    properties[name] = { type: 'string', minLength: 1, description: `Application properties: ${property.description}` };
    if (property.required) required.push(name);
  }
  const message: Json = {
    name: `${endpoint.name}.${subject}.request`,
    title: `${subject} request`,
    summary: spec.summary,
    contentType: 'application/json',
    headers: { type: 'object', properties, required },
  };
  if (spec.body !== undefined) {
    message.payload = schemaRef(spec.body.schema);
    message.description = spec.body.required ? 'A single Data section with this JSON object (required).' : 'An optional single Data section with this JSON object.';
  } else {
    message.description = 'No body is needed (a Data body is ignored; any other body section is rejected with hono:bad-request).';
  }
  return message;
}

function responseMessage(endpoint: Endpoint, subject: string, spec: OperationSpec): Json {
  const statuses = [...spec.statuses, ...COMMON_STATUSES];
  const message: Json = {
    name: `${endpoint.name}.${subject}.response`,
    title: `${subject} response`,
    summary: `The answer to ${subject}: status ${statuses.join(', ')}.`,
    description:
      'Sent on the reply link. Success answers carry the JSON body below (when the operation has one); error answers carry no body in the legacy profile and a text/plain description in the 1.x profile (REGISTRY_HONO_API).',
    headers: {
      type: 'object',
      required: ['correlation_id', 'status'],
      properties: {
        correlation_id: { description: "AMQP properties: the request's correlation_id if set, else its message_id, with the same AMQP type." },
        message_id: { type: 'string', description: 'AMQP properties: a fresh UUID.' },
        content_type: { enum: ['application/json', 'text/plain'], description: 'AMQP properties: the type of the body, when there is one.' },
        status: { type: 'integer', enum: statuses, description: 'Application properties: HTTP-like status, an AMQP int.' },
        tenant_id: { type: 'string', description: 'Application properties: the tenant the answer is about.' },
        ...(endpoint.name === 'tenant' ? {} : { device_id: { type: 'string', description: 'Application properties: the device the answer is about, when known.' } }),
        cache_control: { type: 'string', pattern: '^(no-cache|max-age=[1-9][0-9]*)$', description: 'Application properties: how long an adapter may cache the answer.' },
      },
    },
  };
  if (spec.reply !== undefined) {
    message.contentType = 'application/json';
    message.payload = schemaRef(spec.reply);
  }
  return message;
}

/** Every `$ref` target name under `node`. */
function referenced(node: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => referenced(n, into));
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node as Json)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/')) into.add(value.slice('#/components/schemas/'.length));
      else referenced(value, into);
    }
  }
  return into;
}

/** Only the schemas the messages need, with everything they reference in turn. */
function reachableSchemas(messages: Json): Json {
  const all = componentSchemas((file) => file !== 'amqp-accounts.json');
  const names = referenced(messages, new Set());
  for (const name of names) referenced(all[name], names);
  return Object.fromEntries(Object.entries(all).filter(([name]) => names.has(name)));
}

/** The AsyncAPI document as a plain object. */
export function buildAsyncApi(version: string): Json {
  const channels: Json = {};
  const operations: Json = {};
  const messages: Json = {};
  for (const endpoint of ENDPOINTS) {
    const id = channelId(endpoint);
    const tenantParameter = endpoint.targetSegments === 2 ? { tenantId: { description: 'The tenant the requests are about.' } } : {};
    const requests: Json = {};
    const replies: Json = {};
    for (const [subject, spec] of Object.entries(endpoint.operations)) {
      messages[`${endpoint.name}.${subject}.request`] = requestMessage(endpoint, subject, spec);
      messages[`${endpoint.name}.${subject}.response`] = responseMessage(endpoint, subject, spec);
      requests[subject] = { $ref: `#/components/messages/${endpoint.name}.${subject}.request` };
      replies[subject] = { $ref: `#/components/messages/${endpoint.name}.${subject}.response` };
      operations[`${endpoint.name}.${subject}`] = {
        action: 'receive',
        channel: { $ref: `#/channels/${id}` },
        title: `${endpoint.name} ${subject}`,
        summary: spec.summary,
        ...(spec.deprecated ? { description: 'Deprecated in Hono: an optional management operation; protocol adapters do not use it.', tags: [{ name: 'deprecated' }] } : {}),
        messages: [{ $ref: `#/channels/${id}/messages/${subject}` }],
        reply: {
          address: { location: '$message.header#/reply_to', description: 'The reply_to of the request.' },
          channel: { $ref: `#/channels/${id}Reply` },
          messages: [{ $ref: `#/channels/${id}Reply/messages/${subject}` }],
        },
      };
    }
    channels[id] = {
      address: requestAddress(endpoint),
      title: endpoint.name,
      description: `${endpoint.summary}. The client attaches a sender link to this target; the registry grants REGISTRY_AMQP_CREDIT credits and one more after each answer. Formally invalid requests are rejected with hono:bad-request.`,
      ...(endpoint.targetSegments === 2 ? { parameters: tenantParameter } : {}),
      messages: requests,
    };
    channels[`${id}Reply`] = {
      address: `${requestAddress(endpoint)}/{replyId}`,
      title: `${endpoint.name} replies`,
      description: 'The client attaches a receiver link with this source address before it sends requests naming it as reply_to.',
      parameters: { ...tenantParameter, replyId: { description: 'Any id the client chooses (one link per address).' } },
      messages: replies,
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Device Registry AMQP 1.0 APIs',
      version,
      description:
        'The Eclipse Hono Tenant, Device Registration, Credentials and Device Connection APIs as this registry serves them to protocol adapters (request/response over AMQP 1.0 links). The HTTP management API is described by api_swagger.yaml.',
    },
    defaultContentType: 'application/json',
    servers: {
      amqp: {
        host: 'localhost:5672',
        protocol: 'amqp',
        protocolVersion: '1.0',
        description: 'Plain AMQP 1.0 (REGISTRY_AMQP_PORT): SASL PLAIN against the accounts file (REGISTRY_AMQP_ACCOUNTS_FILE).',
        security: [{ $ref: '#/components/securitySchemes/saslPlain' }],
      },
      amqps: {
        host: 'localhost:5671',
        protocol: 'amqps',
        protocolVersion: '1.0',
        description: 'AMQP 1.0 over TLS (REGISTRY_AMQPS_PORT), when REGISTRY_AMQP_TLS_CERT and REGISTRY_AMQP_TLS_KEY are set.',
        security: [{ $ref: '#/components/securitySchemes/saslPlain' }, { $ref: '#/components/securitySchemes/saslExternal' }],
      },
    },
    channels,
    operations,
    components: {
      schemas: reachableSchemas(messages),
      messages,
      securitySchemes: {
        saslPlain: { type: 'plain', description: 'SASL PLAIN: a user of the AMQP accounts file and its password.' },
        saslExternal: { type: 'X509', description: 'SASL EXTERNAL with a client certificate issued by REGISTRY_AMQP_TLS_CLIENT_CA; the user is its CN.' },
      },
    },
  };
}

/** The document as YAML text, as `make swagger` writes it. */
export function asyncApiYaml(version: string): string {
  return `# Generated by \`make swagger\` from src/amqp/endpoints/ and schemas/. Do not edit.\n${stringify(buildAsyncApi(version), { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
