/**
 * Which range of the credentials search index a search reads, and when that range alone decides it.
 */
import { expect } from 'chai';
import type { Filter } from '../../../src/model/search.js';
import { planSearch } from '../../../src/service/credentials-search.js';
import { credentialSearchPrefix } from '../../../src/store/keys.js';

const f = (field: string, value: Filter['value']): Filter => ({ field, path: field.split('/').slice(1), op: 'eq', value });

describe('service/credentials-search planSearch', function () {
  it('reads one whole auth-id, or an auth-id prefix, and the index decides it alone', function () {
    expect(planSearch([f('/auth-id', 'sensor1')])).to.deep.equal({ prefix: credentialSearchPrefix({ authId: 'sensor1', whole: true }), decided: true });
    expect(planSearch([f('/auth-id', 'sensor*')])).to.deep.equal({ prefix: credentialSearchPrefix({ authId: 'sensor', whole: false }), decided: true });
  });

  it('reads one type, or a type prefix; with a type, an auth-id prefix narrows that type', function () {
    expect(planSearch([f('/type', 'psk')])).to.deep.equal({ prefix: credentialSearchPrefix({ type: 'psk', authIdPrefix: '' }), decided: true });
    expect(planSearch([f('/type', 'x509*')])).to.deep.equal({ prefix: credentialSearchPrefix({ typePrefix: 'x509' }), decided: true });
    expect(planSearch([f('/type', 'psk'), f('/auth-id', 'a*')])).to.deep.equal({ prefix: credentialSearchPrefix({ type: 'psk', authIdPrefix: 'a' }), decided: true });
  });

  it('leaves to memory what the range does not decide: a whole auth-id of a type, other wildcards, other fields', function () {
    expect(planSearch([f('/type', 'psk'), f('/auth-id', 'a')])).to.deep.equal({ prefix: credentialSearchPrefix({ type: 'psk', authIdPrefix: 'a' }), decided: false });
    expect(planSearch([f('/auth-id', '*a')])).to.deep.equal({ prefix: credentialSearchPrefix({ authId: '', whole: false }), decided: false });
    expect(planSearch([f('/auth-id', 'a?*')]).decided).to.equal(false);
    expect(planSearch([f('/auth-id', 'a*'), f('/enabled', true)])).to.deep.equal({ prefix: credentialSearchPrefix({ authId: 'a', whole: false }), decided: false });
    expect(planSearch([f('/type', 7)]).decided).to.equal(false);
    expect(planSearch([])).to.deep.equal({ prefix: credentialSearchPrefix({ authId: '', whole: false }), decided: true });
  });
});
