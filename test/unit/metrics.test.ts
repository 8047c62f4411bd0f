/**
 * The metrics of one registry: its own prom-client registry (several registries in one process
 * keep separate counts), label children reused, and docs/metrics.md naming every family.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { createMetrics } from '../../src/metrics.js';
import { FastHistogram } from '../../src/metrics-histogram.js';

const families = (text: string) => [...text.matchAll(/^# TYPE (registry_\w+) /gm)].map((m) => m[1] as string);

describe('metrics', function () {
  it('keeps separate counts per registry', async function () {
    const one = createMetrics();
    const two = createMetrics();
    one.httpRequest('getTenant', 'GET', 200, 0.001);
    one.httpRequest('getTenant', 'GET', 200, 0.002);
    two.httpRequest('getTenant', 'GET', 404, 0.001);
    const text = (await one.exposition()).text;
    expect(text).to.include('registry_http_request_duration_seconds_count{operation="getTenant",method="GET",status="200"} 2');
    expect(text).to.not.include('status="404"');
  });

  it('exposes the hot-path histograms in the Prometheus format, a value on a bound counting in that bucket', async function () {
    const registry = new Registry();
    const histogram = new FastHistogram('test_seconds', 'Test.', ['op'], [0.1, 1], registry);
    const series = histogram.series('get');
    for (const value of [0.05, 0.1, 0.5, 1, 7]) series.observe(value);
    const text = await registry.metrics();
    expect(text).to.include('# HELP test_seconds Test.\n# TYPE test_seconds histogram');
    expect(text).to.include('test_seconds_bucket{op="get",le="0.1"} 2');
    expect(text).to.include('test_seconds_bucket{op="get",le="1"} 4');
    expect(text).to.include('test_seconds_bucket{op="get",le="+Inf"} 5');
    expect(text).to.include('test_seconds_sum{op="get"} 8.65');
    expect(text).to.include('test_seconds_count{op="get"} 5');
  });

  it('reads the AMQP gauges at scrape time', async function () {
    const metrics = createMetrics();
    let connections = 3;
    metrics.amqpGauges(() => ({ connections, requestLinks: 5, replyLinks: 4 }));
    expect((await metrics.exposition()).text).to.include('registry_amqp_connections 3').and.include('registry_amqp_links{role="request"} 5');
    connections = 1;
    expect((await metrics.exposition()).text).to.include('registry_amqp_connections 1');
  });

  it('is listed completely in docs/metrics.md', async function () {
    const metrics = createMetrics();
    metrics.amqpRequest('tenant', 'get', 200, 0.001);
    const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
    const names = families((await metrics.exposition()).text);
    expect(names.length).to.be.at.least(9);
    for (const name of names) expect(doc, name).to.include(`\`${name}\``);
  });
});
