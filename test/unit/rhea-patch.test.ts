/**
 * src/amqp/rhea-patches/install.ts: the patches are applied by one explicit call, check their
 * targets first and fail loudly when rhea no longer looks as they expect; test clients run an
 * unpatched copy of rhea.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect } from 'chai';
import { installRheaPatches, loadRheaLib, RheaPatchError, rheaPatchProblems } from '../../src/amqp/rhea.js';
import { clientRhea, loadFreshRhea } from '../helpers/fresh-rhea.js';

const freshLib = () => {
  const copy = loadFreshRhea();
  return loadRheaLib((id) => copy.load(id));
};
const proto = (lib: ReturnType<typeof freshLib>, name: 'Connection' | 'Transport') => lib[name].prototype;

describe('rhea patches', function () {
  it('pins rhea to the exact version the patches were written for', function () {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string>; scripts: Record<string, string> };
    expect(pkg.dependencies.rhea).to.match(/^\d+\.\d+\.\d+$/);
    expect(freshLib().version).to.equal(pkg.dependencies.rhea);
    expect(pkg.scripts, 'no install-time edit of node_modules').to.not.have.property('postinstall');
  });

  it('applies to an unpatched copy of the pinned rhea, once', function () {
    const lib = freshLib();
    expect(rheaPatchProblems(lib)).to.deep.equal([]);
    const input = proto(lib, 'Connection').input;
    installRheaPatches(lib);
    const patched = proto(lib, 'Connection').input;
    expect(patched).to.not.equal(input);
    installRheaPatches(lib);
    expect(proto(lib, 'Connection').input, 'a second call changes nothing').to.equal(patched);
  });

  it('refuses to start, naming the rhea version and the patch, when a target has another shape, and changes nothing', function () {
    const lib = freshLib();
    const output = proto(lib, 'Connection').output;
    proto(lib, 'Transport').read = function read(buffer: Buffer) {
      return buffer.length;
    };
    delete (lib.sasl.Server.prototype as Record<string, unknown>).do_step;
    let thrown: unknown;
    try {
      installRheaPatches(lib);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(RheaPatchError);
    const message = (thrown as Error).message;
    expect(message).to.include(`rhea ${lib.version} cannot be patched`);
    expect(message).to.include('frame size limits (Transport.read): Transport.prototype.read no longer contains `this.header_received`');
    expect(message).to.include('SASL mechanisms (sasl.Server): sasl.Server.prototype.do_step is not a function');
    expect(proto(lib, 'Connection').output, 'no patch applied').to.equal(output);
  });

  it('replaces rhea\'s loggers that are off by a function that does nothing, and keeps those DEBUG turned on', function () {
    const lib = freshLib();
    const loggers = { ...lib.log } as Record<string, { enabled: boolean; namespace: string }>;
    expect(Object.keys(loggers)).to.include.members(['frames', 'events', 'io', 'raw']);
    (loggers.frames as { enabled: boolean }).enabled = true;
    installRheaPatches(lib);
    expect(lib.log.frames, 'on: kept').to.equal(loggers.frames);
    for (const name of Object.keys(loggers).filter((n) => n !== 'frames')) {
      expect(lib.log[name], name).to.not.equal(loggers[name]);
      expect((lib.log[name] as () => unknown)(), name).to.equal(undefined);
    }
  });

  it('leaves the test clients\' copy of rhea unpatched when the registry patches its own', function () {
    installRheaPatches();
    const registryConnection = (createRequire(import.meta.url)('rhea/lib/connection.js') as { prototype: object }).prototype;
    const clientConnection = (clientRhea.load('rhea/lib/connection.js') as { prototype: object }).prototype;
    expect(clientConnection).to.not.equal(registryConnection);
    expect(Object.getOwnPropertySymbols(registryConnection).map(String)).to.include('Symbol(device-registry.rhea-patches)');
    expect(Object.getOwnPropertySymbols(clientConnection)).to.deep.equal([]);
    expect(rheaPatchProblems(loadRheaLib((id) => clientRhea.load(id))), 'the client copy still has rhea\'s own code').to.deep.equal([]);
  });
});
