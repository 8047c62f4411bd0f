/**
 * The scope matrix of the management API (docs/security.md "Scopes", "Errors"), generated
 * from the route table: for every route, a missing token, a malformed header, a token lacking one
 * of the route's scopes, a token of another tenant, and a token with exactly the route's scopes and
 * tenant. Tokens are minted through `POST /tokens` with the bootstrap token.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { isPublic } from '../../../src/http/route.js';
import { SCOPES, type Scope } from '../../../src/model/tokens.js';
import { http, type HttpResult, type TestRegistry } from '../../helpers/registry.js';
import {
  BOOTSTRAP, FIXTURES, Provisioner, ROUTES, bearer, callRoute, expectJsonError, flushRedis, freshTenant, happyTenants, mint, startTokenRegistry,
} from '../../helpers/security.js';

const REALM_ONLY = /^Bearer realm="[^"]+"$/;

/** Authorization headers that are no usable bearer token. */
const MALFORMED: readonly [string, string][] = [
  ['"Bearer" without a token', 'Bearer'],
  ['another scheme', 'Basic xyz'],
  ['two tokens', 'Bearer a b'],
  ['10 KB of garbage', randomBytes(7680).toString('base64')],
  ['Bearer and 10 KB of non-token68 characters', `Bearer ${'!#$%&*()<>?'.repeat(931)}`],
  ['an unknown well-formed token', `Bearer dr_${randomBytes(32).toString('base64url')}`],
];

function expectInvalidToken(res: HttpResult): void {
  expectJsonError(res, 401);
  const challenge = res.headers.get('www-authenticate') ?? '';
  expect(challenge).to.match(/^Bearer realm="[^"]+", error="invalid_token"/);
}

describe('management API scope matrix (generated from the route table)', function () {
  this.timeout(20_000);
  let registry: TestRegistry;
  let base: string;
  let provision: Provisioner;
  /** scope → a token holding every other scope (listed one by one, not `*`), every tenant. */
  const lacking = new Map<Scope, string>();

  before(async function () {
    await flushRedis();
    registry = await startTokenRegistry({ REGISTRY_AUTH_FAILURE_LIMIT: '1000' });
    base = registry.base;
    provision = new Provisioner(base);
    for (const scope of SCOPES) {
      const minted = await mint(base, BOOTSTRAP, { scopes: SCOPES.filter((s) => s !== scope), tenants: ['*'], description: `all but ${scope}` });
      lacking.set(scope, minted.token);
    }
  });

  after(async function () {
    await registry?.stop();
    await flushRedis();
  });

  it('has a fixture for every route, and every scope guards at least one route', function () {
    for (const route of ROUTES) expect(FIXTURES, route.operationId).to.have.property(route.operationId);
    const used = new Set(ROUTES.flatMap((r) => [...r.scopes, ...(r.queryScopes?.scopes ?? [])]));
    for (const scope of SCOPES) expect(used.has(scope), scope).to.equal(true);
    // a public route: only health probes, metrics, the API documents, the console's files, and the
    // console's sign-in and sign-out (test/integration/console/session.test.ts) may be
    for (const route of ROUTES.filter(isPublic)) expect(route.tag, route.operationId).to.be.oneOf(['health', 'operations', 'session']);
    for (const route of ROUTES.filter((r) => r.sameOrigin === true)) expect(route.tag, route.operationId).to.equal('session');
  });

  for (const route of ROUTES.filter((r) => isPublic(r) && r.sameOrigin !== true)) {
    describe(`${route.method} ${route.path} (${route.operationId}; public: no scopes)`, function () {
      it('is a read-only route without tenant, query scopes or audit', function () {
        expect(route.method).to.equal('GET');
        expect(route.tenant).to.equal('none');
        expect(route.audit).to.equal(false);
        expect(route.queryScopes).to.equal(undefined);
      });

      it(`answers ${route.success.status} without a token and with any Authorization header`, async function () {
        for (const header of [undefined, ...MALFORMED.map(([, h]) => h)]) {
          const res = await callRoute(base, route, freshTenant(), header === undefined ? {} : { Authorization: header });
          expect(res.status, res.text).to.equal(route.success.status);
          expect(res.headers.get('www-authenticate')).to.equal(null);
        }
      });
    });
  }

  for (const route of ROUTES.filter((r) => !isPublic(r))) {
    describe(`${route.method} ${route.path} (${route.operationId}; scopes ${route.scopes.join(', ') || 'none, a token'}; tenant from ${route.tenant})`, function () {
      it('answers 401 with a realm-only challenge (no error=) without an Authorization header', async function () {
        const res = await callRoute(base, route, freshTenant(), {});
        expectJsonError(res, 401);
        const challenge = res.headers.get('www-authenticate') ?? '';
        expect(challenge).to.match(REALM_ONLY);
        expect(challenge).to.not.include('error=');
      });

      it('answers 401 error="invalid_token" (never 500) to malformed or unknown Authorization headers', async function () {
        for (const [what, header] of MALFORMED) {
          const res = await callRoute(base, route, freshTenant(), { Authorization: header });
          expect(res.status, `${what}: ${res.text}`).to.equal(401);
          expectInvalidToken(res);
        }
      });

      for (const scope of route.scopes) {
        it(`answers 403 error="insufficient_scope", scope="${scope}" to a token without ${scope}`, async function () {
          const tenant = freshTenant();
          const res = await callRoute(base, route, tenant, bearer(lacking.get(scope) as string), { tokenId: 'tok_0000000000000000' });
          expectJsonError(res, 403);
          const challenge = res.headers.get('www-authenticate') ?? '';
          expect(challenge).to.match(/^Bearer realm="[^"]+"/);
          expect(challenge).to.include('error="insufficient_scope"');
          expect(challenge).to.include(`scope="${scope}"`);
        });
      }

      const queryScopes = route.queryScopes;
      if (queryScopes !== undefined) {
        const query = `?${queryScopes.param}=${queryScopes.value}`;
        for (const scope of queryScopes.scopes) {
          it(`answers 403 naming ${scope} to a token without it when the request has ${query}`, async function () {
            const tenant = freshTenant();
            await FIXTURES[route.operationId]?.prepare?.(provision, tenant);
            const res = await callRoute(base, route, tenant, bearer(lacking.get(scope as Scope) as string), { query });
            expectJsonError(res, 403);
            const challenge = res.headers.get('www-authenticate') ?? '';
            expect(challenge).to.include('error="insufficient_scope"');
            expect(challenge).to.include(`scope="${scope}"`);
            // without the query the same token is enough (the device is restored)
            const plain = await callRoute(base, route, tenant, bearer(lacking.get(scope as Scope) as string));
            expect(plain.status, plain.text).to.equal(route.success.status);
          });
        }
      }

      if (route.tenant !== 'none') {
        it('answers 403 to a token with the right scopes but another tenant, and changes nothing', async function () {
          const tenant = freshTenant();
          await FIXTURES[route.operationId]?.prepare?.(provision, tenant);
          const scopes = [...route.scopes, ...(queryScopes?.scopes ?? [])];
          const other = await mint(base, BOOTSTRAP, { scopes, tenants: [freshTenant('other')] });
          const res = await callRoute(base, route, tenant, bearer(other.token));
          const error = expectJsonError(res, 403);
          expect(error).to.include(tenant);
          expect(res.headers.get('www-authenticate') ?? '').to.not.include('insufficient_scope');
          if (route.operationId === 'createTenant') {
            expect((await http(base, 'GET', `/tenant/${tenant}`, undefined, bearer(BOOTSTRAP))).status).to.equal(404);
          }
          if (route.method === 'DELETE' && route.path.startsWith('/tenant/')) {
            expect((await http(base, 'GET', `/tenant/${tenant}`, undefined, bearer(BOOTSTRAP))).status).to.equal(200);
          }
        });
      }

      it(`answers ${route.success.status} to a token with exactly the route's scopes and the tenant`, async function () {
        const tenant = freshTenant();
        const fixture = FIXTURES[route.operationId];
        await fixture?.prepare?.(provision, tenant);
        // A route that needs no scope takes any token (every token has at least one scope).
        const own = await mint(base, BOOTSTRAP, { scopes: route.scopes.length > 0 ? [...route.scopes] : ['audit:read'], tenants: happyTenants(route, tenant) });
        const res = await callRoute(base, route, tenant, bearer(own.token), { tokenId: own.id });
        expect(res.status, res.text).to.equal(route.success.status);
      });

      if (queryScopes !== undefined) {
        const query = `?${queryScopes.param}=${queryScopes.value}`;
        it(`answers ${route.success.status} with ${query} to a token with the route's scopes, ${queryScopes.scopes.join(', ')} and the tenant`, async function () {
          const tenant = freshTenant();
          await FIXTURES[route.operationId]?.prepare?.(provision, tenant);
          const own = await mint(base, BOOTSTRAP, { scopes: [...route.scopes, ...queryScopes.scopes], tenants: [tenant] });
          const res = await callRoute(base, route, tenant, bearer(own.token), { query });
          expect(res.status, res.text).to.equal(route.success.status);
        });
      }
    });
  }

  it('accepts the bootstrap token (`*`) on every route', async function () {
    for (const route of ROUTES.filter((r) => !isPublic(r))) {
      const res = await callRoute(base, route, freshTenant(), bearer(BOOTSTRAP), { tokenId: 'tok_0000000000000000' });
      expect([401, 403, 429, 500], `${route.operationId}: ${res.status} ${res.text}`).to.not.include(res.status);
    }
  });
});
