// Headless Chromium for the browser tests (tests/web/app.e2e.mjs and
// crates/otp-server/tests/browser/clerk-js.e2e.mjs): Debian's /usr/bin/chromium with a fresh
// profile and the flags the issues ask for, driven by playwright-core (pinned in this folder's
// package-lock.json), and a record of what a test must fail on: console errors, page errors and
// requests that leave loopback.

import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { chromium } = createRequire(import.meta.url)('playwright-core');

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];

/** Opens a page; `problems` collects what went wrong; `shot(name)` saves `<shots>/<name>.png`.
 * `device` passes on playwright's emulation options (deviceScaleFactor, hasTouch, isMobile). */
export async function openPage({ shots, viewport, ...device }) {
  const profile = mkdtempSync(join(tmpdir(), 'otp-browser-'));
  mkdirSync(shots, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
    ],
    viewport,
    ...device,
  });
  const problems = [];
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const url = new URL(r.url());
    const network = ['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol);
    if (network && !LOOPBACK.includes(url.hostname)) problems.push(`left loopback: ${r.url()}`);
  });
  return {
    context,
    page,
    problems,
    shot: (name) => page.screenshot({ path: join(shots, `${name}.png`) }),
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Throws `message` unless `ok`. */
export function check(ok, message) {
  if (!ok) throw new Error(message);
}

/** The code last sent to `to`, from a dev-mode server's outbox. */
export async function codeFor(apiUrl, to) {
  const res = await fetch(`${apiUrl}/v1/dev/outbox?to=${encodeURIComponent(to)}`);
  check(res.ok, `no code in the dev outbox for ${to}: HTTP ${res.status}`);
  return (await res.json()).code;
}
