// The account, managed through the real @clerk/clerk-js's own public API (window.clerk in
// examples/clerk-js), in headless Chromium against otp-server, with three separate cookie jars:
//   A: phone sign-up; user.createEmailAddress, prepareVerification, attemptVerification: verified.
//   B: email sign-in with that address (the factor's emailAddressId): the same user.
//   A: user.getSessions() lists both; revoke() B's; B is signed out on its next request.
//   A: user.delete(): signed out; C: a new sign-up with the same phone makes a new user.
// Fails if a page or clerk-js logs an unexpected error, or if any request leaves loopback. Prints
// one JSON line with what the Rust test checks against the database.
//
// Run by crates/otp-server/tests/api/clerk_js.rs:
//   APP_URL=… API_URL=… PHONE=… EMAIL=… SHOTS=dir node clerk-js-account.e2e.mjs

import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { check, codeFor as outboxCode } from '../../../../tools/browser.mjs';

// playwright-core as tools/browser.mjs has it (pinned in tools/package-lock.json); this test needs
// a browser with several contexts, which tools/browser.mjs's persistent profile does not give.
const { chromium } = createRequire(new URL('../../../../tools/package.json', import.meta.url))(
  'playwright-core',
);

const { APP_URL, API_URL, PHONE, EMAIL, SHOTS } = process.env;
const codeFor = (to) => outboxCode(API_URL, to);
const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];

mkdirSync(SHOTS, { recursive: true });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run',
  ],
});

// What went wrong on any page, and what is expected to show on the console from now on.
const problems = [];
const expected = [];

/** A page in a new context (its own cookie jar), with the example loaded (clerk.load() done). */
async function open(name) {
  const context = await browser.newContext({ viewport: { width: 640, height: 480 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('console', (m) => {
    const text = `${name}: ${m.text()}`;
    if (m.type() === 'error' && !expected.some((e) => e.test(text))) {
      problems.push(`console error on ${text}`);
    }
    if (m.type() === 'warning' && /clerk/i.test(m.text())) problems.push(`clerk-js warning on ${text}`);
  });
  page.on('pageerror', (e) => problems.push(`page error on ${name}: ${e.message}`));
  page.on('request', (r) => {
    const url = new URL(r.url());
    const network = ['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol);
    if (network && !LOOPBACK.includes(url.hostname)) problems.push(`left loopback: ${r.url()}`);
  });
  await page.goto(APP_URL);
  await page.locator('#sign-up:visible, #signed-in:visible').waitFor();
  return page;
}

const visible = (page, id) => page.locator(`#${id}`).waitFor({ state: 'visible' });
const shot = (page, name) => page.screenshot({ path: join(SHOTS, `${name}.png`) });

/** Signs `PHONE` up through the example's form; returns the new user's id. */
async function signUpByPhone(page) {
  await page.locator('#sign-up-identifier').fill(PHONE);
  await page.locator('#sign-up-form button[type=submit]').click();
  await visible(page, 'verifying');
  await page.locator('#code').fill(await codeFor(PHONE));
  await page.locator('#verify-button').click();
  await visible(page, 'signed-in');
  const shown = (await page.locator('#user-id').textContent()).trim();
  const user = await page.evaluate(() => window.clerk.user.id);
  check(user.startsWith('user_') && user === shown, `user id ${user}, shown ${shown}`);
  return user;
}

let a, b, c;
try {
  // A: a phone-only user.
  a = await open('A');
  const phoneUser = await signUpByPhone(a);
  check(
    await a.evaluate(() => window.clerk.user.emailAddresses.length === 0),
    'a phone sign-up has no email address',
  );

  // A adds an email address: created unverified, then a code to it, then the code back.
  const added = await a.evaluate(async (email) => {
    const address = await window.clerk.user.createEmailAddress({ email });
    window.added = address;
    const created = { id: address.id, email: address.emailAddress, status: address.verification?.status ?? null };
    await address.prepareVerification({ strategy: 'email_code' });
    return { ...created, prepared: address.verification?.status ?? null, strategy: address.verification?.strategy };
  }, EMAIL);
  check(added.id && added.email === EMAIL, `createEmailAddress: ${JSON.stringify(added)}`);
  check(added.status !== 'verified', `a new address is not verified yet: ${JSON.stringify(added)}`);
  check(
    added.prepared === 'unverified' && added.strategy === 'email_code',
    `prepareVerification: ${JSON.stringify(added)}`,
  );
  const emailCode = await codeFor(EMAIL);
  const verified = await a.evaluate(async (code) => {
    const attempted = await window.added.attemptVerification({ code });
    await window.clerk.user.reload();
    return {
      attempted: attempted.verification.status,
      addresses: window.clerk.user.emailAddresses.map((e) => ({
        id: e.id,
        email: e.emailAddress,
        status: e.verification.status,
      })),
      phones: window.clerk.user.phoneNumbers.map((p) => p.phoneNumber),
    };
  }, emailCode);
  check(verified.attempted === 'verified', `attemptVerification: ${JSON.stringify(verified)}`);
  check(
    verified.addresses.length === 1 &&
      verified.addresses[0].id === added.id &&
      verified.addresses[0].email === EMAIL &&
      verified.addresses[0].status === 'verified',
    `user.emailAddresses after reload: ${JSON.stringify(verified)}`,
  );
  check(verified.phones.length === 1 && verified.phones[0] === PHONE, `phones: ${JSON.stringify(verified)}`);

  // B, a second cookie jar: sign in with the new address, by a code to it.
  b = await open('B');
  check(await b.evaluate(() => window.clerk.user == null), 'B starts signed out');
  const factors = await b.evaluate(async (identifier) => {
    const signIn = await window.clerk.client.signIn.create({ identifier });
    return signIn.supportedFirstFactors.map((f) => ({
      strategy: f.strategy,
      emailAddressId: f.emailAddressId,
      safeIdentifier: f.safeIdentifier,
    }));
  }, EMAIL);
  const factor = factors.find((f) => f.strategy === 'email_code');
  check(factor?.emailAddressId, `supportedFirstFactors: ${JSON.stringify(factors)}`);
  await b.evaluate(
    (emailAddressId) =>
      window.clerk.client.signIn.prepareFirstFactor({ strategy: 'email_code', emailAddressId }),
    factor.emailAddressId,
  );
  const signedIn = await b.evaluate(async (code) => {
    const attempt = await window.clerk.client.signIn.attemptFirstFactor({ strategy: 'email_code', code });
    if (attempt.status !== 'complete') return { status: attempt.status };
    await window.clerk.setActive({ session: attempt.createdSessionId });
    return { status: attempt.status, user: window.clerk.user.id, session: window.clerk.session.id };
  }, await codeFor(EMAIL));
  check(signedIn.status === 'complete', `email sign-in: ${JSON.stringify(signedIn)}`);
  check(signedIn.user === phoneUser, `B signed in as ${signedIn.user}, A is ${phoneUser}`);

  // A sees both sessions, and revokes B's.
  const listed = await a.evaluate(async () => {
    const sessions = await window.clerk.user.getSessions();
    return {
      current: window.clerk.session.id,
      sessions: sessions.map((s) => ({ id: s.id, status: s.status })),
    };
  });
  const ids = listed.sessions.map((s) => s.id);
  check(
    ids.length === 2 && ids[0] !== ids[1] && ids.includes(listed.current) && ids.includes(signedIn.session),
    `user.getSessions(): ${JSON.stringify(listed)}, B's session ${signedIn.session}`,
  );
  check(listed.sessions.every((s) => s.status === 'active'), `statuses: ${JSON.stringify(listed)}`);
  const revoked = await a.evaluate(async () => {
    const sessions = await window.clerk.user.getSessions();
    const other = sessions.find((s) => s.id !== window.clerk.session.id);
    const done = await other.revoke();
    return { id: done.id, status: done.status, stillSignedIn: window.clerk.user?.id ?? null };
  });
  check(
    revoked.id === signedIn.session && revoked.status === 'revoked',
    `revoke(): ${JSON.stringify(revoked)}`,
  );
  check(revoked.stillSignedIn === phoneUser, `A is still signed in: ${JSON.stringify(revoked)}`);
  await shot(a, 'clerk-account-1-a-revoked-b');

  // B's next request finds its session revoked: 401 authentication_invalid, which getToken()
  // throws; clerk-js then reloads its client (no sessions left) and is signed out.
  expected.push(/^B: Failed to load resource: the server responded with a status of 401/);
  const afterRevoke = await b.evaluate(async () => {
    try {
      const token = await window.clerk.session?.getToken({ skipCache: true });
      return { token: token ?? null };
    } catch (e) {
      return { token: null, error: e.errors?.[0]?.code ?? String(e) };
    }
  });
  check(
    afterRevoke.token == null && afterRevoke.error === 'authentication_invalid',
    `B's getToken() after the revocation: ${JSON.stringify(afterRevoke)}`,
  );
  await b.waitForFunction(() => window.clerk.user == null && window.clerk.session == null, null, {
    timeout: 10_000,
  });
  await b.reload();
  await visible(b, 'sign-up');
  check(await b.evaluate(() => window.clerk.user == null), 'B is signed out after a reload');
  // A, reloaded: one session left.
  await a.reload();
  await visible(a, 'signed-in');
  const left = await a.evaluate(async () => ({
    current: window.clerk.session.id,
    ids: (await window.clerk.user.getSessions()).map((s) => s.id),
  }));
  check(
    left.ids.length === 1 && left.ids[0] === left.current,
    `after the revocation: ${JSON.stringify(left)}`,
  );

  // A deletes the account: signed out, there and after a reload.
  const deleted = await a.evaluate(async () => {
    await window.clerk.user.delete();
    return { user: window.clerk.user?.id ?? null, session: window.clerk.session?.id ?? null };
  });
  check(deleted.user == null && deleted.session == null, `after user.delete(): ${JSON.stringify(deleted)}`);
  await a.reload();
  await visible(a, 'sign-up');
  check(await a.evaluate(() => window.clerk.user == null), 'A is signed out after a reload');

  // C, a new cookie jar: the same phone signs up again, as a new user.
  c = await open('C');
  const newUser = await signUpByPhone(c);
  check(newUser !== phoneUser, `the new sign-up got the deleted user's id ${newUser}`);
  await shot(c, 'clerk-account-2-new-sign-up');

  check(problems.length === 0, problems.join('\n'));
  console.log(
    JSON.stringify({ deletedUser: phoneUser, newUser, emailAddressId: added.id, revokedSession: revoked.id }),
  );
} catch (e) {
  for (const [page, name] of [[a, 'A'], [b, 'B'], [c, 'C']]) {
    if (page) await shot(page, `clerk-account-failure-${name}`).catch(() => {});
  }
  console.error(`clerk-js account e2e failed: ${e.stack ?? e}\n${problems.join('\n')}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
