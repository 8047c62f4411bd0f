/**
 * Static checks of the container files (there is no Docker engine to build or run them here):
 * docker-compose.yml is read with the yaml parser, the Dockerfile with a small instruction parser.
 */
import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { CONFIG_VARIABLES } from '../../src/config.js';

const ROOT = new URL('../../', import.meta.url);

function readRepoFile(path: string): string {
  return readFileSync(new URL(path, ROOT), 'utf8');
}

// ---------------------------------------------------------------------------------------------
// Dockerfile parsing
// ---------------------------------------------------------------------------------------------

interface Instruction {
  /** Upper-cased keyword, e.g. COPY. */
  readonly keyword: string;
  /** Everything after the keyword, continuations joined. */
  readonly args: string;
  /** 1-based line the instruction starts on. */
  readonly line: number;
}

interface Stage {
  readonly from: Instruction;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

/**
 * Splits a Dockerfile into instructions: drops comments and blank lines, honours the default
 * escape character `\` for line continuations (comment lines inside a continuation are skipped,
 * as BuildKit does).
 */
function parseDockerfile(text: string): Instruction[] {
  const lines = text.split(/\r?\n/);
  const instructions: Instruction[] = [];
  let buffer = '';
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (buffer === '' && trimmed === '')) continue;
    if (buffer === '') start = i + 1;
    const continued = /\\\s*$/.test(raw);
    buffer += (buffer === '' ? '' : ' ') + (continued ? raw.replace(/\\\s*$/, '') : raw).trim();
    if (continued) continue;
    const match = /^(\S+)\s*(.*)$/s.exec(buffer);
    if (match) instructions.push({ keyword: (match[1] ?? '').toUpperCase(), args: (match[2] ?? '').trim(), line: start });
    buffer = '';
  }
  if (buffer !== '') throw new Error(`Dockerfile ends inside a line continuation (instruction at line ${start})`);
  return instructions;
}

function stagesOf(instructions: readonly Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const name = /\sAS\s+(\S+)\s*$/i.exec(instruction.args)?.[1];
      stages.push({ from: instruction, name, instructions: [] });
    } else {
      const current = stages.at(-1);
      if (current) current.instructions.push(instruction);
      else if (instruction.keyword !== 'ARG') throw new Error(`line ${instruction.line}: ${instruction.keyword} before FROM`);
    }
  }
  return stages;
}

/** Splits shell-like words, honouring single and double quotes (no escapes needed here). */
function words(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

/** Exec form (JSON array) or shell form of CMD / ENTRYPOINT / HEALTHCHECK CMD. */
function commandOf(args: string): string[] {
  if (args.startsWith('[')) {
    const parsed: unknown = JSON.parse(args);
    if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`bad exec form: ${args}`);
    return parsed;
  }
  return ['/bin/sh', '-c', args];
}

/** Leading `--name=value` / `--name` flags and the remaining arguments of an instruction. */
function splitFlags(args: string): { flags: Map<string, string>; rest: string } {
  const flags = new Map<string, string>();
  let rest = args;
  for (let m = /^--([\w-]+)(?:=(\S*))?\s*/.exec(rest); m !== null; m = /^--([\w-]+)(?:=(\S*))?\s*/.exec(rest)) {
    flags.set(m[1] ?? '', m[2] ?? '');
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** Sources and destination of a COPY / ADD, in JSON or whitespace form. */
function copyOperands(args: string): { flags: Map<string, string>; sources: string[]; dest: string } {
  const { flags, rest } = splitFlags(args);
  const operands: string[] = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : words(rest);
  if (operands.length < 2) throw new Error(`COPY needs a source and a destination: ${args}`);
  return { flags, sources: operands.slice(0, -1), dest: operands.at(-1) ?? '' };
}

/** `ENV a=b c="d e"` and the legacy `ENV a b`. */
function envOf(args: string): Map<string, string> {
  const env = new Map<string, string>();
  const tokens = words(args);
  if (tokens.length > 0 && !(tokens[0] ?? '').includes('=')) {
    const [name, ...value] = args.split(/\s+/);
    env.set(name ?? '', value.join(' '));
    return env;
  }
  // words() drops the quotes of a whole token; a `name="v w"` token keeps them in the value.
  const re = /([\w.-]+)=("[^"]*"|'[^']*'|\S*)/g;
  for (let m = re.exec(args); m !== null; m = re.exec(args)) {
    env.set(m[1] ?? '', (m[2] ?? '').replace(/^(["'])(.*)\1$/s, '$2'));
  }
  return env;
}

function portNumber(spec: string): number {
  return Number(spec.replace(/\/(tcp|udp|sctp)$/i, ''));
}

/** A minimal .dockerignore matcher: `*` within one path segment, a match excludes everything under it. */
function isDockerIgnored(path: string, patterns: readonly string[]): boolean {
  const normalized = path.replace(/^\.\//, '').replace(/\/$/, '');
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).replace(/^\//, '').replace(/\/$/, '');
    const source = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]*');
    if (new RegExp(`^${source}(/.*)?$`).test(normalized)) ignored = !negated;
  }
  return ignored;
}

// ---------------------------------------------------------------------------------------------
// Compose file shapes (only the parts checked here)
// ---------------------------------------------------------------------------------------------

type Command = string | string[];
type Environment = Record<string, string | number | boolean | null> | string[];
type PortSpec = string | number | { target: number | string; published?: number | string; protocol?: string };
type VolumeSpec = string | { type?: string; source?: string; target: string };

interface Healthcheck {
  test: string | string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}

interface Service {
  image?: string;
  build?: unknown;
  command?: Command;
  environment?: Environment;
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: PortSpec[];
  volumes?: VolumeSpec[];
  healthcheck?: Healthcheck;
  restart?: string;
}

interface Compose {
  version?: unknown;
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

function commandWords(command: Command | undefined): string[] {
  if (command === undefined) return [];
  return Array.isArray(command) ? command.map(String) : words(command);
}

function environmentOf(service: Service): Map<string, string> {
  const env = new Map<string, string>();
  const raw = service.environment;
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      const eq = entry.indexOf('=');
      env.set(eq < 0 ? entry : entry.slice(0, eq), eq < 0 ? '' : entry.slice(eq + 1));
    }
  } else if (raw) {
    for (const [name, value] of Object.entries(raw)) env.set(name, value === null ? '' : String(value));
  }
  return env;
}

/** Container-side port of a short (`[ip:][host:]container[/proto]`) or long port mapping. */
function containerPort(spec: PortSpec): number {
  if (typeof spec === 'object') return Number(spec.target);
  const text = String(spec);
  return portNumber(text.slice(text.lastIndexOf(':') + 1));
}

function volumeMount(spec: VolumeSpec): { source: string | undefined; target: string; named: boolean } {
  if (typeof spec === 'object') {
    const named = (spec.type ?? 'volume') === 'volume' && spec.source !== undefined;
    return { source: spec.source, target: spec.target, named };
  }
  const [first = '', second] = spec.split(':');
  if (second === undefined) return { source: undefined, target: first, named: false };
  return { source: first, target: second, named: !/^[./~]/.test(first) };
}

function healthcheckCommand(test: string | string[]): string[] {
  if (typeof test === 'string') return ['/bin/sh', '-c', test];
  const [kind, ...rest] = test;
  if (kind === 'CMD') return rest;
  if (kind === 'CMD-SHELL') return ['/bin/sh', '-c', rest.join(' ')];
  throw new Error(`unexpected healthcheck test kind ${String(kind)}`);
}

// ---------------------------------------------------------------------------------------------

const compose = parse(readRepoFile('docker-compose.yml')) as Compose;
const dockerfile = parseDockerfile(readRepoFile('Dockerfile'));
const stages = stagesOf(dockerfile);
const finalStage = stages.at(-1);
const knownVariables = new Set<string>(CONFIG_VARIABLES.map((v) => v.name));

function service(name: string): Service {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

function finalInstructions(keyword: string): Instruction[] {
  if (!finalStage) throw new Error('Dockerfile has no FROM');
  return finalStage.instructions.filter((i) => i.keyword === keyword);
}

function healthcheckOfImage(): string[] {
  const [healthcheck, ...more] = finalInstructions('HEALTHCHECK');
  if (!healthcheck) throw new Error('no HEALTHCHECK in the final stage');
  expect(more, 'only one HEALTHCHECK takes effect').to.have.lengthOf(0);
  const { flags, rest } = splitFlags(healthcheck.args);
  expect([...flags.keys()]).to.include.members(['interval', 'timeout', 'retries', 'start-period']);
  const cmd = /^CMD\s+(.*)$/is.exec(rest);
  if (!cmd) throw new Error(`HEALTHCHECK without CMD: ${healthcheck.args}`);
  return commandOf((cmd[1] ?? '').trim());
}

describe('container files', () => {
  describe('docker-compose.yml', () => {
    it('parses as a Compose-spec file without the obsolete version key, with redis and registry services', () => {
      expect(compose).to.be.an('object');
      expect(compose).not.to.have.property('version');
      expect(compose.services).to.have.all.keys('redis', 'registry');
    });

    it('runs redis with the append-only file on, fsynced every second', () => {
      const args = commandWords(service('redis').command);
      expect(args[0]).to.equal('redis-server');
      const option = (name: string): string | undefined => {
        const at = args.indexOf(name);
        return at < 0 ? undefined : args[at + 1];
      };
      expect(option('--appendonly')).to.equal('yes');
      expect(option('--appendfsync')).to.equal('everysec');
    });

    it('health-checks redis with redis-cli ping', () => {
      const healthcheck = service('redis').healthcheck;
      if (!healthcheck) throw new Error('redis has no healthcheck');
      expect(healthcheckCommand(healthcheck.test).join(' ')).to.match(/\bredis-cli\b.*\bping\b/);
      expect(healthcheck).to.include.keys('interval', 'timeout', 'retries');
    });

    it('keeps redis data in a named volume on /data that is declared at top level', () => {
      const mounts = (service('redis').volumes ?? []).map(volumeMount);
      const data = mounts.find((m) => m.target === '/data');
      expect(data, 'a mount on /data').not.to.equal(undefined);
      expect(data?.named, 'the /data mount is a named volume').to.equal(true);
      expect(Object.keys(compose.volumes ?? {})).to.include(data?.source);
    });

    it('declares every named volume a service mounts', () => {
      for (const [name, svc] of Object.entries(compose.services)) {
        for (const mount of (svc.volumes ?? []).map(volumeMount).filter((m) => m.named)) {
          expect(Object.keys(compose.volumes ?? {}), `${name} mounts ${mount.source}`).to.include(mount.source);
        }
      }
    });

    it('starts the registry only once redis is healthy', () => {
      const dependsOn = service('registry').depends_on;
      expect(dependsOn, 'long-form depends_on').to.be.an('object').and.not.be.an('array');
      expect((dependsOn as Record<string, { condition?: string }>).redis?.condition).to.equal('service_healthy');
    });

    it('points the registry at the redis service by its service name', () => {
      const url = new URL(environmentOf(service('registry')).get('REGISTRY_REDIS_URL') ?? '');
      expect(url.protocol).to.equal('redis:');
      expect(url.hostname).to.equal('redis');
    });

    it('sets only REGISTRY_* variables that the configuration knows', () => {
      const names = [...environmentOf(service('registry')).keys()].filter((n) => n.startsWith('REGISTRY_'));
      expect(names).to.have.length.above(0);
      for (const name of names) expect(knownVariables, `${name} is not in CONFIG_VARIABLES`).to.include(name);
    });

    it('listens on the HTTP port it publishes', () => {
      const registry = service('registry');
      const httpPort = Number(environmentOf(registry).get('REGISTRY_HTTP_PORT') ?? '28080');
      expect((registry.ports ?? []).map(containerPort)).to.include(httpPort);
    });

    it('publishes only ports the image EXPOSEs', () => {
      const exposed = new Set(finalInstructions('EXPOSE').flatMap((i) => words(i.args).map(portNumber)));
      const published = Object.values(compose.services)
        .filter((s) => s.build !== undefined)
        .flatMap((s) => (s.ports ?? []).map(containerPort));
      expect(published).to.have.length.above(0);
      for (const port of published) expect(exposed, `port ${port} is published but not EXPOSEd`).to.include(port);
    });

    it('health-checks the registry with the same command as the image', () => {
      const healthcheck = service('registry').healthcheck;
      if (!healthcheck) throw new Error('registry has no healthcheck');
      expect(healthcheckCommand(healthcheck.test)).to.deep.equal(healthcheckOfImage());
    });

    it('restarts both services unless stopped', () => {
      for (const name of ['redis', 'registry']) expect(service(name).restart, name).to.equal('unless-stopped');
    });
  });

  describe('Dockerfile', () => {
    it('parses continuation lines into single instructions', () => {
      const parsed = parseDockerfile('FROM a AS b\n# note\nRUN one \\\n  # skipped\n  && two\n\nCMD ["x"]\n');
      expect(parsed.map((i) => [i.keyword, i.args])).to.deep.equal([
        ['FROM', 'a AS b'],
        ['RUN', 'one && two'],
        ['CMD', '["x"]'],
      ]);
    });

    it('is a multi-stage build', () => {
      expect(stages.length).to.be.at.least(2);
      expect(stages[0]?.name, 'the first stage is named so later stages can copy from it').to.be.a('string');
    });

    it('runs the final stage as a non-root user', () => {
      const user = finalInstructions('USER').at(-1)?.args;
      expect(user, 'USER in the final stage').to.be.a('string');
      const [name] = (user ?? '').split(':');
      expect(name).not.to.be.oneOf(['root', '0', '']);
    });

    it('has a HEALTHCHECK that uses node itself (slim images have no curl) and probes readiness on the HTTP port', () => {
      const command = healthcheckOfImage();
      expect(command[0]).to.equal('node');
      expect(command.join(' ')).to.include('http://127.0.0.1:28080/ready');
    });

    it('starts dist/main.js and copies dist into the final stage', () => {
      const cmd = finalInstructions('CMD').at(-1);
      if (!cmd) throw new Error('no CMD in the final stage');
      expect(commandOf(cmd.args)).to.deep.equal(['node', 'dist/main.js']);
      const copied = finalInstructions('COPY').flatMap((i) => copyOperands(i.args).sources);
      expect(copied).to.include('/app/dist');
    });

    it('binds to all interfaces inside the container and sets only known REGISTRY_* variables', () => {
      const env = new Map(finalInstructions('ENV').flatMap((i) => [...envOf(i.args)]));
      expect(env.get('NODE_ENV')).to.equal('production');
      expect(env.get('REGISTRY_BIND_ADDRESS')).to.equal('0.0.0.0');
      for (const name of [...env.keys()].filter((n) => n.startsWith('REGISTRY_'))) {
        expect(knownVariables, `${name} is not in CONFIG_VARIABLES`).to.include(name);
      }
    });

    it('copies from the build context only paths that exist and are not .dockerignored', () => {
      const ignore = readRepoFile('.dockerignore')
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('#'));
      const stageNames = new Set(stages.map((s) => s.name).filter((n) => n !== undefined));
      const contextPaths = stages
        .flatMap((s) => s.instructions)
        .filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')
        .map((i) => copyOperands(i.args))
        .filter(({ flags }) => !flags.has('from'))
        .flatMap(({ sources }) => sources);
      expect(contextPaths).to.include.members([
        'package.json',
        'package-lock.json',
        'tsconfig.json',
        'tsconfig.build.json',
        'src',
        'schemas',
      ]);
      for (const path of contextPaths) {
        expect(path, 'COPY --from=<stage> is not a context path').not.to.be.oneOf([...stageNames]);
        expect(existsSync(new URL(path, ROOT)), `${path} exists in the repository`).to.equal(true);
        expect(isDockerIgnored(path, ignore), `${path} is excluded by .dockerignore`).to.equal(false);
      }
    });

    it('copies build output only from stages that exist', () => {
      const stageNames = stages.map((s) => s.name);
      for (const stage of stages) {
        for (const copy of stage.instructions.filter((i) => i.keyword === 'COPY')) {
          const from = copyOperands(copy.args).flags.get('from');
          if (from !== undefined && !/^\d+$/.test(from)) expect(stageNames, `line ${copy.line}`).to.include(from);
        }
      }
    });

    it('keeps dependencies, build output and local data out of the build context', () => {
      const ignore = readRepoFile('.dockerignore').split(/\r?\n/).map((l) => l.trim());
      expect(ignore).to.include.members(['node_modules', 'dist', 'data', '.git', 'test', 'bench', 'coverage', '*.log']);
    });
  });
});
