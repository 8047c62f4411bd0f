import { expect } from 'chai';
import { RegistryError } from '../../../src/errors.js';
import { V1_ID_PATTERNS, generateId, requireV1Id } from '../../../src/model/ids.js';

describe('model/ids: generated ids and the /v1 id patterns', function () {
  it('generates distinct ids that match the tenant and the device pattern', function () {
    const ids = new Set(Array.from({ length: 100 }, generateId));
    expect(ids.size).to.equal(100);
    for (const id of ids) {
      expect(id).to.match(V1_ID_PATTERNS.tenant);
      expect(id).to.match(V1_ID_PATTERNS.device);
    }
  });

  it('refuses new ids with spaces or special characters with 400, as Hono (DeviceManagementIT)', function () {
    expect(() => requireV1Id('device', 'device ID With spaces and $pecial chars!')).to.throw(RegistryError).with.property('code', 'BAD_REQUEST');
    expect(() => requireV1Id('tenant', 'a:b')).to.throw(RegistryError);
    expect(() => requireV1Id('device', 'urn:dev=1')).to.not.throw();
    expect(() => requireV1Id('tenant', 'DEFAULT_TENANT')).to.not.throw();
  });
});
