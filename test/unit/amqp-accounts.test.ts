import { expect } from 'chai';
import bcrypt from 'bcrypt';
import { parseAccounts } from '../../src/amqp/accounts.js';
import { createLogin } from '../../src/amqp/login.js';
import { RegistryError } from '../../src/errors.js';

const LIMITS = { concurrency: 2, queue: 8, pendingPerAddress: 4, failuresPerMinute: 100 };
const attempt = () => ({ address: '192.0.2.1', signal: new AbortController().signal });
const authoritiesOf = (result: Awaited<ReturnType<ReturnType<typeof createLogin>['verify']>>) => ('authorities' in result ? result.authorities : undefined);

const hash = bcrypt.hashSync('secret', bcrypt.genSaltSync(4, 'a'));
const file = (users: unknown, roles: unknown = { r: [{ operation: 'registration/*:assert', activities: ['EXECUTE'] }] }) => JSON.stringify({ roles, users });

describe('amqp accounts file and PLAIN logins', function () {
  it('verifies PLAIN users and resolves their roles and inline authorities', async function () {
    const login = createLogin(parseAccounts(file({ u: { mechanism: 'PLAIN', 'password-hash': hash, authorities: ['r', { resource: 'tenant', activities: ['READ'] }] } }), 'f'), LIMITS);
    const granted = authoritiesOf(await login.verify('u', 'secret', attempt()));
    expect(granted?.mayExecute('registration/T', 'assert')).to.equal(true);
    expect(granted?.mayAccess('tenant', 'READ')).to.equal(true);
    expect(authoritiesOf(await login.verify('u', 'secret', attempt())), 'second login, from the cache').to.not.equal(undefined);
  });

  it('refuses wrong passwords, unknown users and EXTERNAL users over PLAIN', async function () {
    const book = parseAccounts(file({ u: { mechanism: 'PLAIN', 'password-hash': hash, authorities: ['r'] }, cn: { mechanism: 'EXTERNAL', authorities: ['r'] } }), 'f');
    const login = createLogin(book, LIMITS);
    expect(await login.verify('u', 'wrong', attempt())).to.deep.equal({ refused: 1 });
    expect(await login.verify('nobody', 'secret', attempt())).to.deep.equal({ refused: 1 });
    expect(await login.verify('cn', 'secret', attempt())).to.deep.equal({ refused: 1 });
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
