/**
 * The API documents the registry serves itself: `/openapi.yaml` (the same text as
 * api_swagger.yaml) and the Swagger UI at `/docs`, from the `swagger-ui-dist` package on disk.
 * Nothing is loaded from a CDN: the page names only files under /docs/.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { openApiYaml } from './openapi.js';
import type { RawBody } from './route.js';

/** The swagger-ui-dist files the page uses, and their media types. */
const DIST_FILES: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

const INDEX_HTML = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>Device Registry management API</title>
    <link rel="stylesheet" type="text/css" href="/docs/swagger-ui.css">
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
    <link rel="icon" type="image/png" href="/docs/favicon-16x16.png" sizes="16x16">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js" charset="UTF-8"></script>
    <script src="/docs/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
    <script src="/docs/swagger-initializer.js" charset="UTF-8"></script>
  </body>
</html>
`;

// A file of its own, not an inline script, so the page works under a script-src 'self' policy.
const INITIALIZER = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.yaml',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
  });
};
`;

/** The documentation page loads only its own files (no CDN, no inline script; Swagger UI sets inline styles). */
const DOCS_POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";

export interface ApiDocs {
  openApi(): string;
  asset(name: string): RawBody | undefined;
}

/** The registry's version, from package.json (next to both src/ and dist/). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Builds the documents once; swagger-ui-dist files are read on first request and kept. */
export function createApiDocs(): ApiDocs {
  const yaml = openApiYaml(packageVersion());
  const dist = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const cache = 'public, max-age=3600';
  const files = new Map<string, RawBody>([
    ['index.html', { type: 'text/html; charset=utf-8', data: INDEX_HTML, cache: 'no-cache', policy: DOCS_POLICY }],
    ['swagger-initializer.js', { type: 'text/javascript; charset=utf-8', data: INITIALIZER, cache }],
  ]);
  return {
    openApi: () => yaml,
    asset(name) {
      const known = files.get(name);
      if (known !== undefined) return known;
      const type = Object.hasOwn(DIST_FILES, name) ? DIST_FILES[name] : undefined;
      if (type === undefined) return undefined;
      const file: RawBody = { type, data: readFileSync(join(dist, name)), cache };
      files.set(name, file);
      return file;
    },
  };
}
