import { expect } from 'chai';
import bcrypt from 'bcrypt';
import { parseAccounts } from '../../src/amqp/accounts.js';
import { RegistryError } from '../../src/errors.js';

const hash = bcrypt.hashSync('secret', bcrypt.genSaltSync(4, 'a'));
const file = (users: unknown, roles: unknown = { r: [{ operation: 'registration/*:assert', activities: ['EXECUTE'] }] }) => JSON.stringify({ roles, users });

describe('amqp accounts file', function () {
  it('verifies PLAIN users and resolves their roles and inline authorities', async function () {
    const book = parseAccounts(file({ u: { mechanism: 'PLAIN', 'password-hash': hash, authorities: ['r', { resource: 'tenant', activities: ['READ'] }] } }), 'f');
    const granted = await book.verifyPlain('u', 'secret');
    expect(granted?.mayExecute('registration/T', 'assert')).to.equal(true);
    expect(granted?.mayAccess('tenant', 'READ')).to.equal(true);
    expect(await book.verifyPlain('u', 'secret'), 'second login, from the cache').to.not.equal(undefined);
  });

  it('refuses wrong passwords, unknown users and EXTERNAL users over PLAIN', async function () {
    const book = parseAccounts(file({ u: { mechanism: 'PLAIN', 'password-hash': hash, authorities: ['r'] }, cn: { mechanism: 'EXTERNAL', authorities: ['r'] } }), 'f');
    expect(await book.verifyPlain('u', 'wrong')).to.equal(undefined);
    expect(await book.verifyPlain('nobody', 'secret')).to.equal(undefined);
    expect(await book.verifyPlain('cn', 'secret')).to.equal(undefined);
    expect(book.external('cn')).to.not.equal(undefined);
    expect(book.external('u')).to.equal(undefined);
  });

  it('rejects invalid files with a message naming the problem', function () {
    const cases: [string, RegExp][] = [
      ['not json', /invalid/],
      [file({ u: { mechanism: 'PLAIN', authorities: ['r'] } }), /needs a "password-hash"/],
      [file({ u: { mechanism: 'PLAIN', 'password-hash': hash, authorities: ['nope'] } }), /unknown role "nope"/],
      [file({ u: { mechanism: 'KERBEROS', authorities: [] } }), /mechanism/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseAccounts(text, 'f')).to.throw(RegistryError, message);
    }
  });
});
