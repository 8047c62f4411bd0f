/**
 * Both log formats redact secrets before they are written: JSON lines, and the pretty lines for
 * a terminal (REGISTRY_LOG_FORMAT=pretty), which are formatted from the already redacted record.
 */
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { createLogger, unredacted } from '../../src/log.js';

function capture(): { sink: Writable; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { sink, text: () => chunks.join('') };
}

const SECRET = 'hunter2-never-logged';

function logSecrets(format: 'json' | 'pretty'): string {
  const { sink, text } = capture();
  const log = createLogger('info', sink, format);
  log.info({ reqId: 'req-7', password: SECRET, token: SECRET, headers: { authorization: `Bearer ${SECRET}` }, body: { 'pwd-plain': SECRET, secrets: [SECRET] } }, 'request');
  log.flush();
  return text();
}

describe('log formats', function () {
  it('writes JSON lines with the request id and every secret redacted', function () {
    const out = logSecrets('json');
    const line = JSON.parse(out.trim()) as Record<string, unknown>;
    expect(line).to.include({ reqId: 'req-7', msg: 'request', password: '[redacted]', token: '[redacted]' });
    expect(out).to.not.include(SECRET);
  });

  it('writes pretty lines (pino-pretty) with the request id and every secret redacted', function () {
    const out = logSecrets('pretty');
    expect(() => JSON.parse(out.trim())).to.throw();
    expect(out).to.match(/INFO.*request/);
    expect(out).to.include('req-7').and.include('[redacted]');
    expect(out).to.not.include(SECRET);
  });

  it('unredacted(): the access-line logger writes its fixed fields as they are, in both formats; the parent and its other children still redact', function () {
    for (const format of ['json', 'pretty'] as const) {
      const { sink, text } = capture();
      const log = createLogger('info', sink, format);
      unredacted(log).info({ reqId: 'req-8', method: 'GET', path: '/registration/t/d', operation: 'getDevice', status: 200, ms: 1.5 }, 'request');
      log.info({ password: SECRET }, 'parent');
      log.child({ layer: 'http' }).info({ token: SECRET }, 'child');
      log.flush();
      const out = text();
      expect(out, format).to.include('req-8').and.include('/registration/t/d').and.include('getDevice');
      expect(out, format).to.not.include(SECRET);
      if (format === 'json') expect(JSON.parse(out.trim().split('\n')[0] as string)).to.include({ reqId: 'req-8', method: 'GET', status: 200, ms: 1.5, msg: 'request' });
    }
  });
});

