/**
 * The one route table (src/http/routes.ts) is the concatenation of the routes of `common/`,
 * `legacy/` and `v1/`: what the router mounts, the OpenAPI document lists and the scope checks
 * read. A route added to any of them must not collide with another.
 */
import { expect } from 'chai';
import { OPERATOR_ROUTES } from '../../src/http/common/operator.js';
import { SECURITY_ROUTES } from '../../src/http/common/security.js';
import { SESSION_ROUTES } from '../../src/http/common/session.js';
import { LEGACY_ROUTES } from '../../src/http/legacy/index.js';
import { ROUTES } from '../../src/http/routes.js';
import { V1_ROUTES } from '../../src/http/v1/index.js';

describe('route table (src/http/routes.ts)', function () {
  it('holds every route of common/, legacy/ and v1/, and nothing else', function () {
    const parts = [...OPERATOR_ROUTES, ...LEGACY_ROUTES, ...SECURITY_ROUTES, ...SESSION_ROUTES, ...V1_ROUTES];
    expect(ROUTES.length).to.equal(parts.length);
    expect(new Set(ROUTES)).to.deep.equal(new Set(parts));
  });

  it('has each method and path, and each operationId, once', function () {
    const keys = ROUTES.map((r) => `${r.method} ${r.path.replace(/\{\w+\}/g, '{}')}`);
    expect(new Set(keys).size, keys.join('\n')).to.equal(keys.length);
    const ids = ROUTES.map((r) => r.operationId);
    expect(new Set(ids).size, ids.join(', ')).to.equal(ids.length);
  });

  it('keeps the legacy resources under legacy/ and the registry\'s own routes under common/', function () {
    expect(LEGACY_ROUTES.every((r) => /^\/(tenant|registration|credentials|denied-devices)(\/|$)/.test(r.path))).to.equal(true);
    expect([...OPERATOR_ROUTES, ...SECURITY_ROUTES, ...SESSION_ROUTES].every((r) => !/^\/(tenant|registration|credentials|denied-devices|v1)(\/|$)/.test(r.path))).to.equal(true);
    expect(V1_ROUTES.every((r) => r.path.startsWith('/v1/'))).to.equal(true);
  });
});
