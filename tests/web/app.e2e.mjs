// The web build in headless Chromium, used like a person would: sign up by phone (a wrong code
// first), reload and still be signed in, sign out, sign in by email. Checks on the way that the
// client token is only in an HttpOnly cookie (never in document.cookie or Web Storage), that no
// request leaves loopback, and that the page logs no error. Screenshots go to $SHOTS.
//
// Run by the Rust test tests/app/web.rs, which serves the build and the backend:
//   APP_URL=… OTHER_URL=… API_URL=… PHONE=… EMAIL=… SHOTS=dir node app.e2e.mjs
// (OTHER_URL serves the same build from an origin the server does not allow.)

import { openPage, check, codeFor as outboxCode } from '../../tools/browser.mjs';

const { APP_URL, OTHER_URL, API_URL, PHONE, EMAIL, SHOTS } = process.env;
const codeFor = (to) => outboxCode(API_URL, to);
// The home screen shows the number as people read it.
const PHONE_SHOWN = '+1 202-555-0143';
const NEW_PHONE = '+12025550188';
const NEW_PHONE_SHOWN = '+1 202-555-0188';
const { page, problems, shot, close, context } = await openPage({
  shots: SHOTS,
  viewport: { width: 480, height: 720 },
});
const heading = (text) => page.getByRole('heading', { name: text }).waitFor();

try {
  // Sign up with a phone number.
  await page.goto(APP_URL);
  await heading('Sign up');
  await shot('web-1-sign-up');
  // As on desktop: the first field has the focus, Enter submits, the code field takes over.
  await page.waitForFunction(() => document.activeElement?.id === 'identifier');
  await page.keyboard.type(PHONE, { delay: 15 });
  await page.keyboard.press('Enter');
  await page.locator('#code').waitFor();
  await page.waitForFunction(() => document.activeElement?.id === 'code');
  await page.getByText(/Resend code in \d+ s/).waitFor();
  const code = await codeFor(PHONE);

  // A wrong code shows its message; six digits submit by themselves.
  const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  await page.locator('#code').pressSequentially(wrong, { delay: 15 });
  await page.getByRole('alert').filter({ hasText: 'That code is incorrect' }).waitFor();
  await shot('web-2-wrong-code');
  await page.locator('#code').fill('');
  await page.locator('#code').pressSequentially(code, { delay: 15 });
  await heading("You're signed in");
  check((await page.locator('#identifier').textContent()).trim() === PHONE_SHOWN, 'home shows the phone, formatted');
  await shot('web-3-signed-in');

  // The token is an HttpOnly cookie: page scripts see neither it nor any copy of it.
  const cookies = await context.cookies(API_URL);
  const client = cookies.find((c) => c.name === '__client');
  check(client && client.httpOnly && client.sameSite === 'Lax', `__client cookie: ${JSON.stringify(client)}`);
  const visible = await page.evaluate(() => ({
    cookie: document.cookie,
    storage: JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
  }));
  check(!visible.cookie.includes(client.value), 'the token is readable in document.cookie');
  check(!visible.storage.includes(client.value), 'the token is in Web Storage');

  // A reload keeps the session.
  await page.reload();
  await heading("You're signed in");
  check((await page.locator('#identifier').textContent()).trim() === PHONE_SHOWN, 'still signed in after reload');

  // Sign out, then sign in by email.
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  const signedOut = page.getByRole('heading', { name: /^Sign (in|up)$/ });
  await signedOut.waitFor();
  if ((await signedOut.textContent()) !== 'Sign in') {
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }
  await heading('Sign in');
  await page.getByRole('button', { name: 'Use email instead' }).click();
  await page.locator('#identifier[type=email]').pressSequentially(EMAIL, { delay: 15 });
  await page.keyboard.press('Enter');
  await page.locator('#code').waitFor();
  await page.locator('#code').pressSequentially(await codeFor(EMAIL), { delay: 15 });
  await heading("You're signed in");
  check((await page.locator('#identifier').textContent()).trim() === EMAIL, 'home shows the email');
  await shot('web-4-signed-in-by-email');

  // The wrong code above is the only error the page may have logged (the 422 of its request).
  const unexpected = problems.filter((p) => !p.includes('status of 422'));
  check(unexpected.length === 0, unexpected.join('\n'));

  // The account (UserProfile): add a phone number with the code sent to it, then delete the
  // account behind its confirmation: back at sign-up, signed out.
  await page.getByLabel('Add a phone number or email address').fill(NEW_PHONE);
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.locator('#identifier-code').waitFor();
  await page.locator('#identifier-code').pressSequentially(await codeFor(NEW_PHONE), { delay: 15 });
  await page.locator('.otp-identifiers li').filter({ hasText: NEW_PHONE_SHOWN }).waitFor();
  await page.locator('#identifier-code').waitFor({ state: 'detached' });
  check((await page.getByText('Unverified').count()) === 0, 'the new number is verified');
  await shot('web-4b-account');
  await page.getByRole('button', { name: 'Delete account…' }).click();
  await page.getByText("It can't be undone").waitFor();
  await shot('web-4c-delete-confirm');
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await heading('Sign up');
  await shot('web-4d-deleted');
  const after = problems.filter((p) => !p.includes('status of 422'));
  check(after.length === 0, after.join('\n'));

  // The same build served from an origin the server does not allow: the app says what is wrong
  // instead of "can't reach the server" (the refused requests' errors are expected here).
  const other = await context.newPage();
  await other.goto(OTHER_URL);
  await other.getByText("doesn't accept requests from this web address").waitFor();
  await other.screenshot({ path: `${SHOTS}/web-5-origin-not-allowed.png` });
  await onAPhone();
  console.log('web e2e: all steps passed');
} catch (e) {
  await shot('web-failure').catch(() => {});
  console.error(`web e2e failed: ${e.stack ?? e}\n${problems.join('\n')}`);
  process.exitCode = 1;
} finally {
  await close();
}

// The same build on a phone-sized screen (390×844, touch, device scale factor 3): on each
// screen nothing overflows sideways and every button and field is at least 44 px tall, so a
// thumb hits it. Signs in by phone with taps; screenshots phone-*.png.
async function onAPhone() {
  const phone = await openPage({
    shots: SHOTS,
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 3,
    hasTouch: true,
    isMobile: true,
  });
  const { page } = phone;
  const fits = async (screen) => {
    const found = await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const wide = [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > width + 0.5)
        .map((e) => e.tagName + (e.id ? `#${e.id}` : ''));
      const small = [...document.querySelectorAll('button, input')]
        .filter((e) => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
        .map((e) => `${e.tagName} "${(e.textContent || e.placeholder || '').trim()}" ${e.getBoundingClientRect().height}px`);
      return { scroll: document.documentElement.scrollWidth, width, wide, small };
    });
    check(found.scroll <= found.width && found.wide.length === 0, `${screen} overflows: ${JSON.stringify(found)}`);
    check(found.small.length === 0, `${screen} has targets under 44 px: ${found.small.join(', ')}`);
  };
  try {
    await page.goto(APP_URL);
    await page.getByRole('heading', { name: 'Sign up' }).waitFor();
    await fits('sign-up');
    await phone.shot('phone-1-sign-up');
    await page.getByRole('button', { name: 'Use email instead' }).tap();
    await page.locator('#identifier[type=email]').waitFor();
    await fits('sign-up by email');
    await page.getByRole('button', { name: 'Sign in', exact: true }).tap();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await fits('sign-in');
    await phone.shot('phone-2-sign-in');
    await page.locator('#identifier[type=tel]').tap();
    await page.keyboard.type(PHONE, { delay: 15 });
    await page.getByRole('button', { name: 'Continue' }).tap();
    await page.locator('#code').waitFor();
    await page.getByText(/Resend code in \d+ s/).waitFor();
    await fits('code entry');
    await phone.shot('phone-3-verify');
    await page.locator('#code').pressSequentially(await codeFor(PHONE), { delay: 15 });
    await page.getByRole('heading', { name: "You're signed in" }).waitFor();
    await fits('signed in');
    await phone.shot('phone-4-signed-in');
    check(phone.problems.length === 0, phone.problems.join('\n'));
  } catch (e) {
    await phone.shot('phone-failure').catch(() => {});
    throw e;
  } finally {
    await phone.close();
  }
}
