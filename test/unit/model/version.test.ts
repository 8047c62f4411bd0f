import { expect } from 'chai';
import { RegistryError } from '../../../src/errors.js';
import { credentialsVersion, etagOf, ifMatchAccepts, ifMatchArg, parseIfMatch, versionOf } from '../../../src/model/version.js';

describe('model/version: resource versions and If-Match (docs/management-v1.md "Versions")', function () {
  it('gives the first 16 hex digits of the SHA-1 of the stored bytes, different for any change', function () {
    expect(versionOf('{"enabled":true}')).to.match(/^[0-9a-f]{16}$/);
    expect(versionOf('{"enabled":true}')).to.not.equal(versionOf('{"enabled":false}'));
    // The digest is of the UTF-8 bytes: known value of SHA-1("abc").
    expect(versionOf('abc')).to.equal('a9993e364706816a');
  });

  it('gives a credentials set a version of its own, the empty set too, and distinguishes how records are split', function () {
    expect(credentialsVersion([])).to.equal('da39a3ee5e6b4b0d');
    expect(credentialsVersion(['ab', 'c'])).to.not.equal(credentialsVersion(['a', 'bc']));
    expect(credentialsVersion(['a', 'b'])).to.not.equal(credentialsVersion(['b', 'a']));
    expect(credentialsVersion(['ü'])).to.equal(versionOf('2:ü'));
  });

  it('parses * , quoted, bare and listed tags, and ignores weak or foreign ones', function () {
    const v = versionOf('x');
    expect(parseIfMatch(undefined)).to.equal(undefined);
    expect(parseIfMatch('  ')).to.equal(undefined);
    expect(parseIfMatch('*')).to.deep.equal({ any: true });
    expect(parseIfMatch(`"${v}"`)).to.deep.equal({ versions: [v] });
    expect(parseIfMatch(v)).to.deep.equal({ versions: [v] });
    expect(parseIfMatch(`"0000000000000000", ${v}`)).to.deep.equal({ versions: ['0000000000000000', v] });
    expect(parseIfMatch(`W/"${v}"`)).to.deep.equal({ versions: [] });
    expect(parseIfMatch('"something else"')).to.deep.equal({ versions: [] });
    expect(etagOf(v)).to.equal(`"${v}"`);
  });

  it('refuses an If-Match with more than 32 entries with 400', function () {
    const header = Array.from({ length: 33 }, () => '"0000000000000000"').join(',');
    expect(() => parseIfMatch(header)).to.throw(RegistryError).with.property('code', 'BAD_REQUEST');
  });

  it('accepts a record when unconditional, for * while it exists, and when its version is listed', function () {
    const stored = '{"a":1}';
    expect(ifMatchAccepts(undefined, null)).to.equal(true);
    expect(ifMatchAccepts({ any: true }, stored)).to.equal(true);
    expect(ifMatchAccepts({ any: true }, null)).to.equal(false);
    expect(ifMatchAccepts({ versions: [versionOf(stored)] }, stored)).to.equal(true);
    expect(ifMatchAccepts({ versions: ['0000000000000000'] }, stored)).to.equal(false);
  });

  it('turns the condition into the script argument: empty, *, the list, or - which matches nothing', function () {
    expect(ifMatchArg(undefined)).to.equal('');
    expect(ifMatchArg({ any: true })).to.equal('*');
    expect(ifMatchArg({ versions: ['a', 'b'] })).to.equal('a,b');
    expect(ifMatchArg({ versions: [] })).to.equal('-');
  });
});
