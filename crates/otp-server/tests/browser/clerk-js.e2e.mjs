// examples/clerk-js (Clerk's vanilla-JS OTP flow with the real @clerk/clerk-js) in headless
// Chromium against otp-server: phone sign-up with a wrong code and then the right one, setActive,
// reload (still signed in), getToken() verified against our JWKS, sign-out, phone sign-in, email
// sign-up. Fails if the page or clerk-js logs an unexpected error, or if any request leaves
// loopback. Prints one JSON line with what the Rust test checks against the database.
//
// Run by crates/otp-server/tests/api/clerk_js.rs:
//   APP_URL=… API_URL=… PHONE=… EMAIL=… SHOTS=dir node clerk-js.e2e.mjs

import { createPublicKey, verify } from 'node:crypto';
import { openPage, check, codeFor as outboxCode } from '../../../../tools/browser.mjs';

const { APP_URL, API_URL, PHONE, EMAIL, SHOTS } = process.env;
const codeFor = (to) => outboxCode(API_URL, to);

/** Verifies an EdDSA JWT against the server's JWKS; returns its claims. */
async function verifyJwt(jwt) {
  const [h, p, s] = jwt.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const jwks = await (await fetch(`${API_URL}/.well-known/jwks.json`)).json();
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  check(jwk, `no key ${header.kid} in the JWKS`);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  check(verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url')), 'JWT signature');
  return JSON.parse(Buffer.from(p, 'base64url'));
}

const { page, problems, shot, close, context } = await openPage({
  shots: SHOTS,
  viewport: { width: 640, height: 480 },
});
page.setDefaultTimeout(20_000);
// clerk-js warns on the console when something about its setup is off: none is expected.
page.on('console', (m) => {
  if (m.type() === 'warning' && /clerk/i.test(m.text())) problems.push(`clerk-js warning: ${m.text()}`);
});
const visible = (id) => page.locator(`#${id}`).waitFor({ state: 'visible' });

async function enterCode(code) {
  await page.locator('#code').fill(code);
  await page.locator('#verify-button').click();
}

async function signedInUser() {
  await visible('signed-in');
  return (await page.locator('#user-id').textContent()).trim();
}

try {
  await page.goto(APP_URL);
  await visible('sign-up');

  // Phone sign-up: a wrong code first, then the right one.
  await page.locator('#sign-up-identifier').fill(PHONE);
  await page.locator('#sign-up-form button[type=submit]').click();
  await visible('verifying');
  const code = await codeFor(PHONE);
  await enterCode(String((Number(code) + 1) % 1_000_000).padStart(6, '0'));
  await page.locator('#error', { hasText: 'form_code_incorrect' }).waitFor();
  await shot('clerk-1-wrong-code');
  await enterCode(code);
  const phoneUser = await signedInUser();
  check(phoneUser.startsWith('user_'), `user id ${phoneUser}`);
  check(await page.evaluate(() => window.clerk.user.id) === phoneUser, 'clerk.user.id');
  await shot('clerk-2-signed-in');

  // A reload: clerk-js finds the session through the HttpOnly client cookie.
  await page.reload();
  check((await signedInUser()) === phoneUser, 'the same user after a reload');
  const cookies = await context.cookies(API_URL);
  const client = cookies.find((c) => c.name === '__client');
  check(client?.httpOnly, `__client cookie: ${JSON.stringify(client)}`);
  check(!(await page.evaluate(() => document.cookie)).includes(client.value), 'token readable by scripts');

  // getToken(): a session JWT that verifies against our JWKS and names this user and session.
  const jwt = await page.evaluate(() => window.clerk.session.getToken());
  const claims = await verifyJwt(jwt);
  const sessionId = await page.evaluate(() => window.clerk.session.id);
  check(claims.sub === phoneUser && claims.sid === sessionId, `claims ${JSON.stringify(claims)}`);
  check(claims.exp > claims.iat, 'exp after iat');

  // Sign out, then sign in again by phone: the same user.
  await page.locator('#sign-out').click();
  await visible('sign-up');
  check(await page.evaluate(() => window.clerk.user == null), 'signed out in clerk-js');
  await page.locator('#show-sign-in').click();
  await page.locator('#sign-in-identifier').fill(PHONE);
  await page.locator('#sign-in-form button[type=submit]').click();
  await visible('verifying');
  await enterCode(await codeFor(PHONE));
  check((await signedInUser()) === phoneUser, 'phone sign-in finds the same user');

  // Sign out, and sign up by email: a second user.
  await page.locator('#sign-out').click();
  await visible('sign-up');
  await page.locator('#sign-up-identifier').fill(EMAIL);
  await page.locator('#sign-up-form button[type=submit]').click();
  await visible('verifying');
  await enterCode(await codeFor(EMAIL));
  const emailUser = await signedInUser();
  check(emailUser !== phoneUser, 'the email sign-up made a new user');
  check((await page.locator('#identifier').textContent()).trim() === EMAIL, 'shows the email');
  await shot('clerk-3-email-sign-up');

  // The one error expected on the console: the browser's own line for the wrong code's 422.
  const unexpected = problems.filter((p) => !p.includes('status of 422'));
  check(unexpected.length === 0, unexpected.join('\n'));
  console.log(JSON.stringify({ phoneUser, emailUser }));
} catch (e) {
  await shot('clerk-failure').catch(() => {});
  console.error(`clerk-js e2e failed: ${e.stack ?? e}\n${problems.join('\n')}`);
  process.exitCode = 1;
} finally {
  await close();
}
