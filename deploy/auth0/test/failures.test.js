// The post-login Action when the login cannot be synced: unknown users and
// connections, unprovisioned users, Nexus down or failing, and the time budget.

const test = require('node:test');
const assert = require('node:assert/strict');

const {
  provisionUser,
  fakeApi,
  loginEvent,
  secretsFor,
  startTokenServer,
  startSilentServer,
  startFailingServer,
  unusedUrl,
  login,
} = require('./support.js');

const API = 'https://api.example.com';

async function run(eventOptions) {
  const { api, recorded } = fakeApi();
  const started = Date.now();
  const lines = await login(loginEvent(eventOptions), api);
  return { ...recorded, lines, elapsedMs: Date.now() - started };
}

function assertNoClaims(recorded) {
  assert.deepEqual(recorded.idClaims, {});
  assert.deepEqual(recorded.accessClaims, {});
}

test('an unknown Nexus user id is denied with a reason naming the user', async (t) => {
  const tokens = await startTokenServer();
  t.after(tokens.close);
  const recorded = await run({
    nexusUserId: 'no-such-user',
    connectionId: 'con_1',
    audience: API,
    secrets: secretsFor(tokens),
  });
  assert.equal(recorded.denied.length, 1);
  assert.match(recorded.denied[0], /^Nexus has no account for this login: .*no-such-user/);
  assert.ok(recorded.lines.some((line) => /answered 404 \(request id [^n]/.test(line)), recorded.lines.join('\n'));
  assertNoClaims(recorded);
});

test('a connection the user has no identity on is denied with a reason naming the connection', async (t) => {
  const tokens = await startTokenServer();
  t.after(tokens.close);
  const provisioned = await provisionUser({ connectionId: 'con_linked' });
  const recorded = await run({
    nexusUserId: provisioned.userId,
    connectionId: 'con_elsewhere',
    audience: API,
    secrets: secretsFor(tokens),
  });
  assert.equal(recorded.denied.length, 1);
  assert.match(recorded.denied[0], /^Nexus has no account for this login: .*con_elsewhere/);
  assertNoClaims(recorded);
});

test('a user without app_metadata.nexus_user_id is denied, or let through unchanged when allowed', async (t) => {
  const tokens = await startTokenServer();
  t.after(tokens.close);
  const denied = await run({ connectionId: 'con_1', audience: API, secrets: secretsFor(tokens) });
  assert.deepEqual(denied.denied, ['This account is not provisioned in Nexus.']);
  assertNoClaims(denied);

  const allowed = await run({
    connectionId: 'con_1',
    audience: API,
    secrets: secretsFor(tokens, { NEXUS_ALLOW_UNPROVISIONED: 'true' }),
  });
  assert.deepEqual(allowed.denied, []);
  assertNoClaims(allowed);
  assert.equal(tokens.calls(), 0, 'Nexus is not asked about users it does not know');
});

test('missing settings deny the login', async () => {
  const recorded = await run({ nexusUserId: 'u', connectionId: 'con_1', secrets: { NEXUS_URL: 'http://127.0.0.1:1' } });
  assert.deepEqual(recorded.denied, ['Sign-in is unavailable: the Nexus sync is not configured.']);
});

test('an unreachable Nexus denies the login, or lets it through without claims with NEXUS_FAIL_OPEN', async (t) => {
  const tokens = await startTokenServer();
  t.after(tokens.close);
  const secrets = secretsFor(tokens, { NEXUS_URL: await unusedUrl() });
  const denied = await run({ nexusUserId: 'u1', connectionId: 'con_1', audience: API, secrets });
  assert.equal(denied.denied.length, 1);
  assert.match(denied.denied[0], /Nexus could not be reached/);
  assertNoClaims(denied);

  const open = await run({
    nexusUserId: 'u1',
    connectionId: 'con_1',
    audience: API,
    secrets: { ...secrets, NEXUS_FAIL_OPEN: 'true' },
  });
  assert.deepEqual(open.denied, []);
  assertNoClaims(open);
});

test('an unreachable token endpoint denies the login, or lets it through with NEXUS_FAIL_OPEN', async () => {
  const secrets = secretsFor({ url: `${await unusedUrl()}/oauth/token` });
  const denied = await run({ nexusUserId: 'u1', connectionId: 'con_1', audience: API, secrets });
  assert.equal(denied.denied.length, 1);
  const open = await run({
    nexusUserId: 'u1',
    connectionId: 'con_1',
    audience: API,
    secrets: { ...secrets, NEXUS_FAIL_OPEN: 'true' },
  });
  assert.deepEqual(open.denied, []);
  assertNoClaims(open);
});

for (const status of [500, 503]) {
  test(`a Nexus answering ${status} denies the login, or lets it through with NEXUS_FAIL_OPEN`, async (t) => {
    const tokens = await startTokenServer();
    const failing = await startFailingServer(status);
    t.after(tokens.close);
    t.after(failing.close);
    const secrets = secretsFor(tokens, { NEXUS_URL: failing.url });
    const denied = await run({ nexusUserId: 'u1', connectionId: 'con_1', audience: API, secrets });
    assert.equal(denied.denied.length, 1);
    assert.match(denied.denied[0], /Nexus could not be reached/);
    const open = await run({
      nexusUserId: 'u1',
      connectionId: 'con_1',
      audience: API,
      secrets: { ...secrets, NEXUS_FAIL_OPEN: 'true' },
    });
    assert.deepEqual(open.denied, []);
    assertNoClaims(open);
  });
}

test('a Nexus that never answers is given up on within the time budget and the login denied', async (t) => {
  const tokens = await startTokenServer();
  const silent = await startSilentServer();
  t.after(tokens.close);
  t.after(silent.close);
  const recorded = await run({
    nexusUserId: 'u1',
    connectionId: 'con_1',
    audience: API,
    secrets: secretsFor(tokens, { NEXUS_URL: silent.url, NEXUS_TIMEOUT_MS: '1000' }),
  });
  assert.equal(recorded.denied.length, 1);
  assert.match(recorded.denied[0], /Nexus could not be reached/);
  assertNoClaims(recorded);
  assert.ok(recorded.lines.some((line) => line.includes('no answer within 1000 ms')), recorded.lines.join('\n'));
  assert.ok(recorded.elapsedMs >= 950, `gave up after ${recorded.elapsedMs} ms, before the budget`);
  assert.ok(recorded.elapsedMs < 1500, `took ${recorded.elapsedMs} ms for a 1000 ms budget`);
});

test('the token request and the sync share one time budget', async (t) => {
  const tokens = await startTokenServer({ delayMs: 700 });
  const silent = await startSilentServer();
  t.after(tokens.close);
  t.after(silent.close);
  const recorded = await run({
    nexusUserId: 'u1',
    connectionId: 'con_1',
    audience: API,
    secrets: secretsFor(tokens, { NEXUS_URL: silent.url, NEXUS_TIMEOUT_MS: '1000' }),
  });
  assert.equal(tokens.calls(), 1);
  assert.equal(recorded.denied.length, 1);
  assert.ok(recorded.elapsedMs < 1500, `took ${recorded.elapsedMs} ms for a 1000 ms budget`);
});

test('a silent token endpoint is given up on within the budget, and NEXUS_FAIL_OPEN lets the login through', async (t) => {
  const silent = await startSilentServer();
  t.after(silent.close);
  const secrets = secretsFor({ url: `${silent.url}/oauth/token` }, { NEXUS_TIMEOUT_MS: '800', NEXUS_FAIL_OPEN: 'true' });
  const recorded = await run({ nexusUserId: 'u1', connectionId: 'con_1', audience: API, secrets });
  assert.deepEqual(recorded.denied, []);
  assertNoClaims(recorded);
  assert.ok(recorded.elapsedMs < 1300, `took ${recorded.elapsedMs} ms for an 800 ms budget`);
});

test('without NEXUS_TIMEOUT_MS the budget is five seconds', async (t) => {
  const silent = await startSilentServer();
  t.after(silent.close);
  const tokens = await startTokenServer();
  t.after(tokens.close);
  const recorded = await run({
    nexusUserId: 'u1',
    connectionId: 'con_1',
    audience: API,
    secrets: secretsFor(tokens, { NEXUS_URL: silent.url }),
  });
  assert.equal(recorded.denied.length, 1);
  assert.ok(recorded.elapsedMs >= 4900 && recorded.elapsedMs < 5500, `took ${recorded.elapsedMs} ms`);
});
