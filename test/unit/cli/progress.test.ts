/**
 * The import/export progress bar (src/cli/progress.ts): rate, ETA, silence off a terminal.
 */
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { createProgress, formatDuration, renderBar } from '../../../src/cli/progress.js';

describe('import/export progress bar', function () {
  it('formats durations as m:ss or h:mm:ss', function () {
    expect(formatDuration(0)).to.equal('0:00');
    expect(formatDuration(65)).to.equal('1:05');
    expect(formatDuration(3725)).to.equal('1:02:05');
    expect(formatDuration(NaN)).to.equal('?');
  });

  it('shows the fraction, the count, the rate and the time left', function () {
    expect(renderBar('devices', 250_000, 0.25, 10)).to.equal('[######------------------]  25.0%  250,000 devices  25,000/s  ETA 0:30');
    expect(renderBar('devices', 1000, undefined, 2), 'unknown total: elapsed time instead').to.equal('1,000 devices  500/s  0:02 elapsed');
  });

  it('writes nothing when the stream is not a terminal', function () {
    const written: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _e, done) => void (written.push(chunk.toString()), done()) });
    const progress = createProgress(sink as unknown as NodeJS.WriteStream, 'devices');
    progress.update(10, 0.5);
    progress.done();
    expect(written).to.deep.equal([]);
  });

  it('redraws one line in place on a terminal', function () {
    const written: string[] = [];
    const tty = Object.assign(new Writable({ write: (chunk: Buffer, _e, done) => void (written.push(chunk.toString()), done()) }), { isTTY: true });
    const progress = createProgress(tty as unknown as NodeJS.WriteStream, 'devices');
    progress.update(10, 0.5);
    progress.done();
    expect(written[0]).to.match(/^\r\[#{12}-{12}\] {2}50\.0% {2}10 devices/);
    expect(written[written.length - 1]).to.equal('\r\u001b[K');
  });
});
