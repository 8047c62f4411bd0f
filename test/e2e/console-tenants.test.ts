/**
 * The console's tenant pages in a real Chromium against the real registry (docs/console.md):
 * search and paging, creating, editing (adapters, a trusted CA from a PEM file, limits, ext),
 * disabling, an If-Match conflict with a change made through the API meanwhile, deleting after a
 * confirmation that names the devices that go.
 */
import { expect } from 'chai';
import { selfSignedCert } from '../integration/http/support.js';
import { BOOTSTRAP, overflow, screenshot, signIn, unnamedControls, useConsole, visit } from './support.js';

type Json = Record<string, unknown>;

/** A PEM file of a base64 DER certificate, as an operator would upload it. */
function pem(der: string): Buffer {
  return Buffer.from(`-----BEGIN CERTIFICATE-----\n${der.replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`);
}

describe('console in a browser: tenants', function () {
  this.timeout(60_000);
  const suite = useConsole();
  const page = () => suite.page;
  const admin = suite.admin;

  it('searches tenants by id with wildcards and pages through them with the total', async function () {
    for (let i = 0; i < 23; i++) expect((await admin('POST', `/v1/tenants/e2e-page-${String(i).padStart(2, '0')}`)).status).to.equal(201);
    await signIn(page(), suite.registry.base, BOOTSTRAP);
    await visit(page(), 'Tenants');
    await page().getByLabel('Tenant id (* and ? are wildcards)').fill('e2e-page');
    await page().getByRole('button', { name: 'Search' }).click();
    await page().getByText('23 tenants match *e2e-page*.').waitFor();
    expect(await page().getByRole('region', { name: 'Tenants' }).getByRole('row').count()).to.equal(21);
    await screenshot(page(), 'tenants');
    expect(await unnamedControls(page()), 'tenants').to.deep.equal([]);
    expect(await overflow(page()), 'tenants at 1280 px').to.equal(0);
    await page().getByRole('button', { name: 'Next page of tenants' }).click();
    await page().getByText('Tenants 21–23 of 23').waitFor();
    await page().getByRole('link', { name: 'e2e-page-22', exact: true }).waitFor();
    await page().getByLabel('Tenant id (* and ? are wildcards)').fill('e2e-page-1?');
    await page().getByRole('button', { name: 'Search' }).click();
    await page().getByText('10 tenants match e2e-page-1?.').waitFor();
  });

  it('creates a tenant and edits its adapters, a trusted CA from a PEM file, limits and ext, then disables it', async function () {
    const der = await selfSignedCert('/O=ACME/CN=e2e-ca', 'ec');
    await signIn(page(), suite.registry.base, BOOTSTRAP);
    await visit(page(), 'Tenants');
    await page().getByLabel('New tenant id').fill('e2e-edit');
    await page().getByRole('button', { name: 'Create tenant' }).click();
    await page().getByRole('heading', { level: 1, name: 'Tenant e2e-edit' }).waitFor();
    await page().getByLabel('Adapter type').fill('hono-mqtt');
    await page().getByRole('button', { name: 'Add adapter' }).click();
    await page().getByLabel('Add a CA certificate (PEM file)').setInputFiles({ name: 'ca.pem', mimeType: 'application/x-pem-file', buffer: pem(der) });
    await page().getByRole('button', { name: /^Remove trusted CA new certificate/ }).waitFor();
    await page().getByLabel('Most devices').fill('10');
    await page().getByLabel('ext (JSON object)').fill('{"customer": "ACME"}');
    await page().getByRole('button', { name: 'Save tenant' }).click();
    await page().getByRole('status').filter({ hasText: 'Saved tenant e2e-edit.' }).waitFor();
    const stored = (await admin('GET', '/v1/tenants/e2e-edit')).json as Json;
    expect(stored).to.deep.include({ adapters: [{ type: 'hono-mqtt', enabled: true, 'device-authentication-required': true }], 'registration-limits': { 'max-devices': 10 }, ext: { customer: 'ACME' } });
    expect((stored['trusted-ca'] as Json[])[0]).to.include({ 'subject-dn': 'CN=e2e-ca,O=ACME', algorithm: 'EC' });
    await page().getByRole('button', { name: 'Remove trusted CA CN=e2e-ca,O=ACME' }).waitFor();
    await page().evaluate(() => scrollTo(0, 0));
    await screenshot(page(), 'tenant');
    expect(await unnamedControls(page()), 'a tenant').to.deep.equal([]);
    expect(await overflow(page()), 'a tenant at 1280 px').to.equal(0);
    await page().getByLabel('Most credentials per device').fill('3');
    await page().getByRole('button', { name: 'Save tenant' }).click();
    await page().getByRole('status').filter({ hasText: 'Saved tenant e2e-edit.' }).waitFor();
    expect(((await admin('GET', '/v1/tenants/e2e-edit')).json as Json)['registration-limits'], 'saved again with the stored CA').to.deep.equal({ 'max-devices': 10, 'max-credentials-per-device': 3 });
    await page().getByRole('button', { name: 'Disable tenant' }).click();
    await page().getByRole('status').filter({ hasText: 'Disabled tenant e2e-edit.' }).waitFor();
    expect(((await admin('GET', '/v1/tenants/e2e-edit')).json as Json).enabled).to.equal(false);
  });

  it('says when the API changed the tenant meanwhile, overwrites nothing, and saves after a reload', async function () {
    expect((await admin('POST', '/v1/tenants/e2e-race', { ext: { owner: 'ops' } })).status).to.equal(201);
    await signIn(page(), suite.registry.base, BOOTSTRAP);
    await page().goto(`${suite.registry.base}/console#/tenants/e2e-race`);
    await page().getByLabel('ext (JSON object)').waitFor();
    expect((await admin('PATCH', '/v1/tenants/e2e-race', { ext: { owner: 'the api' } }, { 'Content-Type': 'application/merge-patch+json' })).status).to.equal(204);
    await page().getByLabel('Most devices').fill('5');
    await page().getByRole('button', { name: 'Save tenant' }).click();
    const alert = page().getByRole('alert').filter({ hasText: 'Someone else changed this tenant meanwhile' });
    await alert.waitFor();
    expect(((await admin('GET', '/v1/tenants/e2e-race')).json as Json)).to.deep.include({ ext: { owner: 'the api' } }).and.not.have.property('registration-limits');
    await alert.getByRole('button', { name: 'Reload' }).click();
    await page().waitForFunction(() => (document.getElementById('tenant-ext') as HTMLTextAreaElement | null)?.value.includes('the api'));
    await page().getByLabel('Most devices').fill('5');
    await page().getByRole('button', { name: 'Save tenant' }).click();
    await page().getByRole('status').filter({ hasText: 'Saved tenant e2e-race.' }).waitFor();
    expect((await admin('GET', '/v1/tenants/e2e-race')).json).to.deep.include({ ext: { owner: 'the api' }, 'registration-limits': { 'max-devices': 5 } });
  });

  it('deletes a tenant after a confirmation that says how many devices go with it', async function () {
    expect((await admin('POST', '/v1/tenants/e2e-gone')).status).to.equal(201);
    for (const id of ['a', 'b', 'c']) expect((await admin('POST', '/registration/e2e-gone', { 'device-id': id })).status).to.equal(201);
    await signIn(page(), suite.registry.base, BOOTSTRAP);
    await page().goto(`${suite.registry.base}/console#/tenants/e2e-gone`);
    await page().getByRole('button', { name: 'Delete tenant' }).click();
    const dialog = page().getByRole('dialog', { name: 'Delete tenant e2e-gone?' });
    expect(await dialog.textContent()).to.include('with its 3 devices and their credentials');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page().getByRole('status').filter({ hasText: 'Deleted tenant e2e-gone.' }).waitFor();
    expect((await admin('GET', '/v1/tenants/e2e-gone')).status).to.equal(404);
  });

  it('fits a 390 px screen', async function () {
    await suite.reopen(390, 844);
    expect((await admin('POST', '/v1/tenants/e2e-narrow-tenant-with-a-long-identifier')).status).to.equal(201);
    await signIn(page(), suite.registry.base, BOOTSTRAP);
    await visit(page(), 'Tenants');
    expect(await overflow(page()), 'tenants').to.equal(0);
    await page().getByRole('link', { name: 'e2e-narrow-tenant-with-a-long-identifier', exact: true }).click();
    await page().getByRole('button', { name: 'Save tenant' }).waitFor();
    expect(await overflow(page()), 'a tenant').to.equal(0);
  });
});
