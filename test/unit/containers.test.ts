/**
 * Static checks of the container files (there is no Docker engine to build or run them here):
 * docker-compose.yml and docker-compose.amqps.yml are read with the yaml parser, the Dockerfile
 * with a small instruction parser (test/helpers/dockerfile.ts).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, posix } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { createFirstAccountsFile } from '../../src/amqp/accounts.js';
import { CONFIG_VARIABLES } from '../../src/config.js';
import {
  commandWords, containerPort, environmentOf, healthcheckCommand, mergeService, volumeMount, type Compose, type Service,
} from '../helpers/compose.js';
import {
  commandOf, copyOperands, envOf, isDockerIgnored, missingBeforeInstall, parseDockerfile, portNumber, splitFlags, stagesOf, words, type Instruction,
} from '../helpers/dockerfile.js';

const ROOT = new URL('../../', import.meta.url);

function readRepoFile(path: string): string {
  return readFileSync(new URL(path, ROOT), 'utf8');
}
// ---------------------------------------------------------------------------------------------

const compose = parse(readRepoFile('docker-compose.yml')) as Compose;
const dockerfile = parseDockerfile(readRepoFile('Dockerfile'));
const stages = stagesOf(dockerfile);
const finalStage = stages.at(-1);
const knownVariables = new Set<string>(CONFIG_VARIABLES.map((v) => v.name));
/** The AMQPS override, started together with docker-compose.yml. */
const amqps = parse(readRepoFile('docker-compose.amqps.yml')) as Compose;
const inRepo = (path: string) => existsSync(new URL(path, ROOT));

function configDefault(name: string): string {
  const variable = CONFIG_VARIABLES.find((v) => v.name === name);
  if (variable === undefined) throw new Error(`${name} is not in CONFIG_VARIABLES`);
  return variable.default;
}

/** The scripts `npm ci` / `npm install` runs for the package itself. */
const INSTALL_LIFECYCLE = ['preinstall', 'install', 'postinstall', 'prepublish', 'preprepare', 'prepare', 'postprepare'];

/** Repository paths the install lifecycle scripts name: words with a `/` or `.` that name an existing file or directory. */
function lifecyclePaths(pkg: { scripts?: Record<string, string> }, exists: (path: string) => boolean): string[] {
  const paths = new Set<string>();
  for (const name of INSTALL_LIFECYCLE) {
    for (const word of words((pkg.scripts?.[name] ?? '').replace(/&&|\|\||[;|()]/g, ' '))) {
      const path = posix.normalize(word).replace(/\/$/, '');
      if (/[/.]/.test(path) && !/^(-|\.\.?$|\.\.\/|\/)/.test(path) && exists(path)) paths.add(path);
    }
  }
  return [...paths];
}

/** Whether a registry service has AMQPS on: certificate and key set. */
function amqpsOn(registry: Service): boolean {
  const env = environmentOf(registry);
  return (env.get('REGISTRY_AMQP_TLS_CERT') ?? '') !== '' && (env.get('REGISTRY_AMQP_TLS_KEY') ?? '') !== '';
}

function amqpsPort(registry: Service): number {
  return Number(environmentOf(registry).get('REGISTRY_AMQPS_PORT') ?? configDefault('REGISTRY_AMQPS_PORT'));
}

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

    it('publishes only ports the image EXPOSEs (with the AMQPS override too)', () => {
      const exposed = new Set(finalInstructions('EXPOSE').flatMap((i) => words(i.args).map(portNumber)));
      const published = Object.entries(compose.services)
        .filter(([, s]) => s.build !== undefined)
        .flatMap(([name, s]) => (mergeService(s, amqps.services[name]).ports ?? []).map(containerPort));
      expect(published).to.have.length.above(0);
      for (const port of published) expect(exposed, `port ${port} is published but not EXPOSEd`).to.include(port);
    });

    it('health-checks the registry with the same command as the image', () => {
      const healthcheck = service('registry').healthcheck;
      if (!healthcheck) throw new Error('registry has no healthcheck');
      expect(healthcheckCommand(healthcheck.test)).to.deep.equal(healthcheckOfImage());
    });

    it('publishes the AMQPS port exactly when AMQPS is on: off in docker-compose.yml alone, on and published with docker-compose.amqps.yml', () => {
      const alone = service('registry');
      expect(amqpsOn(alone), 'docker-compose.yml alone sets no AMQPS certificate').to.equal(false);
      expect((alone.ports ?? []).map(containerPort), 'nothing listens on the AMQPS port').not.to.include(amqpsPort(alone));
      expect(Object.keys(amqps.services)).to.deep.equal(['registry']);
      const withTls = mergeService(alone, amqps.services.registry);
      expect(amqpsOn(withTls), 'the override sets REGISTRY_AMQP_TLS_CERT and REGISTRY_AMQP_TLS_KEY').to.equal(true);
      expect((withTls.ports ?? []).map(containerPort)).to.include(amqpsPort(withTls));
      for (const name of [...environmentOf(amqps.services.registry ?? {}).keys()]) expect(knownVariables, name).to.include(name);
    });

    it('mounts the AMQPS certificate and key where the override points the registry, from a directory kept out of images and commits', () => {
      const withTls = mergeService(service('registry'), amqps.services.registry);
      const mounts = (withTls.volumes ?? []).map(volumeMount);
      for (const name of ['REGISTRY_AMQP_TLS_CERT', 'REGISTRY_AMQP_TLS_KEY']) {
        const path = environmentOf(withTls).get(name) ?? '';
        const mount = mounts.find((m) => path.startsWith(`${m.target}/`));
        expect(mount, `${name}=${path} lies in a mounted directory`).not.to.equal(undefined);
        const source = (mount?.source ?? '').replace(/^\.\//, '');
        expect(isDockerIgnored(source, readRepoFile('.dockerignore').split(/\r?\n/)), `${source} is .dockerignored`).to.equal(true);
        expect(readRepoFile('.gitignore').split(/\r?\n/), `${source} is .gitignored`).to.include(`${source}/`);
      }
    });

    it('tells how to read the generated AMQP adapter password from the registry\'s data volume (docs/operations.md)', () => {
      const dir = mkdtempSync(join(tmpdir(), 'registry-accounts-'));
      let passwordFile: string;
      try {
        passwordFile = basename(createFirstAccountsFile(join(dir, 'amqp-accounts.json'), 'protocol-adapter@HONO'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      const registry = service('registry');
      const workdir = finalInstructions('WORKDIR').reduce((at, i) => posix.resolve(at, i.args), '/');
      const dataDir = posix.resolve(workdir, environmentOf(registry).get('REGISTRY_DATA_DIR') ?? configDefault('REGISTRY_DATA_DIR'));
      const volume = (registry.volumes ?? []).map(volumeMount).find((m) => m.target === dataDir);
      expect(volume?.named, `a named volume on the data directory ${dataDir}`).to.equal(true);
      const containers = /## Containers\n([\s\S]*?)(\n## |$)/.exec(readRepoFile('docs/operations.md'))?.[1] ?? '';
      expect(containers).to.include(`docker compose exec registry cat ${posix.join(dataDir, passwordFile)}`);
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

    it('finds a path a lifecycle script needs that is not in place before npm ci (the check has teeth)', () => {
      // A package with the postinstall this project once had (scripts/patch-rhea.mjs) and a prepare step.
      const files = new Set(['scripts/patch-rhea.mjs', 'tsconfig.build.json', 'test/unit']);
      const pkg = { scripts: { postinstall: 'node scripts/patch-rhea.mjs && echo done', prepare: 'tsc -p tsconfig.build.json', test: 'mocha test/unit' } };
      const needed = lifecyclePaths(pkg, (path) => files.has(path));
      expect(needed, 'only install lifecycle scripts count, not test').to.deep.equal(['scripts/patch-rhea.mjs', 'tsconfig.build.json']);
      const build = (copies: string) => stagesOf(parseDockerfile(`FROM node AS build\nWORKDIR /app\nCOPY package.json package-lock.json ./\n${copies}\nRUN npm ci\n`));
      expect(missingBeforeInstall(build(''), needed)).to.have.lengthOf(2);
      expect(missingBeforeInstall(build('COPY scripts/patch-rhea.mjs tsconfig.build.json ./'), needed)).to.deep.equal(['line 5 (npm ci): scripts/patch-rhea.mjs is not at /app/scripts/patch-rhea.mjs']);
      expect(missingBeforeInstall(build('COPY scripts ./scripts\nCOPY tsconfig.build.json ./'), needed)).to.deep.equal([]);
      expect(missingBeforeInstall(build('COPY . .'), needed)).to.deep.equal([]);
      expect(missingBeforeInstall(stagesOf(parseDockerfile('FROM node\nWORKDIR /app\nRUN npm ci\nCOPY . .\n')), needed), 'copied only after npm ci').to.have.lengthOf(2);
    });

    it('has every file the package\'s install lifecycle scripts name in place before npm ci', () => {
      expect(stages.some((s) => s.instructions.some((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args))), 'the build runs npm ci').to.equal(true);
      const missing = missingBeforeInstall(stages, lifecyclePaths(JSON.parse(readRepoFile('package.json')) as { scripts?: Record<string, string> }, inRepo));
      expect(missing, missing.join('\n')).to.deep.equal([]);
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
