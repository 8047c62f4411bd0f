/**
 * Eclipse Hono's own device registry for `make bench-peer`: the file-based registry of Hono 1.0.3
 * and the Auth Server it authenticates AMQP clients through, both run from their jars on Maven
 * Central (bench/peer/pom.xml) with a generated configuration: loopback ports, no TLS, the data
 * files of bench/peer.ts, a permissions file with the load client's account, and a shared secret
 * for the tokens the Auth Server signs and the registry checks. Options are Hono's own
 * (`hono.*`, set through an application.yml that Spring Boot reads; JSON is valid YAML).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { freePort } from '../test/helpers/redis-server.js';
import { start, type Child, type Spawned } from './processes.js';

const PEER_DIR = fileURLToPath(new URL('./peer/', import.meta.url));
export const HONO_VERSION = /<hono\.version>([^<]+)<\/hono\.version>/.exec(readFileSync(join(PEER_DIR, 'pom.xml'), 'utf8'))?.[1] ?? 'unknown';

/** The account the load client uses; Hono's protocol adapters hold the same authorities. */
const CLIENT = { username: 'bench-client@HONO', password: randomBytes(12).toString('hex') };

/**
 * The classpath of a profile of bench/peer/pom.xml ('registry' or 'auth'), resolved by Maven
 * once and kept in bench/peer/target/ until the pom changes.
 */
export function classpath(profile: 'registry' | 'auth'): string {
  const file = join(PEER_DIR, 'target', `${profile}.classpath`);
  const pom = join(PEER_DIR, 'pom.xml');
  if (!existsSync(file) || statSync(file).mtimeMs < statSync(pom).mtimeMs) {
    mkdirSync(join(PEER_DIR, 'target'), { recursive: true });
    try {
      execFileSync('mvn', ['-B', '-q', '-f', pom, '-P', profile, 'dependency:build-classpath', `-Dmdep.outputFile=${file}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const out = err as { stdout?: Buffer; stderr?: Buffer; message: string };
      throw new Error(`mvn could not resolve Hono's ${profile} (${HONO_VERSION}) from Maven Central: ${out.message}\n${String(out.stdout ?? '')}${String(out.stderr ?? '')}`, { cause: err });
    }
  }
  return readFileSync(file, 'utf8').trim();
}

/** The roles and users of the Auth Server: the load client may use the three lookup APIs. */
function permissions(): unknown {
  const lookups = ['registration', 'credentials', 'tenant'].flatMap((api) => [
    { resource: api === 'tenant' ? 'tenant' : `${api}/*`, activities: ['READ', 'WRITE'] },
    { operation: `${api}/*:*`, activities: ['EXECUTE'] },
  ]);
  return { roles: { 'bench-lookups': lookups }, users: { [CLIENT.username]: { mechanism: 'PLAIN', password: CLIENT.password, authorities: ['hono-component', 'bench-lookups'] } } };
}

export interface HonoOptions {
  /** Directory with Hono's tenants.json, device-identities.json and credentials.json. */
  readonly dataDir: string;
  /** hono.app.maxInstances of the registry (verticle instances); Hono's example deployment runs 1. */
  readonly instances: number;
  /** Options for both JVMs, e.g. -Xmx512m (split at spaces). */
  readonly javaOptions: readonly string[];
  readonly maxDevicesPerTenant: number;
}

export interface HonoRegistry extends Child {
  readonly amqpPort: number;
  readonly httpPort: number;
  readonly username: string;
  readonly password: string;
  /** The Auth Server's process (busy only while connections open). */
  readonly authPid: number | undefined;
}

/** Waits until GET /readiness of a Hono health check server answers 2xx. */
async function ready(child: Spawned, port: number, name: string, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.pid === undefined || !existsSync(`/proc/${child.pid}`)) throw new Error(`${name} exited:\n${child.output.slice(-30).join('\n')}`);
    if (await fetch(`http://localhost:${port}/readiness`).then((r) => r.ok, () => false)) return;
    if (Date.now() > deadline) throw new Error(`${name} not ready within ${timeoutMs} ms:\n${child.output.slice(-30).join('\n')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A JVM running `main` on the profile's classpath with `config` as its application.yml. */
function java(profile: 'registry' | 'auth', main: string, config: unknown, o: HonoOptions, dir: string, springProfiles?: string): Spawned {
  const configDir = join(dir, profile);
  mkdirSync(configDir);
  writeFileSync(join(configDir, 'application.yml'), JSON.stringify(config, null, 2));
  const env: Record<string, string> = { SPRING_CONFIG_LOCATION: `file:${configDir}/` };
  if (springProfiles !== undefined) env.SPRING_PROFILES_ACTIVE = springProfiles;
  return start([...o.javaOptions, '-cp', classpath(profile), main], env, `Hono ${profile}`, 'java');
}

/** Starts Hono's Auth Server and device registry; the registry loads the data files at start-up. */
export async function startHono(o: HonoOptions): Promise<HonoRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'registry-bench-hono-'));
  const [authPort, authHealth, amqpPort, httpPort, registryHealth] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  // At least 32 bytes (Hono's SignatureSupportingConfigProperties).
  const secret = randomBytes(24).toString('hex');
  const health = (port: number) => ({ insecurePortBindAddress: 'localhost', insecurePort: port });
  writeFileSync(join(dir, 'permissions.json'), JSON.stringify(permissions()));
  const stops: Spawned[] = [];
  const stopAll = async () => {
    for (const child of stops.reverse()) await child.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const auth = java('auth', 'org.eclipse.hono.service.auth.impl.Application', {
      hono: {
        app: { maxInstances: 1 },
        auth: { amqp: { insecurePortEnabled: true, insecurePort: authPort, insecurePortBindAddress: '127.0.0.1' }, svc: { permissionsPath: `file://${join(dir, 'permissions.json')}`, signing: { sharedSecret: secret, tokenExpiration: 86_400 } } },
        healthCheck: health(authHealth),
      },
    }, o, dir, 'authentication-impl');
    stops.push(auth);
    await ready(auth, authHealth, 'Hono Auth Server');
    const svc = (file: string, extra: Record<string, unknown> = {}) => ({ filename: join(o.dataDir, file), saveToFile: false, ...extra });
    const registry = java('registry', 'org.eclipse.hono.deviceregistry.Application', {
      hono: {
        app: { maxInstances: o.instances },
        auth: { host: '127.0.0.1', port: authPort, name: 'bench device registry', validation: { sharedSecret: secret } },
        registry: {
          amqp: { insecurePortEnabled: true, insecurePort: amqpPort, insecurePortBindAddress: '127.0.0.1' },
          rest: { insecurePortEnabled: true, insecurePort: httpPort, insecurePortBindAddress: '127.0.0.1' },
          svc: svc('device-identities.json', { maxDevicesPerTenant: o.maxDevicesPerTenant }),
        },
        credentials: { svc: svc('credentials.json') },
        tenant: { svc: svc('tenants.json') },
        healthCheck: health(registryHealth),
      },
    }, o, dir);
    stops.push(registry);
    await ready(registry, registryHealth, 'Hono device registry');
    return { pid: registry.pid, authPid: auth.pid, output: registry.output, amqpPort, httpPort, ...CLIENT, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
