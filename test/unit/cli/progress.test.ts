/**
 * The import/export progress (src/cli/progress.ts): a bar with rate and ETA on a terminal, a plain
 * line now and then elsewhere. The clock is injected: what is checked is which update writes, not
 * how long anything takes.
 */
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { PROGRESS_LINE_MS, createProgress, formatDuration, renderBar, renderLine } from '../../../src/cli/progress.js';

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

  it('shows the same figures as a plain line for logs', function () {
    expect(renderLine('devices', 250_000, 0.25, 10)).to.equal('progress: 25.0%  250,000 devices  25,000/s  ETA 0:30');
    expect(renderLine('entries', 1000, undefined, 2)).to.equal('progress: 1,000 entries  500/s  0:02 elapsed');
  });

  it('writes a progress line every PROGRESS_LINE_MS when the stream is not a terminal, without terminal control codes', function () {
    const written: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _e, done) => void (written.push(chunk.toString()), done()) });
    let clock = 1000;
    const progress = createProgress(sink as unknown as NodeJS.WriteStream, 'devices', { now: () => clock });
    const at = (ms: number, done: number) => {
      clock = 1000 + ms;
      progress.update(done, done / 1000);
    };
    at(0, 1);
    at(PROGRESS_LINE_MS - 1, 100);
    expect(written, 'a run shorter than the interval prints no progress line').to.deep.equal([]);
    at(PROGRESS_LINE_MS, 250);
    at(PROGRESS_LINE_MS + 1, 260);
    at(2 * PROGRESS_LINE_MS + 5, 500);
    progress.done();
    expect(written).to.deep.equal([
      `${renderLine('devices', 250, 0.25, PROGRESS_LINE_MS / 1000)}\n`,
      `${renderLine('devices', 500, 0.5, (2 * PROGRESS_LINE_MS + 5) / 1000)}\n`,
    ]);
    expect(written.join('')).not.to.include('\r').and.not.include('\u001b');
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
