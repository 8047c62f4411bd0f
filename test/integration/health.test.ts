import { connect } from 'node:net';
import { expect } from 'chai';
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js';
import { eventually } from '../helpers/eventually.js';
import { http, startTestRegistry, type TestRegistry } from '../helpers/registry.js';

describe('health probes', function () {
  this.timeout(20_000);
  let redis: TestRedis;
  let registry: TestRegistry;

  before(async function () {
    redis = await startTestRedis(['--appendonly', 'yes']);
    registry = await startTestRegistry({ REGISTRY_REDIS_URL: redis.url, REGISTRY_HTTP_AUTH: 'token', REGISTRY_BOOTSTRAP_TOKEN: 'health-probe-test-token-0123456789abcdef' });
  });

  after(async function () {
    await registry.stop();
    await redis.destroy();
  });

  it('answers /health and /ready with 200 and no token', async function () {
    expect(await http(registry.base, 'GET', '/health')).to.include({ status: 200 }).and.deep.include({ json: { status: 'ok' } });
    expect(await http(registry.base, 'GET', '/ready')).to.include({ status: 200 }).and.deep.include({ json: { status: 'ready' } });
  });

  it('answers /ready with 503 while Redis is down, /health with 200, and is ready again after Redis returns', async function () {
    await redis.stop();
    expect((await http(registry.base, 'GET', '/ready')).status).to.equal(503);
    expect((await http(registry.base, 'GET', '/health')).status).to.equal(200);
    await redis.restart();
    await eventually('/ready answering 200 again', async () => expect((await http(registry.base, 'GET', '/ready')).status).to.equal(200));
  });

  it('answers /ready with 503 once stopping begins, while /health still answers', async function () {
    const other = await startTestRegistry({ REGISTRY_REDIS_URL: redis.url });
    expect((await http(other.base, 'GET', '/ready')).status).to.equal(200);
    // Stopping refuses new connections and drains the requests in flight: requests whose heads
    // arrived before the stop (the rest of the head after it) are answered.
    const ready = await halfSentGet(other.registry.httpPort, '/ready');
    const health = await halfSentGet(other.registry.httpPort, '/health');
    const stopped = other.stop();
    try {
      // Redis is up (the first registry still answers /ready): the 503 comes from the stopping registry.
      expect(await ready.finish()).to.equal(503);
      expect((await http(registry.base, 'GET', '/ready')).status).to.equal(200);
      expect(await health.finish()).to.equal(200);
    } finally {
      await stopped;
    }
  });
});

/** A GET whose head is partly sent (the server has read it); `finish()` ends the head and resolves with the status. */
async function halfSentGet(port: number, path: string): Promise<{ finish(): Promise<number> }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  await new Promise((resolve) => socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n`, resolve));
  // The registry runs in this process: two turns of the event loop and it has read those bytes.
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
  let text = '';
  socket.on('data', (d) => (text += d.toString()));
  const closed = new Promise((resolve) => socket.once('close', resolve));
  return {
    async finish() {
      socket.end('Connection: close\r\n\r\n');
      await closed;
      return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
    },
  };
}
