/**
 * Link attach checks (docs/amqp-api.md §2.2, §10): a client's sender link is a request link to
 * `<endpoint>[/<tenant>]`, its receiver link a reply address `<endpoint>[/<tenant>]/<id>`. A link
 * that fails a check is closed with the condition of its RegistryError.
 */
import type { Receiver, Sender } from 'rhea';
import { RegistryError, notFound, toRegistryError } from '../errors.js';
import type { Logger } from '../log.js';
import { isValidId } from '../validation.js';
import type { Clients, ConnectionState } from './clients.js';
import type { Endpoint } from './endpoint.js';
import type { RequestLink } from './request-response.js';
import { ENDPOINTS as ENDPOINT_LIST } from './endpoints/index.js';

const ENDPOINTS: ReadonlyMap<string, Endpoint> = new Map(ENDPOINT_LIST.map((e) => [e.name, e]));

interface Terminus {
  address?: unknown;
}

/** What the peer's attach frame says (rhea keeps it on the link). */
interface RemoteAttach {
  readonly target?: Terminus;
  readonly source?: Terminus;
  readonly snd_settle_mode?: number;
}

const remoteAttach = (link: Receiver | Sender): RemoteAttach => (link as unknown as { remote: { attach: RemoteAttach } }).remote.attach;

/** The endpoint a link address names. METHOD_NOT_ALLOWED without an address, NOT_FOUND for an unknown endpoint. */
function parseAddress(address: unknown): { endpoint: Endpoint; segments: string[] } {
  if (typeof address !== 'string' || address === '') throw new RegistryError('METHOD_NOT_ALLOWED', 'a link address is required');
  const segments = address.split('/');
  const endpoint = ENDPOINTS.get(segments[0] ?? '');
  if (endpoint === undefined) throw notFound(`no such endpoint: ${segments[0]}`);
  return { endpoint, segments };
}

/** Closes a connection or a link with the condition of the error (never a condition spelled here). */
export function closeWith(target: { close(error: { condition: string; description: string }): unknown }, err: RegistryError): void {
  target.close({ condition: err.condition, description: err.publicMessage });
}

/** Refuses an attach with the condition of its error; anything but a RegistryError is INTERNAL, logged. */
export function refuse(link: Receiver | Sender, err: unknown, log: Logger): void {
  if (!(err instanceof RegistryError)) log.error({ err }, 'link attach failed');
  closeWith(link, toRegistryError(err));
}

/**
 * Attaches the client's sender link (§2.2): an at-least-once link to an endpoint, whose target
 * names a valid tenant id where the endpoint needs one, and which the client may WRITE to. Grants `credit`.
 * METHOD_NOT_ALLOWED (anonymous relay), NOT_FOUND, PRECONDITION_FAILED, INVALID_FIELD, FORBIDDEN.
 */
export function attachRequestLink(receiver: Receiver, state: ConnectionState, clients: Clients, credit: number): RequestLink {
  const attach = remoteAttach(receiver);
  if (attach.target?.address === undefined || attach.target.address === null) throw new RegistryError('METHOD_NOT_ALLOWED', 'anonymous relay links are not supported');
  const { endpoint, segments } = parseAddress(attach.target.address);
  if (attach.snd_settle_mode === 1) throw new RegistryError('PRECONDITION_FAILED', 'endpoint requires AT_LEAST_ONCE QoS');
  const tenantId = endpoint.targetSegments === 2 ? segments[1] : undefined;
  if (endpoint.targetSegments === 2 && (tenantId === undefined || !isValidId('TenantId', tenantId) || segments.length > 3)) {
    throw new RegistryError('INVALID_FIELD', `the target must be ${endpoint.name}/<tenant> with a valid tenant id`);
  }
  if (endpoint.targetSegments === 1 && segments.length > 1) throw new RegistryError('INVALID_FIELD', `the target must be ${endpoint.name}`);
  const address = String(attach.target.address);
  if (!state.context.authorities.mayAccess(address, 'WRITE')) throw new RegistryError('FORBIDDEN', `no WRITE permission on ${address}`);
  receiver.set_target({ address });
  if (typeof attach.source?.address === 'string') receiver.set_source({ address: attach.source.address });
  const resource = tenantId === undefined ? endpoint.name : `${endpoint.name}/${tenantId}`;
  const link: RequestLink = { endpoint, tenantId, address, resource, receiver, context: state.context };
  clients.addRequestLink(state, link);
  receiver.add_credit(credit);
  return link;
}

/**
 * Attaches the client's receiver link (§2.2): a reply address under an endpoint, which the client
 * may READ and no other link receives from. NOT_FOUND, INVALID_FIELD, FORBIDDEN, ILLEGAL_STATE.
 */
export function attachReplyLink(sender: Sender, state: ConnectionState, clients: Clients): void {
  const attach = remoteAttach(sender);
  const { endpoint, segments } = parseAddress(attach.source?.address);
  if (segments.length < endpoint.targetSegments + 1 || segments.some((s) => s === '')) {
    throw new RegistryError('INVALID_FIELD', `a reply address needs at least ${endpoint.targetSegments + 1} segments`);
  }
  const address = String(attach.source?.address);
  if (!state.context.authorities.mayAccess(address, 'READ')) throw new RegistryError('FORBIDDEN', `no READ permission on ${address}`);
  clients.addReplyLink(state, sender, address);
  sender.set_source({ address });
  if (typeof attach.target?.address === 'string') sender.set_target({ address: attach.target.address });
}
