// Builds the operator console (console/) into dist/console: one script, one style sheet, the page
// and its icon. Run by `make build` and `npm run build`; nothing is fetched at run time.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const out = 'dist/console';
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [{ in: 'console/src/main.tsx', out: 'app' }, { in: 'console/src/styles.css', out: 'app' }],
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: 'console/tsconfig.json',
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of ['index.html', 'favicon.svg']) copyFileSync(`console/${file}`, `${out}/${file}`);
