/**
 * The operator console is served by the registry itself at /console (docs/console.md): the page
 * and its files, built by `make build` into dist/console, under a strict Content-Security-Policy,
 * without a token and without anything from another origin.
 */
import { expect } from 'chai';
import { CONSOLE_POLICY, createConsoleAssets } from '../../../src/http/console-assets.js';
import { http } from '../../helpers/registry.js';
import { useRegistry } from '../http/support.js';

/** The directives of a Content-Security-Policy header, by name. */
function directives(policy: string): Map<string, string> {
  return new Map(policy.split(';').map((d) => d.trim()).filter((d) => d !== '').map((d) => [d.split(/\s+/)[0] as string, d.slice(d.indexOf(' ') + 1)]));
}

describe('the operator console at /console', function () {
  const suite = useRegistry();

  it('serves the page under a policy that allows only its own files: no inline script or style, no framing, no <base>', async function () {
    const page = await http(suite.base, 'GET', '/console');
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.match(/^text\/html/);
    const policy = directives(page.headers.get('content-security-policy') ?? '');
    expect(policy.get('default-src')).to.equal("'self'");
    expect(policy.get('frame-ancestors')).to.equal("'none'");
    expect(policy.get('base-uri')).to.equal("'none'");
    expect(policy.get('form-action')).to.equal("'self'");
    for (const [name, value] of policy) expect(value, name).to.not.match(/unsafe-|data:|\*|https?:/);
    expect(page.headers.get('referrer-policy')).to.equal('no-referrer');
    expect(page.text).to.not.match(/<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=/i);
  });

  it('serves every file the page names, from /console/ only', async function () {
    const page = await http(suite.base, 'GET', '/console');
    const files = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(files).to.include.members(['/console/app.js', '/console/app.css', '/console/favicon.svg']);
    for (const file of files) {
      expect(file, 'no other origin').to.match(/^\/console\/[a-z0-9-]+\.[a-z]+$/);
      const res = await fetch(`${suite.base}${file}`);
      expect(res.status, file).to.equal(200);
      expect(res.headers.get('x-content-type-options'), file).to.equal('nosniff');
      expect((await res.arrayBuffer()).byteLength, file).to.be.greaterThan(0);
    }
    expect((await http(suite.base, 'GET', '/console/app.js')).headers.get('content-type')).to.match(/^text\/javascript/);
  });

  it('answers 404 with a JSON error for names that are not files of the console', async function () {
    for (const path of ['/console/nothing.js', '/console/..%2Fpackage.json', '/console/tsconfig.json']) {
      const res = await http(suite.base, 'GET', path);
      expect(res.status, path).to.equal(404);
      expect(res.json, path).to.have.property('error');
    }
  });

  it('opens without signing in when authentication is off (REGISTRY_HTTP_AUTH=none): the grants are everything', async function () {
    const grants = await http(suite.base, 'GET', '/session');
    expect(grants.status).to.equal(200);
    expect(grants.json).to.deep.equal({ 'token-id': 'anonymous', scopes: ['*'], tenants: ['*'], authentication: 'none' });
  });

  it('has no files when the console was not built (no directory)', function () {
    const assets = createConsoleAssets('/nonexistent/console');
    expect(assets('index.html')).to.equal(undefined);
    expect(CONSOLE_POLICY).to.include("default-src 'self'");
  });
});
