/**
 * Both log formats redact secrets before they are written: JSON lines, and the pretty lines for
 * a terminal (REGISTRY_LOG_FORMAT=pretty), which are formatted from the already redacted record.
 */
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { createLogger } from '../../src/log.js';

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
});
