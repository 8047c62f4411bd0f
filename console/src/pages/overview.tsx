/**
 * The overview: what an operator glances at. This instance's lookups per second and their latency
 * over the last minutes (GET /overview, sampled by the registry itself), Redis, the tenants, and
 * the signed-in token's grants. It refreshes itself at the registry's sampling interval.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf } from '../api';
import { LineChart } from '../components/line-chart';
import { Notice } from '../components/notice';
import { Page } from '../components/page';
import { bytes, num, when } from '../format';
import { can, type Grants } from '../grants';
import { search } from '../v1';

interface Sample { readonly time: string; readonly 'per-second': number; readonly 'p50-ms': number | null; readonly 'p99-ms': number | null }
interface Redis { readonly status: 'up' | 'down'; readonly mode?: string; readonly version?: string; readonly masters?: number; readonly 'used-memory-bytes'?: number; readonly 'round-trip-ms'?: number; readonly error?: string }
export interface OverviewData { readonly lookups?: { readonly 'interval-seconds': number; readonly samples: readonly Sample[] }; readonly redis: Redis; readonly tenants?: number }

/** Polls GET /overview every `interval-seconds` (at least 2 s) while the page is open. */
function useOverview(): { data: OverviewData | undefined; error: string | undefined } {
  const [data, setData] = useState<OverviewData>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let live = true;
    const load = async () => {
      let interval = 5;
      try {
        const { body } = await api<OverviewData>('GET', '/overview');
        if (!live) return;
        setData(body);
        setError(undefined);
        interval = body.lookups?.['interval-seconds'] ?? interval;
      } catch (err) {
        if (live) setError(messageOf(err));
      }
      if (live) timer = setTimeout(load, Math.max(2, interval) * 1000);
    };
    void load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, []);
  return { data, error };
}

function Lookups({ lookups }: { lookups: NonNullable<OverviewData['lookups']> }) {
  const { samples } = lookups;
  if (samples.length === 0) return <p class="card wide">Collecting: the first sample of lookups comes {lookups['interval-seconds']} seconds after the registry started.</p>;
  const times = samples.map((s) => s.time);
  const seconds = samples.length * lookups['interval-seconds'];
  const span = seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
  return (
    <>
      <div class="card half">
        <LineChart title={`Lookups per second, last ${span}`} unit="per second" times={times}
          series={[{ name: 'Lookups', values: samples.map((s) => s['per-second']), className: 'series-a' }]} />
      </div>
      <div class="card half">
        <LineChart title={`Lookup latency, last ${span}`} unit="ms" times={times}
          series={[
            { name: 'Median', values: samples.map((s) => s['p50-ms']), className: 'series-a' },
            { name: '99th percentile', values: samples.map((s) => s['p99-ms']), className: 'series-b' },
          ]} />
      </div>
    </>
  );
}

function RedisCard({ redis }: { redis: Redis }) {
  return (
    <div class="card">
      <h2>Redis</h2>
      <p class={`state ${redis.status}`}>{redis.status === 'up' ? 'Up' : 'Down'}</p>
      {redis.status === 'up' ? (
        <dl>
          <dt>Mode</dt><dd>{redis.mode}{redis.mode === 'cluster' ? `, ${redis.masters} masters` : ''}</dd>
          <dt>Version</dt><dd>{redis.version}</dd>
          <dt>Memory</dt><dd>{bytes(redis['used-memory-bytes'] ?? 0)}</dd>
          <dt>Status read in</dt><dd>{num(redis['round-trip-ms'] ?? 0, 2)} ms</dd>
        </dl>
      ) : <p>{redis.error}</p>}
    </div>
  );
}

/** At most this many tenants are counted (one search each, once when the page opens). */
const COUNTED_TENANTS = 200;

/** The devices of the token's tenants: the totals of a size-0 device search in each. */
function useDeviceCount(grants: Grants): { devices: number; tenants: number; more: boolean } | undefined {
  const [count, setCount] = useState<{ devices: number; tenants: number; more: boolean }>();
  useEffect(() => {
    if (!can(grants, 'tenants:read') || !can(grants, 'devices:read')) return;
    let live = true;
    (async () => {
      const tenants = await search<{ id: string }>('/v1/tenants', { pageSize: COUNTED_TENANTS });
      const totals = await Promise.all(tenants.result.map((t) => search(`/v1/devices/${encodeURIComponent(t.id)}`, { pageSize: 0 }).then((r) => r.total)));
      if (live) setCount({ devices: totals.reduce((a, b) => a + b, 0), tenants: tenants.total, more: tenants.total > tenants.result.length });
    })().catch(() => undefined);
    return () => void (live = false);
  }, []);
  return count;
}

function DevicesCard({ grants }: { grants: Grants }) {
  const count = useDeviceCount(grants);
  if (count === undefined) return null;
  return (
    <div class="card">
      <h2>Devices</h2>
      <p class="figure">{num(count.devices, 0)}</p>
      <p class="hint">{count.more ? `in the first ${COUNTED_TENANTS} of ${count.tenants} tenants` : `in ${count.tenants} tenant${count.tenants === 1 ? '' : 's'}`}</p>
    </div>
  );
}

function GrantsCard({ grants }: { grants: Grants }) {
  return (
    <div class="card">
      <h2>Signed in</h2>
      <dl>
        <dt>Token</dt><dd><code>{grants['token-id']}</code></dd>
        <dt>Scopes</dt><dd>{grants.scopes.join(', ')}</dd>
        <dt>Tenants</dt><dd>{grants.tenants.join(', ')}</dd>
        <dt>Expires</dt><dd>{when(grants.expires)}</dd>
      </dl>
    </div>
  );
}

export function Overview({ grants }: { grants: Grants }) {
  const { data, error } = useOverview();
  return (
    <Page title="Overview" intro="Lookups are the AMQP requests of protocol adapters that this registry instance answered; each instance keeps its own.">
      <Notice notice={error === undefined ? undefined : { kind: 'error', text: error }} />
      <div class="cards">
        {data?.lookups !== undefined && <Lookups lookups={data.lookups} />}
        {data !== undefined && <RedisCard redis={data.redis} />}
        {data?.tenants !== undefined && (
          <div class="card"><h2>Tenants</h2><p class="figure">{num(data.tenants, 0)}</p></div>
        )}
        <DevicesCard grants={grants} />
        <GrantsCard grants={grants} />
      </div>
    </Page>
  );
}
