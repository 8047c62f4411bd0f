/**
 * The denied devices of a tenant (README "Denied devices"), beside the legacy resources.
 */
import { badRequest } from '../../errors.js';
import { DEFAULT_PAGE, MAX_PAGE, cursorOf, enc, noContent, p, pageSize, single, type Route } from '../route.js';

export const DENIED_DEVICE_ROUTES: readonly Route[] = [
  {
    method: 'GET', path: '/denied-devices/{tenantId}', operationId: 'listDeniedDevices', tenant: 'path', audit: false, tag: 'devices', scopes: ['devices:read'],
    summary: 'List the ids of denied devices (paged; a Link header names the next page)',
    query: [
      { name: 'limit', description: `Page size, 1–${MAX_PAGE} (default ${DEFAULT_PAGE}).`, schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE, examples: [10] } },
      { name: 'cursor', description: 'Where the page starts (exclusive): the cursor of the previous page\'s Link header, the last id of that page.', schema: { type: 'string', maxLength: 256, examples: ['4711'] } },
    ],
    success: { status: 200, description: 'Denied device ids', schema: 'id-list', link: true }, errors: [400, 404],
    handle: async (s, i) => {
      const tenantId = p(i, 'tenantId');
      const limit = pageSize(single(i, 'limit'));
      const { ids, next } = await s.devices.listDenied(tenantId, cursorOf(single(i, 'cursor')), limit);
      const link = next === undefined ? undefined : `</denied-devices/${enc(tenantId)}?cursor=${enc(next)}&limit=${limit}>; rel="next"`;
      return { status: 200, json: JSON.stringify(ids), ...(link === undefined ? {} : { headers: { Link: link } }) };
    },
  },
  {
    method: 'DELETE', path: '/denied-devices/{tenantId}/{deviceId}', operationId: 'releaseDeniedDevice', tenant: 'path', audit: true, tag: 'devices',
    scopes: ['devices:delete'], queryScopes: { param: 'purge', value: 'true', scopes: ['devices:purge'] },
    summary: 'Restore a denied device (its registration, not its credentials), or with purge=true forget it for good',
    query: [{ name: 'purge', description: 'true: forget the device; its id and identities are free again (needs devices:purge).', schema: { enum: ['true', 'false'], examples: ['false'] } }],
    success: { status: 204, description: 'Restored, or purged' }, errors: [404],
    handle: async (s, i) => {
      const [tenantId, deviceId] = [p(i, 'tenantId'), p(i, 'deviceId')];
      const purge = single(i, 'purge');
      if (purge !== undefined && purge !== 'true' && purge !== 'false') throw badRequest('purge must be true or false');
      await (purge === 'true' ? s.devices.purgeDenied(tenantId, deviceId) : s.devices.restoreDenied(tenantId, deviceId));
      return noContent;
    },
  },
];
