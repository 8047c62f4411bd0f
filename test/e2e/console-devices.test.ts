/**
 * The console's device pages in a real Chromium against the real registry (docs/console.md): the
 * issue's walk (a tenant, a device with a password, found by a filter, disabled by the bulk
 * action), the table's filters, sort, paging and total, a device's registration, status and
 * JSON, an If-Match conflict, and its credentials (a password, a PSK, an X.509 certificate).
 */
import { expect } from 'chai';
import { selfSignedCert } from '../integration/http/support.js';
import { BOOTSTRAP, mint, overflow, screenshot, signIn, unnamedControls, useConsole, visit } from './support.js';

type Json = Record<string, unknown>;

describe('console in a browser: devices', function () {
  this.timeout(60_000);
  const suite = useConsole();
  const page = () => suite.page;
  const admin = suite.admin;
  const show = async (filters: Record<string, string>) => {
    for (const [label, value] of Object.entries(filters)) {
      const field = page().getByLabel(label, { exact: true });
      if ((await field.evaluate((e) => e.tagName)) === 'SELECT') await field.selectOption(value);
      else await field.fill(value);
    }
    await page().getByRole('button', { name: 'Show devices' }).click();
  };

  it('creates a tenant and a device with a password, finds it by a filter and disables it with the bulk action', async function () {
    await signIn(page(), suite.registry.base, BOOTSTRAP);
    await visit(page(), 'Tenants');
    await page().getByLabel('New tenant id').fill('e2e-walk');
    await page().getByRole('button', { name: 'Create tenant' }).click();
    await page().getByRole('link', { name: 'Devices of e2e-walk' }).click();
    await page().getByLabel('New device id').fill('walker-1');
    await page().getByRole('button', { name: 'Create device' }).click();
    await page().getByRole('heading', { level: 1, name: 'Device walker-1' }).waitFor();
    await page().getByLabel('Auth-id').fill('walker-1');
    await page().getByLabel(/^Password/).fill('a secret of the walk');
    await page().getByRole('button', { name: 'Add credentials' }).click();
    await page().getByRole('status').filter({ hasText: 'Added hashed-password credentials for walker-1.' }).waitFor();
    expect(await page().getByLabel(/^Password/).inputValue(), 'the password is gone from the page').to.equal('');
    expect(await page().content()).to.not.include('a secret of the walk');
    const stored = (await admin('GET', '/v1/credentials/e2e-walk/walker-1')).json as Json[];
    expect(stored).to.have.lengthOf(1);
    expect(stored[0]).to.include({ type: 'hashed-password', 'auth-id': 'walker-1' });
    expect(JSON.stringify(stored)).to.not.include('a secret');
    for (const id of ['walker-2', 'other-1']) expect((await admin('POST', `/v1/devices/e2e-walk/${id}`, { ext: { brand: id.startsWith('walker') ? 'acme' : 'other' } })).status).to.equal(201);
    await page().getByRole('link', { name: 'Devices of e2e-walk' }).click();
    await show({ 'Device id (* and ? are wildcards)': 'walker-*' });
    await page().getByText('2 devices in e2e-walk.').waitFor();
    await page().getByRole('checkbox', { name: 'Select every device on this page' }).check();
    await page().getByRole('button', { name: 'Disable selected' }).click();
    await page().getByRole('status').filter({ hasText: 'Disabled 2 devices.' }).waitFor();
    for (const [id, enabled] of [['walker-1', false], ['walker-2', false], ['other-1', true]] as const) {
      expect(((await admin('GET', `/v1/devices/e2e-walk/${id}`)).json as Json).enabled, id).to.equal(enabled);
    }
    expect(((await admin('GET', '/v1/devices/e2e-walk/walker-2')).json as Json).ext, 'the rest of the device stays').to.deep.equal({ brand: 'acme' });
    await show({ Enabled: 'false', 'Device id (* and ? are wildcards)': '' });
    await page().getByText('2 devices in e2e-walk.').waitFor();
    await screenshot(page(), 'devices');
    expect(await unnamedControls(page()), 'devices').to.deep.equal([]);
    expect(await overflow(page()), 'devices at 1280 px').to.equal(0);
  });

  it('filters by gateway, group and ext field, sorts, pages with the total, and deletes the selected after a confirmation', async function () {
    expect((await admin('POST', '/v1/tenants/e2e-table')).status).to.equal(201);
    const items = Array.from({ length: 24 }, (_, i) => ({ id: `s-${String(i).padStart(2, '0')}`, device: { via: ['gw-1'], ext: { floor: i % 2 === 0 ? 'one' : 'two' } } }));
    items.push({ id: 'gw-1', device: { memberOf: ['hall'] } } as never, { id: 'grouped', device: { viaGroups: ['hall'] } } as never);
    expect((await admin('POST', '/v1/bulk/devices/e2e-table/create', { items })).status).to.equal(200);
    await signIn(page(), suite.registry.base, BOOTSTRAP);
    await page().goto(`${suite.registry.base}/console#/devices?tenant=e2e-table`);
    await page().getByText('26 devices in e2e-table.').waitFor();
    await page().getByRole('button', { name: 'Next page of devices' }).click();
    await page().getByText('Devices 21–26 of 26').waitFor();
    await show({ Gateways: 'true' });
    await page().getByText('1 device in e2e-table.').waitFor();
    await page().getByRole('link', { name: 'gw-1', exact: true }).waitFor();
    await show({ Gateways: '', 'Served by group': 'hall' });
    await page().getByRole('link', { name: 'grouped', exact: true }).waitFor();
    await show({ 'Served by group': '', 'Connected via gateway': 'gw-1', 'ext field': 'floor', 'ext value': 'two' });
    await page().getByText('12 devices in e2e-table.').waitFor();
    await page().getByRole('button', { name: 'Sort by device, descending' }).click();
    await page().waitForFunction(() => document.querySelector('tbody tr td:nth-child(2)')?.textContent === 's-23');
    await page().getByRole('checkbox', { name: 'Select s-23' }).check();
    await page().getByRole('checkbox', { name: 'Select s-21' }).check();
    await page().getByRole('button', { name: 'Delete selected' }).click();
    const dialog = page().getByRole('dialog', { name: 'Delete 2 devices?' });
    expect(await dialog.textContent()).to.include('s-23, s-21');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page().getByRole('status').filter({ hasText: 'Deleted 2 devices.' }).waitFor();
    expect((await admin('GET', '/denied-devices/e2e-table')).json).to.have.members(['s-21', 's-23']);
    await page().getByText('10 devices in e2e-table.').waitFor();
  });

  it('shows a device with its status and JSON, and says when the API changed it meanwhile', async function () {
    expect((await admin('POST', '/v1/tenants/e2e-device')).status).to.equal(201);
    expect((await admin('POST', '/v1/devices/e2e-device/thermo', { via: ['gw-a'], ext: { room: 'lab' } })).status).to.equal(201);
    await signIn(page(), suite.registry.base, BOOTSTRAP);
    await page().goto(`${suite.registry.base}/console#/devices/e2e-device/thermo`);
    await page().getByLabel('Gateways that may act for it (via)').waitFor();
    expect(await page().locator('.card', { has: page().getByRole('heading', { name: 'Status' }) }).textContent()).to.match(/Created\d{4}-.*Last changed bytok_/);
    expect(await page().getByLabel('Gateways that may act for it (via)').inputValue()).to.equal('gw-a');
    expect((await admin('PATCH', '/v1/devices/e2e-device/thermo', { ext: { room: 'hall' } }, { 'Content-Type': 'application/merge-patch+json' })).status).to.equal(204);
    await page().getByLabel('Groups it is a gateway in (memberOf)').fill('');
    await page().getByLabel('Gateways that may act for it (via)').fill('gw-a gw-b');
    await page().getByRole('button', { name: 'Save device' }).click();
    const alert = page().getByRole('alert').filter({ hasText: 'Someone else changed this device meanwhile' });
    await alert.waitFor();
    expect((await admin('GET', '/v1/devices/e2e-device/thermo')).json).to.deep.include({ via: ['gw-a'], ext: { room: 'hall' } });
    await alert.getByRole('button', { name: 'Reload' }).click();
    await page().waitForFunction(() => (document.getElementById('device-ext') as HTMLTextAreaElement | null)?.value.includes('hall'));
    await page().getByLabel('Gateways that may act for it (via)').fill('gw-a gw-b');
    await page().getByRole('button', { name: 'Save device' }).click();
    await page().getByRole('status').filter({ hasText: 'Saved device thermo.' }).waitFor();
    expect((await admin('GET', '/v1/devices/e2e-device/thermo')).json).to.deep.include({ via: ['gw-a', 'gw-b'], ext: { room: 'hall' } });
    await page().getByText('JSON', { exact: true }).click();
    await page().getByLabel('Device thermo as JSON').filter({ hasText: '"gw-b"' }).waitFor();
    await screenshot(page(), 'device');
    expect(await unnamedControls(page()), 'a device').to.deep.equal([]);
    expect(await overflow(page()), 'a device at 1280 px').to.equal(0);
  });

  it('adds a pre-shared key and an X.509 certificate from a PEM file, and removes credentials after a confirmation', async function () {
    expect((await admin('POST', '/v1/tenants/e2e-creds')).status).to.equal(201);
    expect((await admin('POST', '/v1/devices/e2e-creds/cam')).status).to.equal(201);
    const der = await selfSignedCert('/O=ACME/CN=cam-7', 'ec');
    await signIn(page(), suite.registry.base, BOOTSTRAP);
    await page().goto(`${suite.registry.base}/console#/devices/e2e-creds/cam`);
    await page().getByText('No credentials: the device cannot authenticate itself.').waitFor();
    await page().getByLabel('Type').selectOption('psk');
    await page().getByLabel('Auth-id').fill('cam-psk');
    await page().getByLabel('Key (Base64)').fill(Buffer.from('a shared key').toString('base64'));
    await page().getByRole('button', { name: 'Add credentials' }).click();
    await page().getByRole('status').filter({ hasText: 'Added psk credentials for cam-psk.' }).waitFor();
    await page().getByLabel('Type').selectOption('x509-cert');
    const pem = `-----BEGIN CERTIFICATE-----\n${der.replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;
    await page().getByLabel(/^Device certificate/).setInputFiles({ name: 'cam.pem', mimeType: 'application/x-pem-file', buffer: Buffer.from(pem) });
    await page().getByRole('button', { name: 'Add credentials' }).click();
    await page().getByRole('status').filter({ hasText: 'Added x509-cert credentials.' }).waitFor();
    await page().getByRole('cell', { name: 'CN=cam-7,O=ACME', exact: true }).waitFor();
    const stored = (await admin('GET', '/v1/credentials/e2e-creds/cam')).json as Json[];
    expect(stored.map((c) => [c.type, c['auth-id']])).to.deep.equal([['psk', 'cam-psk'], ['x509-cert', 'CN=cam-7,O=ACME']]);
    await page().getByRole('button', { name: 'Remove psk cam-psk' }).click();
    await page().getByRole('dialog', { name: 'Remove psk cam-psk?' }).getByRole('button', { name: 'Remove' }).click();
    await page().getByRole('status').filter({ hasText: 'Removed psk cam-psk.' }).waitFor();
    expect(((await admin('GET', '/v1/credentials/e2e-creds/cam')).json as Json[]).map((c) => c.type)).to.deep.equal(['x509-cert']);
  });

  it('works with the keyboard: sorts, selects and enables devices without a mouse', async function () {
    expect((await admin('POST', '/v1/tenants/e2e-keys')).status).to.equal(201);
    for (const id of ['k-1', 'k-2']) expect((await admin('POST', `/v1/devices/e2e-keys/${id}`, { enabled: false })).status).to.equal(201);
    await signIn(page(), suite.registry.base, BOOTSTRAP);
    await page().goto(`${suite.registry.base}/console#/devices?tenant=e2e-keys`);
    await page().getByText('2 devices in e2e-keys.').waitFor();
    const focused = () => page().evaluate(() => `${document.activeElement?.tagName} ${document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent ?? ''}`.trim());
    const tabTo = async (wanted: string) => {
      for (let i = 0; i < 60 && (await focused()) !== wanted; i++) await page().keyboard.press('Tab');
      expect(await focused()).to.equal(wanted);
    };
    await tabTo('BUTTON Sort by device, descending');
    await page().keyboard.press('Enter');
    await page().waitForFunction(() => document.querySelector('tbody tr td:nth-child(2)')?.textContent === 'k-2');
    await tabTo('INPUT Select k-1');
    await page().keyboard.press('Space');
    await page().getByText('1 selected').waitFor();
    await page().keyboard.press('Shift+Tab');
    await page().keyboard.press('Shift+Tab');
    await tabTo('BUTTON Enable selected');
    await page().keyboard.press('Enter');
    await page().getByRole('status').filter({ hasText: 'Enabled 1 device.' }).waitFor();
    expect(((await admin('GET', '/v1/devices/e2e-keys/k-1')).json as Json).enabled).to.equal(true);
    expect(((await admin('GET', '/v1/devices/e2e-keys/k-2')).json as Json).enabled).to.equal(false);
  });

  it('offers a read-only token no change: no selection, bulk action, creation, form or credentials', async function () {
    expect((await admin('POST', '/v1/tenants/e2e-read')).status).to.equal(201);
    expect((await admin('POST', '/v1/devices/e2e-read/seen')).status).to.equal(201);
    const reader = await mint(suite.registry.base, BOOTSTRAP, { scopes: ['devices:read'], tenants: ['e2e-read'] });
    await signIn(page(), suite.registry.base, reader.token);
    await visit(page(), 'Devices');
    await page().getByRole('button', { name: 'Show devices' }).click();
    await page().getByRole('link', { name: 'seen', exact: true }).click();
    await page().getByRole('heading', { name: 'Status' }).waitFor();
    for (const name of ['Save device', 'Delete device', 'Add credentials']) expect(await page().getByRole('button', { name }).count(), name).to.equal(0);
    expect(await page().getByRole('heading', { name: 'Credentials' }).count(), 'no credentials:read').to.equal(0);
    await page().goBack();
    await page().getByRole('link', { name: 'seen', exact: true }).waitFor();
    expect(await page().getByRole('checkbox').count(), 'no selection').to.equal(0);
    for (const name of ['Disable selected', 'Create device']) expect(await page().getByRole('button', { name }).count(), name).to.equal(0);
  });

  it('fits a 390 px screen', async function () {
    await suite.reopen(390, 844);
    expect((await admin('POST', '/v1/tenants/e2e-narrow')).status).to.equal(201);
    expect((await admin('POST', '/v1/devices/e2e-narrow/a-device-with-a-rather-long-identifier-0001')).status).to.equal(201);
    await signIn(page(), suite.registry.base, BOOTSTRAP);
    await page().goto(`${suite.registry.base}/console#/devices?tenant=e2e-narrow`);
    await page().getByText('1 device in e2e-narrow.').waitFor();
    expect(await overflow(page()), 'devices').to.equal(0);
    await page().getByRole('link', { name: 'a-device-with-a-rather-long-identifier-0001' }).click();
    await page().getByRole('button', { name: 'Save device' }).waitFor();
    expect(await overflow(page()), 'a device').to.equal(0);
  });
});
