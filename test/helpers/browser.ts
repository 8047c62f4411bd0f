/**
 * A real headless Chromium (Debian's `chromium`, driven by playwright-core: a test tool's own
 * browser download does not work here) for the console's end-to-end tests. One browser serves the
 * whole run; each test gets a fresh context (its own cookies and storage) and a page that records
 * what must never happen: a Content-Security-Policy violation, a script error, a console error
 * other than the failed loads the test expects.
 */
import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** The launch flags that work on this machine (no sandbox as root, no GPU, nothing fetched). */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let browser: Promise<Browser> | undefined;

/** The run's browser, launched on first use (playwright gives it a fresh --user-data-dir). */
export function sharedBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: make install-test installs Debian's chromium`);
  browser ??= import('playwright-core').then(({ chromium }) => chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true }));
  return browser;
}

/** Closes the run's browser (root hook). */
export async function closeBrowser(): Promise<void> {
  const open = browser;
  browser = undefined;
  await (await open)?.close();
}

export interface ConsolePage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** CSP violations (directive and what was blocked), script errors and unexpected console errors. */
  readonly problems: string[];
  close(): Promise<void>;
}

/** Console errors the browser logs for answers the console expects (a 401 before signing in, a refused sign-in, a change made meanwhile). */
const EXPECTED = /^Failed to load resource: the server responded with a status of (401|403|404|409|412|429) /;

/** A fresh context and page at the given width (1280 × 800 unless told), recording problems. */
export async function openPage(width = 1280, height = 800): Promise<ConsolePage> {
  const context = await (await sharedBrowser()).newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const problems: string[] = [];
  await page.exposeFunction('reportViolation', (text: string) => problems.push(`CSP violation: ${text}`));
  // Injected by the browser itself (CDP), not by the page: the policy does not apply to it.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { reportViolation(t: string): void }).reportViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
    });
  });
  page.on('pageerror', (err) => problems.push(`script error: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !EXPECTED.test(message.text())) problems.push(`console error: ${message.text()}`);
  });
  return { context, page, problems, close: () => context.close() };
}
