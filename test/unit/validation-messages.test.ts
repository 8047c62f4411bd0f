/**
 * Validation messages (src/validation.ts) say what a value must be: every pattern of schemas/ has
 * its own sentence, and a value that fits none of a oneOf's alternatives is described by the
 * alternative that says most (a lifetime, not "must be of type integer").
 */
import { expect } from 'chai';
import { RegistryError } from '../../src/errors.js';
import { PATTERN_MESSAGES, loadSchemas, validate, type SchemaName } from '../../src/validation.js';

/** Every `pattern` keyword value in a schema. */
function patternsIn(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(patternsIn);
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) => (key === 'pattern' && typeof value === 'string' ? [value] : patternsIn(value)));
}

function messageOf(schema: SchemaName, value: unknown): string {
  try {
    validate(schema, value);
  } catch (err) {
    expect(err).to.be.instanceOf(RegistryError);
    expect((err as RegistryError).status).to.equal(400);
    return (err as RegistryError).publicMessage;
  }
  throw new Error('the value was valid');
}

describe('validation messages', function () {
  it('have a sentence for every pattern of the schemas', function () {
    const patterns = new Set(Object.values(loadSchemas()).flatMap(patternsIn));
    expect(patterns.size).to.be.greaterThan(4);
    for (const pattern of patterns) expect(PATTERN_MESSAGES, pattern).to.have.property(pattern);
  });

  it('describe a lifetime that is neither a duration nor a number of seconds as such, and only that', function () {
    expect(messageOf('token-request', { scopes: ['*'], tenants: ['*'], 'expires-in': 'forever' })).to.equal('expires-in must be a lifetime such as 30d, 12h, 90m, 3600s or a number of seconds');
  });

  it('describe a key that is not Base64, and an id with a control character', function () {
    const credentials = { 'device-id': 'd', type: 'psk', 'auth-id': 'a', secrets: [{ key: 'not base64!' }] };
    expect(messageOf('credentials', credentials)).to.equal('secrets/0/key must be Base64');
    expect(messageOf('credentials', { ...credentials, 'auth-id': 'a\u0001', secrets: [{ key: 'YQ==' }] })).to.equal('auth-id must not contain control characters or unpaired surrogates');
  });

  it('still name each problem of a value that breaks several rules', function () {
    expect(messageOf('token-request', { scopes: ['nope'], tenants: [], 'expires-in': 0 })).to.include('scopes/0 must be one of').and.include('tenants').and.include('expires-in');
  });
});
