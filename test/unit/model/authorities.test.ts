import { expect } from 'chai';
import { EXECUTE_MEMO_LIMIT, createAuthorities, operationCandidates, resourceCandidates } from '../../../src/model/authorities.js';

describe('model/authorities (spec §10)', function () {
  it('falls back from the full address to endpoint/tenant, endpoint/*, endpoint and *', function () {
    expect(resourceCandidates('registration/T/r1')).to.deep.equal(['registration/T/r1', 'registration/T', 'registration/*', 'registration', '*']);
    expect(resourceCandidates('tenant')).to.deep.equal(['tenant', '*']);
  });

  it('falls back through the operation wildcards of Hono', function () {
    expect(operationCandidates('registration/T', 'assert')).to.deep.equal([
      'registration/T:assert', 'registration/T:*', 'registration/*:assert', 'registration/*:*', 'registration:assert', 'registration:*', '*:assert', '*:*',
    ]);
  });

  it("grants Hono's protocol-adapter role exactly what adapters need", function () {
    const a = createAuthorities([
      { resource: 'tenant', activities: ['READ', 'WRITE'] },
      { resource: 'registration/*', activities: ['READ', 'WRITE'] },
      { operation: 'registration/*:assert', activities: ['EXECUTE'] },
      { operation: 'tenant/*:*', activities: ['EXECUTE'] },
    ]);
    expect(a.mayAccess('tenant/reply-1', 'READ')).to.equal(true);
    expect(a.mayAccess('registration/DEFAULT_TENANT', 'WRITE')).to.equal(true);
    expect(a.mayAccess('registration/DEFAULT_TENANT/r', 'READ')).to.equal(true);
    expect(a.mayAccess('credentials/DEFAULT_TENANT', 'WRITE')).to.equal(false);
    expect(a.mayExecute('registration/DEFAULT_TENANT', 'assert')).to.equal(true);
    expect(a.mayExecute('registration/DEFAULT_TENANT', 'register')).to.equal(false);
    expect(a.mayExecute('tenant/ANY', 'get')).to.equal(true);
  });

  it('keeps activities apart and limits tenant-specific grants to their tenant', function () {
    const a = createAuthorities([
      { resource: 'registration/T1', activities: ['WRITE'] },
      { operation: 'tenant/T1:get', activities: ['EXECUTE'] },
    ]);
    expect(a.mayAccess('registration/T1', 'READ')).to.equal(false);
    expect(a.mayAccess('registration/T1', 'WRITE')).to.equal(true);
    expect(a.mayAccess('registration/T2', 'WRITE')).to.equal(false);
    expect(a.mayExecute('tenant/T1', 'get')).to.equal(true);
    expect(a.mayExecute('tenant/T2', 'get')).to.equal(false);
  });

  it('answers a remembered EXECUTE check as the first time, also past the memo limit and for look-alike keys', function () {
    const a = createAuthorities([
      { operation: 'tenant/T1:*', activities: ['EXECUTE'] },
      { operation: 'registration/*:assert', activities: ['EXECUTE'] },
    ]);
    for (let round = 0; round < 2; round++) {
      expect(a.mayExecute('tenant/T1', 'get')).to.equal(true);
      expect(a.mayExecute('tenant/T2', 'get')).to.equal(false);
      // Same characters split differently between address and operation: no shared memo entry.
      expect(a.mayExecute('tenant/T1', 'b\0get')).to.equal(true);
      expect(a.mayExecute('tenant/T1\0b', 'get')).to.equal(false);
      expect(a.mayExecute('registration/T9', 'assert')).to.equal(true);
      expect(a.mayExecute('registration/T9', 'register')).to.equal(false);
    }
    for (let i = 0; i <= EXECUTE_MEMO_LIMIT; i++) expect(a.mayExecute(`tenant/X${i}`, 'get')).to.equal(false);
    expect(a.mayExecute('tenant/T1', 'get')).to.equal(true);
    expect(a.mayExecute('tenant/X0', 'get')).to.equal(false);
  });
});
