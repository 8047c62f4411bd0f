/**
 * Real messaging systems for the notification tests (make test-notifications): a single-node
 * Apache Kafka in KRaft mode and an embedded ActiveMQ Artemis, both from Maven Central artifacts
 * (test/brokers/pom.xml), each a JVM of its own on free loopback ports with a temp directory.
 * Maven is asked for the class path once (cached in .cache/brokers/, its downloads in ~/.m2).
 * A broker can be stopped (SIGKILL: an outage) and started again on the same ports and data.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './redis-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const POM = join(ROOT, 'test/brokers/pom.xml');
const CACHE = join(ROOT, '.cache/brokers');
const CLASSPATH_FILE = join(CACHE, 'classpath.txt');
const LOG4J = join(CACHE, 'log4j.properties');

/** The brokers' class path; resolved by Maven when the cache is missing or older than the POM. */
export function brokerClasspath(): string {
  if (!existsSync(CLASSPATH_FILE) || statSync(CLASSPATH_FILE).mtimeMs < statSync(POM).mtimeMs) {
    mkdirSync(CACHE, { recursive: true });
    const mvn = spawnSync('mvn', ['-B', '-ntp', '-q', '-f', POM, 'dependency:build-classpath', `-Dmdep.outputFile=${CLASSPATH_FILE}`], { encoding: 'utf8' });
    if (mvn.status !== 0) throw new Error(`Maven could not resolve the brokers (make test-notifications installs Java and Maven):\n${mvn.stdout}${mvn.stderr}`);
    writeFileSync(LOG4J, 'log4j.rootLogger=WARN, out\nlog4j.appender.out=org.apache.log4j.ConsoleAppender\nlog4j.appender.out.layout=org.apache.log4j.PatternLayout\nlog4j.appender.out.layout.ConversionPattern=%p %m (%c)%n\n');
  }
  return readFileSync(CLASSPATH_FILE, 'utf8').trim();
}

export interface Broker {
  /** `host:port` (Kafka bootstrap) or the AMQP port. */
  readonly address: string;
  readonly port: number;
  /** Kills the broker (SIGKILL) and waits for its exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** Resolves once a TCP connection to the port succeeds. */
async function portOpen(port: number, child: ChildProcess, output: string[]): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`broker exited with ${child.exitCode}:\n${output.join('')}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`broker port ${port} did not open:\n${output.join('')}`);
}

function java(args: string[], output: string[]): ChildProcess {
  const child = spawn('java', ['-Xmx384m', '-XX:+UseSerialGC', `-Dlog4j.configuration=file:${LOG4J}`, '-cp', brokerClasspath(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  return child;
}

/** A broker process that can be killed and started again. */
function restartable(port: number, address: string, dir: string, launch: (output: string[]) => Promise<ChildProcess>): Broker {
  let child: ChildProcess | undefined;
  const broker: Broker = {
    address,
    port,
    async start() {
      const output: string[] = [];
      child = await launch(output);
      try {
        await portOpen(port, child, output);
      } catch (err) {
        await broker.stop();
        throw err;
      }
    },
    async stop() {
      const running = child;
      child = undefined;
      if (running === undefined || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await exited;
    },
    async destroy() {
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return broker;
}

/** A single-node Kafka (broker and KRaft controller) on free loopback ports; topics are created on first use. */
export async function startKafka(): Promise<Broker> {
  const [port, controller] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'notify-kafka-'));
  const properties = join(dir, 'server.properties');
  writeFileSync(properties, [
    'process.roles=broker,controller', 'node.id=1', `controller.quorum.voters=1@127.0.0.1:${controller}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}`, `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER', 'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT', 'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${join(dir, 'data')}`, 'num.partitions=3', 'offsets.topic.replication.factor=1', 'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1', 'transaction.state.log.min.isr=1', 'group.initial.rebalance.delay.ms=0', 'auto.create.topics.enable=true',
  ].join('\n'));
  const format = spawnSync('java', [`-Dlog4j.configuration=file:${LOG4J}`, '-cp', brokerClasspath(), 'kafka.tools.StorageTool', 'format', '-t', 'MkU3OEVBNTcwNTJENDM2Qk', '-c', properties], { encoding: 'utf8' });
  if (format.status !== 0) throw new Error(`kafka storage format failed:\n${format.stdout}${format.stderr}`);
  const broker = restartable(port, `127.0.0.1:${port}`, dir, async (output) => java(['kafka.Kafka', properties], output));
  await broker.start();
  return broker;
}

/** An ActiveMQ Artemis with an AMQP acceptor; `notification/…` addresses are multicast (test/brokers/Artemis.java). */
export async function startArtemis(): Promise<Broker> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'notify-artemis-'));
  const source = join(ROOT, 'test/brokers/Artemis.java');
  const broker = restartable(port, `127.0.0.1:${port}`, dir, async (output) => java([source, String(port), dir], output));
  await broker.start();
  return broker;
}
