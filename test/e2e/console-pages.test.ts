/**
 * The console's pages in a real Chromium against the real registry (docs/console.md): the
 * overview's charts, tokens, denied devices, the audit trail; only what the token may do; the
 * keyboard alone; every control named; a 390 px screen. Screenshots for the README are taken here.
 */
import { expect } from 'chai';
import { openClient, type AmqpClient } from '../helpers/amqp-client.js';
import { http } from '../helpers/registry.js';
import { BOOTSTRAP, bearer, mint, overflow, screenshot, signIn, unnamedControls, useConsole, visit } from './support.js';

type Json = Record<string, unknown>;

describe('console in a browser: pages', function () {
  this.timeout(60_000);
  const suite = useConsole();
  const page = () => suite.page;
  const admin = suite.admin;

  /** A tenant with devices, deleted (denied) when `deny`. */
  async function devices(tenant: string, ids: readonly string[], deny = false): Promise<void> {
    expect((await admin('POST', '/tenant', { 'tenant-id': tenant })).status).to.equal(201);
    for (const id of ids) {
      expect((await admin('POST', `/registration/${tenant}`, { 'device-id': id })).status).to.equal(201);
      if (deny) expect((await admin('DELETE', `/registration/${tenant}/${id}`)).status).to.equal(204);
    }
  }

  describe('the overview', function () {
    let client: AmqpClient;
    let lookingUp = true;
    let lookups: Promise<void>;

    before(async function () {
      client = await openClient({ port: suite.registry.registry.amqpPort, anonymous: true });
      lookups = (async () => {
        while (lookingUp) await client.request('tenant', { subject: 'get', body: { 'tenant-id': 'DEFAULT_TENANT' } });
      })();
    });

    after(async function () {
      lookingUp = false;
      await lookups;
      await client.close();
    });

    it('charts the lookups per second and their latency, and shows Redis and the tenants', async function () {
      await signIn(page(), suite.registry.base, BOOTSTRAP);
      const rate = page().getByRole('img', { name: /^Lookups per second/ });
      // the page refreshes itself: wait until the latency chart has a line of 4 samples with lookups
      await page().waitForFunction(() => [...document.querySelectorAll('svg[aria-label^="Lookup latency"] polyline.series-a')].some((l) => (l.getAttribute('points') ?? '').split(' ').length >= 4));
      expect(await rate.getAttribute('aria-label'), 'the sentence for screen readers').to.match(/Lookups: latest [1-9][\d,.]* per second, highest/);
      expect(await page().getByRole('img', { name: /^Lookup latency/ }).getAttribute('aria-label')).to.match(/Median: latest \d/);
      const redis = page().locator('.card', { has: page().getByRole('heading', { name: 'Redis' }) });
      expect(await redis.textContent()).to.match(/Up.*standalone.*7\./);
      expect(await page().locator('.card', { has: page().getByRole('heading', { name: 'Tenants' }) }).textContent()).to.match(/Tenants\d+/);
      const devices = page().locator('.card', { has: page().getByRole('heading', { name: 'Devices' }) });
      await devices.waitFor();
      expect(await devices.textContent(), 'the devices of every tenant').to.match(/^Devices\d+in \d+ tenants?$/);
      await screenshot(page(), 'overview');
    });
  });

  it('creates a token with scopes, tenants and expiry, shows its value once with a copy button, and lists it', async function () {
    await suite.current.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await signIn(page(), suite.registry.base, BOOTSTRAP);
    await visit(page(), 'Tokens');
    await page().getByLabel('Description').fill('a dashboard');
    for (const scope of ['devices:read', 'audit:read']) await page().getByRole('checkbox', { name: scope, exact: true }).check();
    await page().getByRole('radio', { name: 'Only these:' }).check();
    await page().getByLabel('Tenant ids, separated by spaces').fill('DEFAULT_TENANT');
    await page().getByLabel('Expires in').selectOption('7d');
    await page().getByRole('button', { name: 'Create token' }).click();
    const value = await page().getByLabel('New token').inputValue();
    expect(value).to.match(/^dr_[A-Za-z0-9_-]{43}$/);
    await page().getByRole('button', { name: 'Copy' }).click();
    await page().getByText('Copied to the clipboard.').waitFor();
    expect(await page().evaluate(() => navigator.clipboard.readText())).to.equal(value);
    const grants = (await http(suite.registry.base, 'GET', '/session', undefined, bearer(value))).json as Json;
    expect(grants).to.include({ authentication: 'token' });
    expect(grants).to.deep.include({ scopes: ['devices:read', 'audit:read'], tenants: ['DEFAULT_TENANT'] });
    const listed = ((await admin('GET', '/tokens')).json as Json[]).find((t) => t.id === grants['token-id']) as Json;
    expect(listed.description).to.equal('a dashboard');
    expect(Date.parse(listed.expires as string) - Date.parse(listed.created as string), 'expires in 7 days').to.equal(7 * 86_400_000);
    await page().getByRole('button', { name: 'Done' }).click();
    expect(await page().content(), 'the value is gone from the page').to.not.include(value);
    await page().getByRole('row').filter({ hasText: grants['token-id'] as string }).filter({ hasText: 'a dashboard' }).waitFor();
    await screenshot(page(), 'tokens');
  });

  it('revokes a token after a confirmation that names the tokens it minted, which go with it', async function () {
    const parent = await mint(suite.registry.base, BOOTSTRAP, { scopes: ['tokens:create', 'tokens:read'], tenants: ['*'], description: 'a CI job' });
    const child = await mint(suite.registry.base, parent.token, { scopes: ['tokens:read'], tenants: ['*'] });
    await signIn(page(), suite.registry.base, BOOTSTRAP);
    await visit(page(), 'Tokens');
    await page().getByRole('button', { name: `Revoke ${parent.id}` }).click();
    const dialog = page().getByRole('dialog', { name: `Revoke ${parent.id}?` });
    expect(await dialog.textContent()).to.include('together with the 1 token it minted');
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await page().getByRole('status').filter({ hasText: `Revoked ${parent.id} and 1 more` }).waitFor();
    for (const token of [parent.token, child.token]) expect((await http(suite.registry.base, 'GET', '/tokens', undefined, bearer(token))).status).to.equal(401);
    await page().getByRole('button', { name: `Revoke ${parent.id}` }).waitFor({ state: 'detached' });
  });

  it('lists denied devices a page at a time, restores one, and purges another only after a confirmation', async function () {
    const ids = Array.from({ length: 22 }, (_, i) => `sensor-${String(i).padStart(2, '0')}`);
    await devices('e2e-denied', ids, true);
    await signIn(page(), suite.registry.base, BOOTSTRAP);
    await visit(page(), 'Denied devices');
    await page().getByLabel('Tenant', { exact: true }).fill('e2e-denied');
    await page().getByRole('button', { name: 'Show' }).click();
    await page().getByRole('cell', { name: 'sensor-00', exact: true }).waitFor();
    expect(await page().getByRole('button', { name: /^Restore / }).count()).to.equal(20);
    await screenshot(page(), 'denied-devices');
    await page().getByRole('button', { name: 'Next page of denied devices' }).click();
    await page().getByRole('cell', { name: 'sensor-21', exact: true }).waitFor();
    await page().getByRole('button', { name: 'Previous page of denied devices' }).click();
    await page().getByRole('button', { name: 'Restore sensor-01' }).click();
    await page().getByRole('status').filter({ hasText: 'Restored sensor-01' }).waitFor();
    expect((await admin('GET', '/registration/e2e-denied/sensor-01')).status).to.equal(200);
    await page().getByRole('button', { name: 'Purge sensor-02' }).click();
    await page().getByRole('dialog', { name: 'Purge sensor-02?' }).getByRole('button', { name: 'Cancel' }).click();
    await page().getByRole('dialog').waitFor({ state: 'hidden' });
    expect((await admin('GET', '/denied-devices/e2e-denied?limit=1000')).json).to.include('sensor-02');
    await page().getByRole('button', { name: 'Purge sensor-02' }).click();
    await page().getByRole('dialog', { name: 'Purge sensor-02?' }).getByRole('button', { name: 'Purge' }).click();
    await page().getByRole('status').filter({ hasText: 'Purged sensor-02' }).waitFor();
    const left = (await admin('GET', '/denied-devices/e2e-denied?limit=1000')).json as string[];
    for (const gone of ['sensor-01', 'sensor-02']) expect(left).to.not.include(gone);
    expect(left).to.have.lengthOf(20);
    await page().getByRole('cell', { name: 'sensor-02', exact: true }).waitFor({ state: 'detached' });
  });

  it('reads the audit newest first, filters it by tenant, and pages to older entries', async function () {
    await devices('e2e-audit-a', Array.from({ length: 55 }, (_, i) => `d${i}`));
    await devices('e2e-audit-b', ['last']);
    await signIn(page(), suite.registry.base, BOOTSTRAP);
    await visit(page(), 'Audit');
    const firstRow = page().getByRole('row').nth(1);
    expect(await firstRow.textContent(), 'newest first: the sign-in').to.include('signIn');
    expect(await page().getByRole('row').nth(2).textContent()).to.include('/registration/e2e-audit-b');
    await screenshot(page(), 'audit');
    await page().getByLabel('Tenant', { exact: true }).fill('e2e-audit-a');
    await page().getByRole('button', { name: 'Filter' }).click();
    await page().waitForFunction(() => {
      const cells = [...document.querySelectorAll('tbody tr td:nth-child(3)')];
      return cells.length > 0 && cells.every((cell) => cell.textContent === 'e2e-audit-a');
    });
    const tenants = await page().locator('tbody tr td:nth-child(3)').allTextContents();
    expect(tenants).to.have.lengthOf(50);
    expect(new Set(tenants)).to.deep.equal(new Set(['e2e-audit-a']));
    await page().getByRole('button', { name: 'Next page of audit entries' }).click();
    await page().getByText('Entries 51–56').waitFor();
    expect(await page().locator('tbody tr td:nth-child(4)').allTextContents()).to.include('createTenant');
    expect(page().url(), 'the filter is in the URL, the token is not').to.match(/#\/audit\?tenant=e2e-audit-a$/);
  });

  it('offers only what the token may do', async function () {
    await devices('e2e-limited', ['gone'], true);
    const reader = await mint(suite.registry.base, BOOTSTRAP, { scopes: ['devices:read', 'audit:read'], tenants: ['e2e-limited'] });
    await signIn(page(), suite.registry.base, reader.token);
    expect(await page().getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).to.deep.equal(['Devices', 'Denied devices', 'Audit']);
    expect(await page().getByRole('heading', { name: 'Tenants' }).count(), 'no tenant count without tenants:read').to.equal(0);
    await visit(page(), 'Denied devices');
    expect(await page().getByLabel('Tenant', { exact: true }).evaluate((e) => e.tagName)).to.equal('SELECT');
    await page().getByRole('button', { name: 'Show' }).click();
    await page().getByRole('cell', { name: 'gone', exact: true }).waitFor();
    expect(await page().getByRole('button', { name: /^(Restore|Purge) / }).count(), 'no devices:delete').to.equal(0);
    await page().goto(`${suite.registry.base}/console#/tokens`);
    await page().getByRole('heading', { name: 'Not available' }).waitFor();
  });

  it('works with the keyboard alone, and moves the focus where a keyboard user needs it', async function () {
    const focused = () => page().evaluate(() => `${document.activeElement?.tagName} ${document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent ?? ''}`.trim());
    const tabTo = async (wanted: RegExp) => {
      for (let i = 0; i < 80 && !wanted.test(await focused()); i++) await page().keyboard.press('Tab');
      expect(await focused()).to.match(wanted);
    };
    await page().goto(`${suite.registry.base}/console`);
    await page().getByLabel('Token').waitFor();
    expect(await focused(), 'the token field has the focus').to.match(/^INPUT/);
    await page().keyboard.type(BOOTSTRAP);
    await page().keyboard.press('Enter');
    await page().getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    expect(await focused()).to.equal('H1 Overview');
    await page().keyboard.press('Tab');
    expect(await focused()).to.equal('A Skip to content');
    await tabTo(/^A Tokens$/);
    await page().keyboard.press('Enter');
    await page().getByRole('heading', { level: 1, name: 'Tokens' }).waitFor();
    expect(await focused()).to.equal('H1 Tokens');
    await tabTo(/^BUTTON Revoke tok_/);
    const revoke = await focused();
    await page().keyboard.press('Enter');
    await page().getByRole('dialog').waitFor();
    expect(await focused(), 'the safe choice has the focus').to.equal('BUTTON Cancel');
    await page().keyboard.press('Escape');
    await page().getByRole('dialog').waitFor({ state: 'hidden' });
    expect(await focused(), 'back where it was').to.equal(revoke);
  });

  it('gives every control an accessible name, on every page', async function () {
    await devices('e2e-names', ['a'], true);
    await page().goto(`${suite.registry.base}/console`);
    await page().getByLabel('Token').waitFor();
    expect(await unnamedControls(page()), 'sign-in').to.deep.equal([]);
    await signIn(page(), suite.registry.base, BOOTSTRAP);
    expect(await unnamedControls(page()), 'overview').to.deep.equal([]);
    for (const [link, heading] of [['Tokens', 'Tokens'], ['Audit', 'Audit'], ['Tenants', 'Tenants'], ['Devices', 'Devices']]) {
      await visit(page(), link as string, heading);
      expect(await unnamedControls(page()), link).to.deep.equal([]);
    }
    await page().goto(`${suite.registry.base}/console#/denied?tenant=e2e-names`);
    await page().getByRole('button', { name: 'Purge a' }).click();
    await page().getByRole('dialog').waitFor();
    expect(await unnamedControls(page()), 'denied devices, with the confirmation open').to.deep.equal([]);
  });

  for (const width of [390, 1280]) {
    it(`fits a screen ${width} px wide: only tables scroll sideways, inside their regions`, async function () {
      await suite.reopen(width, 844);
      await devices(`e2e-width-${width}`, ['a-device-with-a-rather-long-identifier-0001'], true);
      await signIn(page(), suite.registry.base, BOOTSTRAP);
      expect(await overflow(page()), 'overview').to.equal(0);
      for (const link of ['Tokens', 'Audit', 'Denied devices']) {
        await visit(page(), link);
        expect(await overflow(page()), link).to.equal(0);
      }
      await page().getByLabel('Tenant', { exact: true }).fill(`e2e-width-${width}`);
      await page().getByRole('button', { name: 'Show' }).click();
      await page().getByRole('cell', { name: 'a-device-with-a-rather-long-identifier-0001', exact: true }).waitFor();
      expect(await overflow(page()), 'denied devices listed').to.equal(0);
      if (width === 390) {
        await visit(page(), 'Tokens');
        await screenshot(page(), 'tokens-390');
      }
    });
  }
});
