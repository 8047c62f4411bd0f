/**
 * The console in a real Chromium (docs/console.md): signing in and out, a session that holds no
 * token a script could read and ends with its token, the Content-Security-Policy, and cross-site
 * requests with the session cookie refused. Every test's page records CSP violations, script
 * errors and unexpected console errors; there must be none.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { eventually } from '../helpers/eventually.js';
import { http } from '../helpers/registry.js';
import { BOOTSTRAP, bearer, mint, screenshot, signIn, useConsole, visit } from './support.js';

describe('console in a browser: sessions and their security', function () {
  this.timeout(60_000);
  const suite = useConsole();
  const page = () => suite.page;

  it('signs in: a wrong token gets a clear message, the right one opens the overview', async function () {
    await page().goto(`${suite.registry.base}/console`);
    await page().getByLabel('Token').fill(`dr_${'x'.repeat(43)}`);
    await page().getByRole('button', { name: 'Sign in' }).click();
    const alert = page().getByRole('alert');
    await alert.filter({ hasText: 'Sign-in failed' }).waitFor();
    expect(await alert.textContent()).to.include('unknown, revoked or expired');
    expect(await page().getByLabel('Token').inputValue(), 'the field is emptied').to.equal('');
    await screenshot(page(), 'sign-in');
    const token = await mint(suite.registry.base, BOOTSTRAP, { scopes: ['*'], tenants: ['*'], description: 'an operator' });
    await signIn(page(), suite.registry.base, token.token);
    expect(await page().getByRole('banner').textContent()).to.include(token.id);
  });

  it('keeps the token nowhere a script or a URL could give it away', async function () {
    const token = await mint(suite.registry.base, BOOTSTRAP, { scopes: ['*'], tenants: ['*'] });
    await signIn(page(), suite.registry.base, token.token);
    await visit(page(), 'Tokens');
    const seen = await page().evaluate(() => ({
      local: localStorage.length, session: sessionStorage.length, cookie: document.cookie, url: location.href, html: document.documentElement.outerHTML,
    }));
    expect(seen).to.include({ local: 0, session: 0, cookie: '' });
    expect(seen.url + seen.html).to.not.include(token.token);
    const cookies = await suite.current.context.cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite, c.expires])).to.deep.equal([['registry-session', true, 'Strict', -1]]);
    expect(cookies[0]?.value).to.not.include(token.token);
  });

  it('signs out: the session ends, the cookie goes, and a reload asks for a token again', async function () {
    const token = await mint(suite.registry.base, BOOTSTRAP, { scopes: ['*'], tenants: ['*'] });
    await signIn(page(), suite.registry.base, token.token);
    const [cookie] = await suite.current.context.cookies();
    await page().getByRole('button', { name: 'Sign out' }).click();
    await page().getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await page().getByRole('status').filter({ hasText: 'You signed out' }).count()).to.equal(1);
    expect(await suite.current.context.cookies()).to.deep.equal([]);
    await page().reload();
    await page().getByLabel('Token').waitFor();
    // the old session is over on the registry too
    expect((await http(suite.registry.base, 'GET', '/session', undefined, { Cookie: `${cookie?.name}=${cookie?.value}` })).status).to.equal(401);
  });

  it('ends the session when its token is revoked, and says so at the next step', async function () {
    const token = await mint(suite.registry.base, BOOTSTRAP, { scopes: ['*'], tenants: ['*'] });
    await signIn(page(), suite.registry.base, token.token);
    // Off the overview first: its refresh would find the ended session by itself, before the click.
    await visit(page(), 'Audit');
    expect((await http(suite.registry.base, 'DELETE', `/tokens/${token.id}`, undefined, bearer(BOOTSTRAP))).status).to.equal(204);
    await page().getByRole('link', { name: 'Tokens', exact: true }).click({ timeout: 5_000 }).catch(async (err: unknown) => {
      // The page may learn of the end by itself first (any request of its own answered 401) and leave the navigation.
      if (!(await page().getByRole('button', { name: 'Sign in' }).isVisible())) throw err;
    });
    await page().getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await page().getByRole('status').textContent()).to.include('session has ended');
  });

  it('blocks what the policy forbids: an inline script the page would add is refused and reported', async function () {
    await page().goto(`${suite.registry.base}/console`);
    await page().getByLabel('Token').waitFor();
    const ran = await page().evaluate(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true';
      document.body.append(script);
      await new Promise((resolve) => setTimeout(resolve, 0));
      return (window as unknown as { inlineRan?: boolean }).inlineRan === true;
    });
    expect(ran).to.equal(false);
    await eventually('the violation reported', async () => expect(suite.current.problems.join('\n')).to.match(/CSP violation: script-src(-elem)? blocked inline/));
    suite.current.problems.length = 0;
  });

  describe('a page of another origin', function () {
    let attacker: Server;
    let evil: string;

    before(async function () {
      // Another origin of the same site (127.0.0.1, another port): SameSite=Strict still sends the cookie.
      attacker = createServer((req, res) => {
        res.setHeader('Content-Type', 'text/html');
        res.end(`<form method="post" action="${suite.registry.base}/tokens" enctype="text/plain"><input name='{"scopes":["*"],"tenants":["*"],"expires-in":"1h","x":"' value='"}'><button>go</button></form>`);
      });
      await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
      evil = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
    });

    after(async function () {
      await new Promise((resolve) => attacker.close(resolve));
    });

    it('cannot change anything with the session cookie: a cross-site POST is refused', async function () {
      const token = await mint(suite.registry.base, BOOTSTRAP, { scopes: ['*'], tenants: ['*'] });
      await signIn(page(), suite.registry.base, token.token);
      const before = ((await http(suite.registry.base, 'GET', '/tokens', undefined, bearer(BOOTSTRAP))).json as unknown[]).length;
      await page().goto(evil);
      const [answer] = await Promise.all([page().waitForResponse(`${suite.registry.base}/tokens`), page().getByRole('button', { name: 'go' }).click()]);
      expect(answer.status()).to.equal(403);
      expect(await answer.text()).to.include('cross-site');
      expect(answer.request().headers().cookie ?? (await answer.request().allHeaders()).cookie, 'the browser did send the cookie').to.match(/registry-session=/);
      // a script of that origin cannot send the console's header without a CORS grant
      await page().goto(evil);
      const sent = await page().evaluate(async (url) => {
        try {
          await fetch(url, { method: 'POST', credentials: 'include', headers: { 'X-Registry-Console': '1', 'Content-Type': 'application/json' }, body: '{}' });
          return 'sent';
        } catch {
          return 'blocked';
        }
      }, `${suite.registry.base}/tokens`);
      expect(sent).to.equal('blocked');
      expect(((await http(suite.registry.base, 'GET', '/tokens', undefined, bearer(BOOTSTRAP))).json as unknown[]).length).to.equal(before);
      // the browser logs the refused request and the failed CORS preflight; both are the point here
      suite.current.problems.length = 0;
    });
  });
});
