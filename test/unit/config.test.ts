import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../../src/config.js';

describe('config', function () {
  it('defaults to HTTP on 127.0.0.1:28080, the embedded Redis in ./data and bcrypt cost 10', function () {
    const config = loadConfig({});
    expect(config.http).to.include({ port: 28080, bindAddress: '127.0.0.1' });
    expect(config.redis).to.include({ url: undefined, dataDir: './data', serverBinary: 'redis-server' });
    expect(config.credentials).to.deep.equal({ maxBcryptCost: 10, bcryptCost: 10 });
    expect(config.logLevel).to.equal('info');
  });

  it('reads every variable and freezes the result', function () {
    const config = loadConfig({
      REGISTRY_HTTP_PORT: '8080', REGISTRY_BIND_ADDRESS: '0.0.0.0', REGISTRY_REDIS_URL: 'redis://r:6379/2',
      REGISTRY_DATA_DIR: '/var/lib/registry', REGISTRY_MAX_BCRYPT_COST: '12', REGISTRY_BCRYPT_COST: '11', REGISTRY_LOG_LEVEL: 'debug',
    });
    expect(config.http.port).to.equal(8080);
    expect(config.redis.url).to.equal('redis://r:6379/2');
    expect(config.credentials).to.deep.equal({ maxBcryptCost: 12, bcryptCost: 11 });
    expect(Object.isFrozen(config.http)).to.equal(true);
  });

  it('reports every problem at once in one ConfigError', function () {
    try {
      loadConfig({ REGISTRY_HTTP_PORT: '70000', REGISTRY_REDIS_URL: 'http://x', REGISTRY_MAX_BCRYPT_COST: '3', REGISTRY_LOG_LEVEL: 'chatty' });
      expect.fail('loadConfig accepted invalid values');
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      const { problems } = err as ConfigError;
      expect(problems).to.have.length(4);
      expect((err as Error).message).to.include('REGISTRY_HTTP_PORT').and.include('REGISTRY_REDIS_URL').and.include('REGISTRY_LOG_LEVEL');
    }
  });

  it('rejects a hashing cost above the accepted maximum', function () {
    expect(() => loadConfig({ REGISTRY_MAX_BCRYPT_COST: '8', REGISTRY_BCRYPT_COST: '9' })).to.throw(ConfigError, /must not exceed/);
  });

  it('reads Redis Cluster seed nodes: host:port, IPv6 in brackets, duplicates once', function () {
    const config = loadConfig({ REGISTRY_REDIS_CLUSTER_NODES: ' redis-a:7000, 10.0.0.2:7001,[::1]:7002,redis-a:7000 ' });
    expect(config.redis.cluster).to.deep.equal({ nodes: [{ host: 'redis-a', port: 7000 }, { host: '10.0.0.2', port: 7001 }, { host: '::1', port: 7002 }] });
    expect(config.redis.url).to.equal(undefined);
    expect(loadConfig({}).redis.cluster).to.equal(undefined);
  });

  it('reads AUTH credentials from redis:// seed entries; they apply to every node', function () {
    const config = loadConfig({ REGISTRY_REDIS_CLUSTER_NODES: 'redis://registry:p%40ss@redis-a:7000,redis-b:7000,redis://registry:p%40ss@[::1]:7002/' });
    expect(config.redis.cluster).to.deep.equal({
      nodes: [{ host: 'redis-a', port: 7000 }, { host: 'redis-b', port: 7000 }, { host: '::1', port: 7002 }], username: 'registry', password: 'p@ss',
    });
    expect(loadConfig({ REGISTRY_REDIS_CLUSTER_NODES: 'redis://:pw@a:1' }).redis.cluster).to.deep.equal({ nodes: [{ host: 'a', port: 1 }], password: 'pw' });
  });

  it('rejects bad cluster seed lists, each entry named, and a cluster together with REGISTRY_REDIS_URL', function () {
    const problems = (env: Record<string, string>): readonly string[] => {
      try {
        loadConfig(env);
      } catch (err) {
        expect(err).to.be.instanceOf(ConfigError);
        return (err as ConfigError).problems;
      }
      return expect.fail(`accepted ${JSON.stringify(env)}`);
    };
    for (const bad of ['redis-a', 'redis-a:', ':7000', 'redis-a:0', 'redis-a:65536', 'redis-a:7000,', 'rediss://a:7000', 'redis://a', 'redis://a:7000/1', '::1:7000', 'a b:7000', 'a:7000:1']) {
      const found = problems({ REGISTRY_REDIS_CLUSTER_NODES: bad });
      expect(found, bad).to.have.length(1);
      expect(found[0], bad).to.include('REGISTRY_REDIS_CLUSTER_NODES').and.include('host:port');
    }
    expect(problems({ REGISTRY_REDIS_CLUSTER_NODES: 'a:1,b,c:x' })).to.have.length(2);
    const secret = problems({ REGISTRY_REDIS_CLUSTER_NODES: 'redis://u:hunter2@a:7000/9' });
    expect(secret.join(' ')).to.include('an entry with credentials').and.not.include('hunter2');
    expect(problems({ REGISTRY_REDIS_CLUSTER_NODES: 'redis://:one@a:1,redis://:two@b:1' })[0]).to.include('different credentials').and.not.include('one');
    const both = problems({ REGISTRY_REDIS_CLUSTER_NODES: 'a:7000', REGISTRY_REDIS_URL: 'redis://b:6379' });
    expect(both).to.deep.equal(['REGISTRY_REDIS_URL and REGISTRY_REDIS_CLUSTER_NODES exclude each other: set one of them']);
  });

  it('configures no notifications by default, and Kafka, AMQP or both when asked', function () {
    expect(loadConfig({}).notifications).to.equal(undefined);
    const kafka = loadConfig({
      REGISTRY_NOTIFICATION_KAFKA_BROKERS: 'k1:9092, k2:9093', REGISTRY_NOTIFICATION_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      REGISTRY_NOTIFICATION_KAFKA_SASL_USERNAME: 'reg', REGISTRY_NOTIFICATION_KAFKA_SASL_PASSWORD: 'pw', REGISTRY_NOTIFICATION_KAFKA_TLS_CA: '/ca.pem',
    }).notifications;
    expect(kafka?.kafka).to.deep.equal({ brokers: ['k1:9092', 'k2:9093'], clientId: 'device-registry', tls: { caFile: '/ca.pem', certFile: undefined, keyFile: undefined }, sasl: { mechanism: 'scram-sha-512', username: 'reg', password: 'pw' } });
    expect(kafka).to.include({ amqp: undefined, maxPending: 1_000_000, retryMinMs: 500, retryMaxMs: 30_000, leaseMs: 10_000, pollMs: 1000, sweepMs: 60_000, backlogWarn: 1000 });
    const amqp = loadConfig({ REGISTRY_NOTIFICATION_AMQP_URL: 'amqps://hono%40HONO:s%3Acret@router.local', REGISTRY_NOTIFICATION_KAFKA_BROKERS: 'k:9092' }).notifications;
    expect(amqp?.amqp).to.deep.equal({ host: 'router.local', port: 5671, tls: { caFile: undefined, certFile: undefined, keyFile: undefined }, username: 'hono@HONO', password: 's:cret' });
    expect(amqp?.kafka?.tls, 'plain Kafka').to.equal(undefined);
    expect(loadConfig({ REGISTRY_NOTIFICATION_AMQP_URL: 'amqp://[::1]', REGISTRY_NOTIFICATION_AMQP_USERNAME: 'u', REGISTRY_NOTIFICATION_AMQP_PASSWORD: 'p' }).notifications?.amqp)
      .to.deep.equal({ host: '::1', port: 5672, tls: undefined, username: 'u', password: 'p' });
  });

  it('rejects bad notification settings without repeating a password', function () {
    const problems = (env: Record<string, string>): string[] => {
      try {
        loadConfig(env);
      } catch (err) {
        return (err as ConfigError).problems as string[];
      }
      return expect.fail('accepted');
    };
    expect(problems({ REGISTRY_NOTIFICATION_AMQP_URL: 'http://u:hunter2@x' }).join()).to.include('amqp://').and.not.include('hunter2');
    expect(problems({ REGISTRY_NOTIFICATION_KAFKA_BROKERS: 'k', REGISTRY_NOTIFICATION_KAFKA_SASL_MECHANISM: 'plain' })).to.have.length(2);
    expect(problems({ REGISTRY_NOTIFICATION_KAFKA_BROKERS: 'k:1', REGISTRY_NOTIFICATION_RETRY_MIN_MS: '5000', REGISTRY_NOTIFICATION_RETRY_MAX_MS: '1000' })[0]).to.include('RETRY_MAX_MS');
  });

  it('is documented completely in the README configuration table (the notification variables in docs/notifications.md)', function () {
    const rows = (file: string) => [...readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8').matchAll(/^\| `(REGISTRY_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    const readme = rows('README.md');
    expect(readme.filter((name) => name?.startsWith('REGISTRY_NOTIFICATION_')), 'a row `REGISTRY_NOTIFICATION_…` points to docs/notifications.md').to.deep.equal([]);
    expect([...readme, ...rows('docs/notifications.md')]).to.deep.equal(CONFIG_VARIABLES.map((v) => v.name));
  });
});
