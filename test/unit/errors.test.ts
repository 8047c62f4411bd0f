/**
 * The one error table (src/errors.ts): every code carries an HTTP and AMQP status and an AMQP
 * condition. The AMQP face sends a condition only as the condition of a RegistryError (rejected
 * deliveries, refused links, closed and aborted connections), so these rows are the conditions on the wire;
 * the AMQP integration suites assert them per situation.
 */
import { expect } from 'chai';
import { ERROR_TABLE, RegistryError, toRegistryError, type ErrorCode } from '../../src/errors.js';
import { buildOpenApi } from '../../src/http/openapi.js';

/** The error conditions of the AMQP 1.0 specification (part 2.8.15, 2.8.16, 2.8.17), and Hono's own. */
const SPECIFIED = new Set([
  'amqp:internal-error', 'amqp:not-found', 'amqp:unauthorized-access', 'amqp:decode-error', 'amqp:resource-limit-exceeded',
  'amqp:not-allowed', 'amqp:invalid-field', 'amqp:not-implemented', 'amqp:resource-locked', 'amqp:precondition-failed',
  'amqp:resource-deleted', 'amqp:illegal-state', 'amqp:frame-size-too-small',
  'amqp:connection:forced', 'amqp:connection:framing-error', 'amqp:connection:redirect',
  'amqp:session:window-violation', 'amqp:session:errant-link', 'amqp:session:handle-in-use', 'amqp:session:unattached-handle',
  'amqp:link:detach-forced', 'amqp:link:transfer-limit-exceeded', 'amqp:link:message-size-exceeded', 'amqp:link:redirect', 'amqp:link:stolen',
  'hono:bad-request',
]);

/** What the AMQP face refuses, with the code it uses and the condition Hono's clients expect (docs/amqp-api.md §2.2 – §2.5, §10). */
const AMQP_REFUSALS: readonly [string, ErrorCode, string][] = [
  ['a formally invalid request (§2.5)', 'BAD_REQUEST', 'hono:bad-request'],
  ['a request whose reply-to has no link on its connection (§2.3)', 'ILLEGAL_STATE', 'amqp:illegal-state'],
  ['a reply address already in use (§2.2)', 'ILLEGAL_STATE', 'amqp:illegal-state'],
  ['a link to an unknown endpoint (§2.2)', 'NOT_FOUND', 'amqp:not-found'],
  ['a link without an address, or an anonymous relay', 'METHOD_NOT_ALLOWED', 'amqp:not-allowed'],
  ['a link address of the wrong shape (§2.2)', 'INVALID_FIELD', 'amqp:invalid-field'],
  ['a sender link that settles before delivery (AT_MOST_ONCE)', 'PRECONDITION_FAILED', 'amqp:precondition-failed'],
  ['a link without READ or WRITE permission (§10)', 'FORBIDDEN', 'amqp:unauthorized-access'],
  ['a connection without an account, a link on an unauthenticated one', 'UNAUTHORIZED', 'amqp:unauthorized-access'],
  ['a link past REGISTRY_AMQP_MAX_LINKS_PER_CONNECTION', 'TOO_MANY_REQUESTS', 'amqp:resource-limit-exceeded'],
  ['a frame above max-frame-size, or a session above channel-max (§2.7.1)', 'FRAMING_ERROR', 'amqp:connection:framing-error'],
  ['a second session on one channel', 'ILLEGAL_STATE', 'amqp:illegal-state'],
  ['a delivery beyond max-message-size (§2.7.3)', 'RESOURCE_LIMIT_EXCEEDED', 'amqp:resource-limit-exceeded'],
  ['anything unexpected', 'INTERNAL', 'amqp:internal-error'],
];

describe('error table (src/errors.ts)', function () {
  it('gives every code a status from 400 to 599 and a condition the AMQP specification or Hono defines', function () {
    for (const [code, row] of Object.entries(ERROR_TABLE)) {
      expect(row.status, code).to.be.within(400, 599);
      expect(SPECIFIED.has(row.condition), `${code}: ${row.condition}`).to.equal(true);
      expect(row.expose, code).to.equal(row.status < 500);
    }
  });

  for (const [situation, code, condition] of AMQP_REFUSALS) {
    it(`refuses ${situation} with ${condition} (${code})`, function () {
      const err = new RegistryError(code, situation);
      expect(err.condition).to.equal(condition);
      expect(err.status).to.equal(ERROR_TABLE[code].status);
    });
  }

  it('turns anything that is not a RegistryError into INTERNAL, keeping the cause and hiding the message', function () {
    const cause = new TypeError('x is undefined');
    const err = toRegistryError(cause);
    expect([err.code, err.condition, err.cause, err.publicMessage]).to.deep.equal(['INTERNAL', 'amqp:internal-error', cause, 'internal server error']);
  });

  it('lists the codes an HTTP answer can carry in the OpenAPI document, not the AMQP-only ones', function () {
    const listed = buildOpenApi('0.0.0')['x-error-codes'] as Record<string, number>;
    const http = Object.entries(ERROR_TABLE).filter(([, row]) => row.amqpOnly !== true);
    expect(listed).to.deep.equal(Object.fromEntries(http.map(([code, row]) => [code, row.status])));
    expect(Object.keys(listed)).to.not.include.any.members(['INVALID_FIELD', 'ILLEGAL_STATE', 'FRAMING_ERROR', 'RESOURCE_LIMIT_EXCEEDED']);
  });
});
