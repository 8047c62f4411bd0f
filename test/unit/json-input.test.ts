/**
 * The shared reader of outside JSON (src/json-input.ts): depth bounded before parsing, numbers
 * refused when a 64-bit float cannot give their text back, JSON.parse's answer otherwise.
 */
import { expect } from 'chai';
import { JsonInputError, parseJsonInput } from '../../src/json-input.js';

function problem(text: string, maxDepth = 32): JsonInputError {
  try {
    parseJsonInput(text, maxDepth);
  } catch (err) {
    expect(err).to.be.instanceOf(JsonInputError);
    return err as JsonInputError;
  }
  throw new Error(`accepted ${text.slice(0, 80)}`);
}

const nested = (levels: number, inner = '1') => `${'['.repeat(levels)}${inner}${']'.repeat(levels)}`;
const nestedObjects = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

describe('reading outside JSON (parseJsonInput)', function () {
  describe('depth', function () {
    it('accepts exactly maxDepth levels of arrays and objects, mixed', function () {
      expect(parseJsonInput(nested(32), 32)).to.be.an('array');
      expect(parseJsonInput(nestedObjects(32), 32)).to.have.property('a');
      expect(parseJsonInput(`{"x":${nested(31)}}`, 32)).to.have.property('x');
    });

    it('refuses one level more, and 5,000, 20,000 and 1,000,000 levels, as a depth problem', function () {
      for (const text of [nested(33), nestedObjects(33), `{"x":${nested(32)}}`, nested(5000), nested(20_000), nestedObjects(20_000), nested(1_000_000)]) {
        const err = problem(text);
        expect(err.kind).to.equal('depth');
        expect(err.message).to.equal('JSON nested deeper than 32 levels (REGISTRY_JSON_MAX_DEPTH)');
      }
    });

    it('refuses deep text even when it is not valid JSON (no closing brackets), before parsing', function () {
      expect(problem('['.repeat(100_000)).kind).to.equal('depth');
      expect(problem(`{"a":${'['.repeat(40)}`).kind).to.equal('depth');
    });

    it('does not count brackets inside strings, escaped quotes included', function () {
      const text = JSON.stringify({ s: '['.repeat(1000), t: `\\"${'{'.repeat(1000)}`, u: '\\', v: ['"[{'] });
      expect(parseJsonInput(text, 4)).to.deep.equal(JSON.parse(text));
    });
  });

  describe('numbers', function () {
    it('keeps every number a 64-bit float gives back as written', function () {
      const text = '[0, -0, 1, -1, 0.1, 1.5e-7, 1e21, 1E+21, 123.450, 9007199254740991, -9007199254740991, 9007199254740992, 5e-324, 1.7976931348623157e308, 0e999999, 100e-2, 0.30000000000000004]';
      expect(parseJsonInput(text, 4)).to.deep.equal(JSON.parse(text));
    });

    it('refuses numbers that would become Infinity, 0 or another value, naming where they are', function () {
      const cases: [string, string][] = [
        ['{"data": {"big": 1e999999}}', '"data/big"'],
        ['{"n": -1e400}', '"n"'],
        ['{"n": 1e-400}', '"n"'],
        ['{"list": [1, 2, 123456789012345678901234567890]}', '"list/2"'],
        ['{"a/b~c": {"x": [0, {"y": 9007199254740993}]}}', '"a~1b~0c/x/1/y"'],
        ['{"p": 0.12345678901234567890}', '"p"'],
        // 2^60 is a float, but it prints as 1152921504606847000: what is stored would differ
        ['{"q": 1152921504606846976}', '"q"'],
        ['1e400', 'the top level'],
      ];
      for (const [text, where] of cases) {
        const err = problem(text);
        expect(err.kind, text).to.equal('number');
        expect(err.message, text).to.include(`the number at ${where} cannot be stored exactly`);
      }
    });

    it('leaves numbers inside strings alone', function () {
      expect(parseJsonInput('{"n": "1e999999", "m": "123456789012345678901234567890"}', 4)).to.deep.equal({ n: '1e999999', m: '123456789012345678901234567890' });
    });
  });

  describe('syntax', function () {
    it('reports invalid JSON as a syntax problem without quoting the input', function () {
      const err = problem('{"pwd-plain": "hunter2-secret", }');
      expect(err.kind).to.equal('syntax');
      expect(err.message).to.not.include('hunter2');
    });

    it('reports a syntax error before a number problem in the same text', function () {
      expect(problem('{"n": 1e999999,,}').kind).to.equal('syntax');
    });
  });
});
