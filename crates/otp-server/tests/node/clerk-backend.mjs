// Clerk's own server SDK, @clerk/backend (pinned in tools/package-lock.json), against otp-server's
// Backend API: createClerkClient({ secretKey, apiUrl }) lists, searches and reads users, lists and
// revokes a session, bans and deletes users; verifyToken accepts an RS256 session token (fetching
// our JWKS with the secret key) and refuses one whose signing key the operator revoked; a wrong key
// gets Clerk's error; verifyWebhook (@clerk/backend/webhooks) accepts our webhook and refuses a
// tampered one. Prints one JSON line with what it saw; any surprise exits non-zero.
//
// Run by crates/otp-server/tests/api/clerk_backend.rs:
//   API_URL=… SECRET_KEY=… TOKEN=… REVOKED_TOKEN=… PHONE=… EMAIL=… PHONE_USER=… EMAIL_USER=… \
//     node clerk-backend.mjs

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';

const require = createRequire(new URL('../../../../tools/package.json', import.meta.url));
const { createClerkClient, verifyToken } = await import(
  pathToFileURL(require.resolve('@clerk/backend')).href
);
const { verifyWebhook } = await import(
  pathToFileURL(require.resolve('@clerk/backend/webhooks')).href
);

const env = process.env;
const apiUrl = env.API_URL;
const secretKey = env.SECRET_KEY;
const clerk = createClerkClient({ secretKey, apiUrl });
const seen = {};

// Users: the list (newest first, with its total), a search, one user as Clerk shapes it.
const list = await clerk.users.getUserList({ limit: 10 });
assert.equal(list.totalCount, 2);
assert.deepEqual(list.data.map((u) => u.id), [env.EMAIL_USER, env.PHONE_USER]);
const found = await clerk.users.getUserList({ query: env.EMAIL.split('@')[0] });
assert.deepEqual(found.data.map((u) => u.id), [env.EMAIL_USER]);
assert.equal(found.totalCount, 1);
const byEmail = await clerk.users.getUserList({ emailAddress: [env.EMAIL] });
assert.deepEqual(byEmail.data.map((u) => u.id), [env.EMAIL_USER]);
assert.equal(await clerk.users.getCount(), 2);

const phoneUser = await clerk.users.getUser(env.PHONE_USER);
assert.equal(phoneUser.phoneNumbers.length, 1);
assert.equal(phoneUser.phoneNumbers[0].phoneNumber, env.PHONE);
assert.equal(phoneUser.phoneNumbers[0].verification.status, 'verified');
assert.equal(phoneUser.primaryPhoneNumber?.phoneNumber, env.PHONE);
assert.equal(phoneUser.banned, false);
const emailUser = await clerk.users.getUser(env.EMAIL_USER);
assert.equal(emailUser.primaryEmailAddress?.emailAddress, env.EMAIL);
assert.equal(emailUser.emailAddresses[0].verification.strategy, 'email_code');
seen.createdAt = phoneUser.createdAt;

// Session tokens: RS256, verified against /v1/jwks fetched with the secret key.
const claims = await verifyToken(env.TOKEN, { secretKey, apiUrl });
assert.equal(claims.sub, env.PHONE_USER);
seen.sid = claims.sid;
await assert.rejects(verifyToken(env.REVOKED_TOKEN, { secretKey, apiUrl }), (e) => {
  seen.revokedTokenRejected = e.reason;
  return true;
});

// Sessions: the phone user's one session, revoked.
const sessions = await clerk.sessions.getSessionList({ userId: env.PHONE_USER });
assert.equal(sessions.totalCount, 1);
assert.equal(sessions.data[0].id, claims.sid);
assert.equal(sessions.data[0].status, 'active');
const revoked = await clerk.sessions.revokeSession(claims.sid);
assert.equal(revoked.status, 'revoked');

// Ban the email user; delete the phone user.
const banned = await clerk.users.banUser(env.EMAIL_USER);
assert.equal(banned.banned, true);
const deleted = await clerk.users.deleteUser(env.PHONE_USER);
assert.equal(deleted.deleted, true);
assert.equal(deleted.id, env.PHONE_USER);

// Errors as Clerk's SDK reads them.
await assert.rejects(clerk.users.getUser(env.PHONE_USER), (e) => {
  seen.deletedUser = { status: e.status, code: e.errors?.[0]?.code };
  return true;
});
const wrongKey = createClerkClient({ secretKey: 'sk_live_wrong', apiUrl });
await assert.rejects(wrongKey.users.getUserList(), (e) => {
  seen.wrongKey = { status: e.status, code: e.errors?.[0]?.code };
  return true;
});

// Webhooks: our signature passes Clerk's verifyWebhook; a tampered body does not.
const hook = JSON.parse(env.WEBHOOK);
const request = (body) =>
  new Request('http://127.0.0.1/webhooks', {
    method: 'POST',
    headers: {
      'svix-id': hook['svix-id'],
      'svix-timestamp': hook['svix-timestamp'],
      'svix-signature': hook['svix-signature'],
      'content-type': 'application/json',
    },
    body,
  });
const event = await verifyWebhook(request(hook.body), { signingSecret: env.WEBHOOK_SECRET });
seen.webhook = { type: event.type, user: event.data.id };
const tampered = hook.body.replace(env.PHONE_USER, 'user_someone_else');
await assert.rejects(verifyWebhook(request(tampered), { signingSecret: env.WEBHOOK_SECRET }), (e) => {
  seen.tamperedWebhook = e.message;
  return true;
});

console.log(JSON.stringify(seen));
