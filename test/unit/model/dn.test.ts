import { expect } from 'chai';
import { DnSyntaxError, dnEquals, dnKey, parseDn, toRfc2253 } from '../../../src/model/dn.js';

describe('model/dn', () => {
  describe('parseDn', () => {
    it('splits RDNs in string order and upper-cases keywords', () => {
      expect(parseDn('cn=ca,OU=Hono,o=Eclipse').rdns).to.deep.equal([
        [{ type: 'CN', value: 'ca', hex: false }],
        [{ type: 'OU', value: 'Hono', hex: false }],
        [{ type: 'O', value: 'Eclipse', hex: false }],
      ]);
    });

    it('parses multi-valued RDNs joined by "+"', () => {
      expect(parseDn('CN=a + UID=b,O=x').rdns[0]).to.deep.equal([
        { type: 'CN', value: 'a', hex: false },
        { type: 'UID', value: 'b', hex: false },
      ]);
    });

    it('maps known OIDs (with or without the OID. prefix) to keywords and keeps unknown ones', () => {
      const types = parseDn('2.5.4.3=a,OID.2.5.4.10=b,oid.0.9.2342.19200300.100.1.25=c,1.2.3.004=d')
        .rdns.map((rdn) => rdn[0]?.type);
      expect(types).to.deep.equal(['CN', 'O', 'DC', '1.2.3.4']);
    });

    it('unescapes special characters and UTF-8 hex escapes', () => {
      expect(parseDn('CN=a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h\\=i\\#j').rdns[0]?.[0]?.value).to.equal('a,b+c"d\\e<f>g;h=i#j');
      expect(parseDn('CN=Gr\\C3\\BC\\C3\\9Fe').rdns[0]?.[0]?.value).to.equal('Grüße');
    });

    it('keeps escaped leading and trailing spaces but drops unescaped ones', () => {
      expect(parseDn('CN=  \\ a b\\  , O=x').rdns[0]?.[0]?.value).to.equal(' a b ');
      expect(parseDn('CN=  a b   ').rdns[0]?.[0]?.value).to.equal('a b');
    });

    it('accepts quoted values and ";" as RDN separator', () => {
      expect(parseDn('CN=" a, b+c ";O=x').rdns.map((rdn) => rdn[0]?.value)).to.deep.equal([' a, b+c ', 'x']);
    });

    it('keeps "#"-hex values as lower-case hex', () => {
      expect(parseDn('CN=#0C03616263').rdns[0]?.[0]).to.deep.equal({ type: 'CN', value: '0c03616263', hex: true });
    });

    it('accepts an empty value', () => {
      expect(parseDn('CN=,O=x').rdns[0]?.[0]?.value).to.equal('');
    });

    const invalid: Array<[string, string]> = [
      ['', 'the empty string'],
      ['   ', 'whitespace only'],
      ['not a DN', 'text without "="'],
      ['CN', 'a type without "="'],
      ['=ca', 'an empty attribute type'],
      ['CN=a,', 'a trailing separator'],
      ['CN=a,,O=b', 'an empty RDN'],
      ['CN=a+', 'a trailing "+"'],
      ['C N=a', 'a space inside the attribute type'],
      ['1.2.=a', 'a malformed OID'],
      ['OID.CN=a', 'an OID. prefix on a keyword'],
      ['C_N=a', 'an invalid keyword character'],
      ['CN=a\\', 'a dangling backslash'],
      ['CN=a\\x', 'an invalid escape'],
      ['CN=a\\4', 'a truncated hex escape'],
      ['CN=\\C3\\28', 'hex escapes that are not UTF-8'],
      ['CN=\\C3', 'a truncated UTF-8 sequence'],
      ['CN="abc', 'an unterminated quote'],
      ['CN="a"b', 'text after a closing quote'],
      ['CN=a"b', 'an unescaped quote'],
      ['CN=#', 'an empty hex value'],
      ['CN=#abc', 'an odd number of hex digits'],
      ['CN=#zz', 'a non-hex value after "#"'],
    ];
    for (const [text, what] of invalid) {
      it(`rejects ${what} with a DnSyntaxError`, () => {
        expect(() => parseDn(text)).to.throw(DnSyntaxError);
      });
    }

    it('explains what is wrong in the error message', () => {
      expect(() => parseDn('not a DN')).to.throw(DnSyntaxError, /expected "="/);
      expect(() => parseDn('CN=a\\')).to.throw(/dangling backslash/);
    });
  });

  describe('dnKey and dnEquals', () => {
    it('treats DNs that differ only in spaces, case and OID vs keyword as equal', () => {
      const variants = [
        'CN=ca,OU=Hono,O=Eclipse',
        'CN=ca, OU=Hono, O=Eclipse',
        ' cn = CA ;  ou=hono;o=ECLIPSE ',
        '2.5.4.3=ca,OU=Hono,O=Eclipse',
        'OID.2.5.4.3=ca,oid.2.5.4.11=Hono,O="Eclipse"',
      ];
      const keys = new Set(variants.map(dnKey));
      expect(keys.size).to.equal(1);
      for (const variant of variants) expect(dnEquals(variant, 'CN=ca,OU=Hono,O=Eclipse')).to.equal(true);
    });

    it('treats DNs with RDNs in a different order as different', () => {
      expect(dnKey('CN=ca,O=Eclipse,OU=Hono')).to.not.equal(dnKey('CN=ca,OU=Hono,O=Eclipse'));
      expect(dnEquals('CN=ca,O=Eclipse,OU=Hono', 'CN=ca,OU=Hono,O=Eclipse')).to.equal(false);
    });

    it('ignores the order of the components of a multi-valued RDN', () => {
      expect(dnEquals('CN=a+UID=b,O=x', 'UID=b + cn=A,O=x')).to.equal(true);
    });

    it('collapses internal whitespace and ignores escaped outer spaces', () => {
      expect(dnEquals('CN=ACME   Corporation', 'CN=acme corporation')).to.equal(true);
      expect(dnEquals('CN=\\ acme\\ ', 'CN=acme')).to.equal(true);
    });

    it('treats hex-escaped and literal characters as equal', () => {
      expect(dnEquals('CN=Gr\\C3\\BC\\C3\\9Fe', 'CN=grüße')).to.equal(true);
      expect(dnEquals('CN=a\\2Cb', 'CN="a,b"')).to.equal(true);
    });

    it('treats NFC and NFD forms of a value as equal', () => {
      expect(dnEquals('CN=caf\u00e9', 'CN=cafe\u0301')).to.equal(true);
    });

    it('knows keyword aliases of attribute types', () => {
      expect(dnEquals('emailAddress=a@b,ST=x', 'E=a@b,S=x')).to.equal(true);
      expect(dnEquals('1.2.840.113549.1.9.1=a@b', 'EMAIL=a@b')).to.equal(true);
    });

    it('does not confuse values that only differ in escaping of separators', () => {
      expect(dnEquals('CN=a\\,O=b', 'CN=a,O=b')).to.equal(false);
      expect(dnEquals('CN=a\\+UID=b', 'CN=a+UID=b')).to.equal(false);
      expect(dnEquals('CN=\\#00', 'CN=#00')).to.equal(false);
    });

    it('treats different values or types as different', () => {
      expect(dnEquals('CN=a', 'CN=b')).to.equal(false);
      expect(dnEquals('CN=a', 'OU=a')).to.equal(false);
      expect(dnEquals('CN=a,O=b', 'CN=a')).to.equal(false);
    });

    it('returns false instead of throwing when either side is unparsable', () => {
      expect(dnEquals('not a DN', 'not a DN')).to.equal(false);
      expect(dnEquals('CN=a', '')).to.equal(false);
    });

    it('throws DnSyntaxError from dnKey on unparsable input', () => {
      expect(() => dnKey('not a DN')).to.throw(DnSyntaxError);
    });
  });

  describe('toRfc2253', () => {
    it('removes spaces around separators and keeps value case', () => {
      expect(toRfc2253('CN=device-1, O=ACME Corporation')).to.equal('CN=device-1,O=ACME Corporation');
      expect(toRfc2253(' cn = Device 1 ; o = Acme + c = DE ')).to.equal('CN=Device 1,O=Acme+C=DE');
    });

    it('replaces known OIDs with keywords and keeps unknown OIDs', () => {
      expect(toRfc2253('2.5.4.3=x,OID.1.2.3=y')).to.equal('CN=x,1.2.3=y');
    });

    it('re-escapes special characters the RFC 4514 way', () => {
      expect(toRfc2253('CN="a,b+c;d<e>f\\"g\\\\h=i"')).to.equal('CN=a\\,b\\+c\\;d\\<e\\>f\\"g\\\\h=i');
      expect(toRfc2253('CN=" #a "')).to.equal('CN=\\ #a\\ ');
      expect(toRfc2253('CN=\\#a')).to.equal('CN=\\#a');
    });

    it('decodes hex escapes into characters', () => {
      expect(toRfc2253('CN=Gr\\C3\\BC\\C3\\9Fe')).to.equal('CN=Grüße');
    });

    it('keeps "#"-hex values', () => {
      expect(toRfc2253('CN=#0C03616263')).to.equal('CN=#0c03616263');
    });

    it('is idempotent', () => {
      const once = toRfc2253('CN=" a,b ", O = x\\+y');
      expect(toRfc2253(once)).to.equal(once);
      expect(dnEquals(once, 'CN=" a,b ", O = x\\+y')).to.equal(true);
    });

    it('throws DnSyntaxError on unparsable input', () => {
      expect(() => toRfc2253('not a DN')).to.throw(DnSyntaxError);
    });
  });
});
