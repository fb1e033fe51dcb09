// The post-login Action against a running Nexus: the claims it sets, what the
// sync writes, the audience it asks roles for, and its token cache.

const test = require('node:test');
const assert = require('node:assert/strict');

const {
  nexus,
  provisionUser,
  fakeCache,
  fakeApi,
  loginEvent,
  secretsFor,
  startTokenServer,
  login,
} = require('./support.js');

const NS = 'https://nexus.example/';
const API = 'https://api.example.com';

test('a login puts Nexus roles, names, UPN and user id into both tokens and syncs groups and attributes', async (t) => {
  const tokens = await startTokenServer();
  t.after(tokens.close);
  const provisioned = await provisionUser({
    connectionId: 'con_sync',
    roles: [
      { audience: API, name: 'editor' },
      { audience: 'https://other.example.com', name: 'auditor' },
    ],
    upns: [
      { clientUpnKey: 'crm', domain: 'crm.example.com' },
      { clientUpnKey: 'erp', domain: 'erp.example.com' },
    ],
  });
  const { api, recorded } = fakeApi();
  const event = loginEvent({
    nexusUserId: provisioned.userId,
    connectionId: 'con_sync',
    audience: API,
    upnKey: 'crm',
    secrets: secretsFor(tokens, {
      NEXUS_GROUPS_PATHS: 'app_metadata.groups, ["https://idp.example/groups"]',
      NEXUS_ATTRIBUTES: 'email, department=user_metadata.department, logins=user_metadata.logins',
    }),
    user: {
      app_metadata: { nexus_user_id: provisioned.userId, groups: ['staff', 'admins'] },
      user_metadata: { department: 'sales', logins: 7 },
      'https://idp.example/groups': ['admins', 'devs'],
    },
  });

  await login(event, api);

  assert.deepEqual(recorded.denied, []);
  assert.deepEqual(recorded.idClaims, {
    [`${NS}nexus_user_id`]: provisioned.userId,
    [`${NS}roles`]: [`editor-${provisioned.suffix}`],
    [`${NS}given_name`]: 'Ann',
    [`${NS}family_name`]: 'Lee',
    [`${NS}name`]: 'Ann Lee',
    [`${NS}upn`]: provisioned.upns.crm,
  });
  assert.deepEqual(recorded.accessClaims, recorded.idClaims);

  const read = await nexus('GET', `/v1/users/${provisioned.userId}`);
  assert.equal(read.status, 200);
  const identity = read.body.identities.find((i) => i.azoConnectionId === 'con_sync');
  assert.deepEqual(identity.groups.map((g) => g.groupName).sort(), ['admins', 'devs', 'staff']);
  const attributes = Object.fromEntries(read.body.attributes.map((a) => [a.name, a.value]));
  assert.deepEqual(attributes, { email: 'ann@example.com', department: 'sales' }, 'only string values are sent');
});

test('groups follow the latest login and a client without a UPN key gets no upn claim', async (t) => {
  const tokens = await startTokenServer();
  t.after(tokens.close);
  const provisioned = await provisionUser({
    connectionId: 'con_again',
    upns: [{ clientUpnKey: 'crm', domain: 'crm.example.com' }],
  });
  const cache = fakeCache();
  const run = async (groups, upnKey) => {
    const { api, recorded } = fakeApi(cache);
    const event = loginEvent({
      nexusUserId: provisioned.userId,
      connectionId: 'con_again',
      audience: API,
      upnKey,
      secrets: secretsFor(tokens),
      user: { app_metadata: { nexus_user_id: provisioned.userId, groups } },
    });
    await login(event, api);
    assert.deepEqual(recorded.denied, []);
    return recorded;
  };
  await run(['a', 'b'], 'crm');
  const second = await run('solo', undefined);
  assert.equal(second.idClaims[`${NS}upn`], undefined);
  assert.deepEqual(second.idClaims[`${NS}roles`], []);
  const read = await nexus('GET', `/v1/users/${provisioned.userId}`);
  assert.deepEqual(read.body.identities[0].groups.map((g) => g.groupName), ['solo']);
});

test('roles are those of the default audience, else of the client id, when the login asks for no API', async (t) => {
  const tokens = await startTokenServer();
  t.after(tokens.close);
  const provisioned = await provisionUser({
    connectionId: 'con_audience',
    roles: [
      { audience: 'https://default.example.com', name: 'reader' },
      { audience: 'client-app', name: 'member' },
    ],
  });
  const roles = async (extra) => {
    const { api, recorded } = fakeApi();
    const event = loginEvent({
      nexusUserId: provisioned.userId,
      connectionId: 'con_audience',
      secrets: secretsFor(tokens, extra),
    });
    await login(event, api);
    assert.deepEqual(recorded.denied, []);
    return recorded.accessClaims[`${NS}roles`];
  };
  assert.deepEqual(await roles({ NEXUS_DEFAULT_AUDIENCE: 'https://default.example.com' }), [
    `reader-${provisioned.suffix}`,
  ]);
  assert.deepEqual(await roles({}), [`member-${provisioned.suffix}`]);
});

test('the claim namespace is configurable', async (t) => {
  const tokens = await startTokenServer();
  t.after(tokens.close);
  const provisioned = await provisionUser({ connectionId: 'con_ns' });
  const { api, recorded } = fakeApi();
  const event = loginEvent({
    nexusUserId: provisioned.userId,
    connectionId: 'con_ns',
    audience: API,
    secrets: secretsFor(tokens, { NEXUS_CLAIM_NAMESPACE: 'https://claims.acme.test/' }),
  });
  await login(event, api);
  assert.deepEqual(recorded.denied, []);
  assert.equal(recorded.idClaims['https://claims.acme.test/nexus_user_id'], provisioned.userId);
  assert.equal(Object.keys(recorded.idClaims).some((name) => name.startsWith(NS)), false);
});

test('with NEXUS_CONNECTION_FIELD=name the identity is found by the connection name', async (t) => {
  const tokens = await startTokenServer();
  t.after(tokens.close);
  const event = loginEvent({ connectionId: 'con_by_name', audience: API, secrets: secretsFor(tokens) });
  const provisioned = await provisionUser({ connectionId: event.connection.name });
  event.user.app_metadata.nexus_user_id = provisioned.userId;
  const byId = fakeApi();
  await login(event, byId.api);
  assert.equal(byId.recorded.denied.length, 1, 'the id names no identity of the user');

  event.secrets.NEXUS_CONNECTION_FIELD = 'name';
  const byName = fakeApi();
  await login(event, byName.api);
  assert.deepEqual(byName.recorded.denied, []);
  assert.equal(byName.recorded.idClaims[`${NS}nexus_user_id`], provisioned.userId);
});

test('the Nexus token is fetched once across logins and again once its cache entry expires', async (t) => {
  const tokens = await startTokenServer({ expiresIn: 3600 });
  t.after(tokens.close);
  const provisioned = await provisionUser({ connectionId: 'con_cache' });
  const cache = fakeCache();
  const loginOnce = async () => {
    const { api, recorded } = fakeApi(cache);
    await login(
      loginEvent({
        nexusUserId: provisioned.userId,
        connectionId: 'con_cache',
        audience: API,
        secrets: secretsFor(tokens),
      }),
      api,
    );
    assert.deepEqual(recorded.denied, []);
    assert.equal(recorded.idClaims[`${NS}nexus_user_id`], provisioned.userId);
  };

  const before = Date.now();
  await loginOnce();
  await loginOnce();
  assert.equal(tokens.calls(), 1);
  assert.deepEqual(tokens.requests[0], {
    grant_type: 'client_credentials',
    client_id: 'm2m-client',
    client_secret: 'm2m-secret',
    audience: 'https://nexus.example/api',
  });
  const [entry] = [...cache.entries.values()];
  assert.ok(entry.expires_at > before + 3000 * 1000, 'cached for most of its lifetime');
  assert.ok(entry.expires_at <= Date.now() + 3540 * 1000, 'and dropped shortly before it expires');

  cache.skewMs = entry.expires_at - Date.now() + 1;
  await loginOnce();
  assert.equal(tokens.calls(), 2);
  await loginOnce();
  assert.equal(tokens.calls(), 2);
});

test('a cached token Nexus refuses is replaced by a new one within the same login', async (t) => {
  const tokens = await startTokenServer();
  t.after(tokens.close);
  const provisioned = await provisionUser({ connectionId: 'con_stale' });
  const cache = fakeCache();
  cache.set('nexus-m2m-token', 'not-a-jwt', { expires_at: Date.now() + 600000 });
  const { api, recorded } = fakeApi(cache);
  await login(
    loginEvent({ nexusUserId: provisioned.userId, connectionId: 'con_stale', audience: API, secrets: secretsFor(tokens) }),
    api,
  );
  assert.deepEqual(recorded.denied, []);
  assert.equal(recorded.idClaims[`${NS}nexus_user_id`], provisioned.userId);
  assert.equal(tokens.calls(), 1);
  assert.notEqual(cache.get('nexus-m2m-token').value, 'not-a-jwt');
});
