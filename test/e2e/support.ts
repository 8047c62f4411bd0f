/**
 * Shared steps of the console's end-to-end suites: a registry with tokens on the run's Redis, a
 * signed-in page, the checks every page must pass (accessible names, no page wider than the
 * screen), and the screenshots the README shows.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { openPage, type ConsolePage } from '../helpers/browser.js';
import { http, type HttpResult, type TestRegistry } from '../helpers/registry.js';
import { BOOTSTRAP, bearer, flushRedis, startTokenRegistry } from '../helpers/security.js';

export { BOOTSTRAP, bearer, mint } from '../helpers/security.js';

/** A registry with bearer tokens, sampling lookups every second, AMQP without a password (lookups for the charts). */
export async function startConsoleRegistry(): Promise<TestRegistry> {
  await flushRedis();
  return startTokenRegistry({ REGISTRY_CONSOLE_SAMPLE_SECONDS: '1', REGISTRY_AMQP_ANONYMOUS: 'true', REGISTRY_AUTH_FAILURE_LIMIT: '1000' });
}

/** A suite's registry, and each test's fresh page. */
export interface ConsoleSuite {
  readonly registry: TestRegistry;
  readonly current: ConsolePage;
  readonly page: Page;
  /** Replaces the test's page by a fresh one of another size. */
  reopen(width: number, height: number): Promise<void>;
  /** A request to the suite's registry with the bootstrap token (what the API does meanwhile). */
  admin(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpResult>;
}

/**
 * Registers a suite's hooks: one registry for the suite, a fresh page (context) per test, and
 * after each test the check that its page saw no CSP violation, script error or unexpected console error.
 */
export function useConsole(): ConsoleSuite {
  let registry: TestRegistry | undefined;
  let current: ConsolePage | undefined;
  before(async function () {
    registry = await startConsoleRegistry();
  });
  beforeEach(async function () {
    current = await openPage();
  });
  afterEach(async function () {
    const problems = current?.problems ?? [];
    await current?.close();
    expect(problems, 'no CSP violation, script error or unexpected console error').to.deep.equal([]);
  });
  after(async function () {
    await registry?.stop();
  });
  const open = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('only inside a test of the suite');
    return value;
  };
  return {
    get registry() {
      return open(registry);
    },
    get current() {
      return open(current);
    },
    get page() {
      return open(current).page;
    },
    admin: (method, path, body, headers = {}) => http(open(registry).base, method, path, body, { ...bearer(BOOTSTRAP), ...headers }),
    async reopen(width, height) {
      await open(current).close();
      current = await openPage(width, height);
    },
  };
}

/** Opens the console and signs in with the token; resolves on the overview. */
export async function signIn(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/console`);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
}

/** Goes to a page by its link in the navigation; resolves once its heading shows. */
export async function visit(page: Page, link: string, heading = link): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/** Where screenshots go: docs/images with CONSOLE_SCREENSHOTS=docs/images (make screenshots), else a temporary directory. */
const SHOTS = process.env.CONSOLE_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'console-shots-'));

/** A screenshot of what the window shows, for the README (docs/images/console-<name>.png). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `console-${name}.png`) });
}

/** Roles of controls and landmarks that must have an accessible name. */
const NAMED_ROLES = new Set(['button', 'link', 'textbox', 'checkbox', 'radio', 'combobox', 'listbox', 'searchbox', 'spinbutton', 'dialog', 'region', 'navigation', 'table', 'img', 'form']);

interface AXNode { readonly ignored?: boolean; readonly role?: { value?: string }; readonly name?: { value?: string } }

/** The controls and landmarks of the page without an accessible name, from Chromium's accessibility tree. */
export async function unnamedControls(page: Page): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: AXNode[] };
    const relevant = nodes.filter((n) => n.ignored !== true && NAMED_ROLES.has(n.role?.value ?? ''));
    expect(relevant.length, 'the page has controls').to.be.greaterThan(0);
    return relevant.filter((n) => (n.name?.value ?? '').trim() === '').map((n) => n.role?.value ?? '?');
  } finally {
    await cdp.detach();
  }
}

/** How much wider than the window the page is (0: nothing sticks out; tables scroll inside their regions). */
export async function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}
