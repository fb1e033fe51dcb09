// Test support for the post-login Action: Auth0's `event` and `api` faked in
// memory, a REST client for the running Nexus, and small HTTP servers standing
// in for the token endpoint and for a Nexus that fails.

const http = require('node:http');
const net = require('node:net');
const { randomUUID } = require('node:crypto');

const { onExecutePostLogin } = require('../post-login-action.js');

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests through deploy/auth0/test/run.sh`);
  return value;
}

const NEXUS_URL = env('NEXUS_TEST_URL');
const TOKEN = env('NEXUS_TEST_TOKEN');
const APPLICATION_TOKEN = env('NEXUS_TEST_APPLICATION_TOKEN');

/** A call to the running Nexus with the development credentials. */
async function nexus(method, path, body) {
  const response = await fetch(`${NEXUS_URL}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${TOKEN}`,
      ApplicationToken: APPLICATION_TOKEN,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

async function expectStatus(status, method, path, body) {
  const answer = await nexus(method, path, body);
  if (answer.status !== status) {
    throw new Error(`${method} ${path} answered ${answer.status}, not ${status}: ${JSON.stringify(answer.body)}`);
  }
  return answer.body;
}

/**
 * A Nexus user linked to a new IdP tenant on `connectionId`, granted `roles`
 * (`[{audience, name}]`, each name suffixed to stay unique), with a custom UPN
 * `ann-<suffix>@<domain>` per `[{clientUpnKey, domain}]`, once identity's copy
 * holds them.
 */
async function provisionUser({ connectionId, roles = [], upns = [] }) {
  const suffix = randomUUID().slice(0, 8);
  const tenant = await expectStatus(201, 'POST', '/v1/idp_tenants', {
    name: `action-${suffix}`,
    azoName: `action-${suffix}`,
    fqdn: `action-${suffix}.eu.auth0.com`,
    loginDomain: `login.action-${suffix}.example`,
  });
  const user = await expectStatus(201, 'POST', '/v1/users', {
    emailAddress: `ann-${suffix}@example.com`,
    username: `ann-${suffix}`,
    givenName: 'Ann',
    familyName: 'Lee',
    displayName: 'Ann Lee',
  });
  await expectStatus(200, 'PUT', `/v1/users/${user.id}/idp_tenants/${tenant.id}`, {
    strategy: 'auth0',
    azoUserId: `auth0|${suffix}`,
    azoConnectionId: connectionId,
  });
  const granted = [];
  for (const { audience, name } of roles) {
    const role = await expectStatus(201, 'POST', '/v1/roles', { audience, name: `${name}-${suffix}` });
    await expectStatus(200, 'PUT', `/v1/users/${user.id}/roles/${role.id}`);
    granted.push(role);
  }
  const upnValues = {};
  for (const { clientUpnKey, domain } of upns) {
    upnValues[clientUpnKey] = `ann-${suffix}@${domain}`;
    await expectStatus(201, 'POST', `/v1/users/${user.id}/custom-upns`, {
      clientUpnKey,
      customUpnValue: upnValues[clientUpnKey],
    });
  }
  // Identity's copy of the UPNs is fed by events: wait until it holds them all.
  for (let tries = 0; ; tries += 1) {
    const read = await expectStatus(200, 'GET', `/v1/users/${user.id}`);
    if (read.customUpns.length === upns.length) break;
    if (tries === 100) throw new Error(`custom UPNs of ${user.id} never reached identity`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { userId: user.id, suffix, roles: granted, upns: upnValues };
}

/** Auth0's `api.cache`, honouring `expires_at` against a clock the test may move forward. */
function fakeCache() {
  const entries = new Map();
  const cache = {
    skewMs: 0,
    now: () => Date.now() + cache.skewMs,
    entries,
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expires_at !== undefined && entry.expires_at <= cache.now()) {
        entries.delete(key);
        return undefined;
      }
      return { value: entry.value, expires_at: entry.expires_at };
    },
    set(key, value, options = {}) {
      if (typeof value !== 'string') throw new TypeError('the Auth0 cache holds strings');
      // Auth0 keeps the earlier of `ttl` and `expires_at`, 15 minutes when neither is given.
      const ttlExpiry = options.ttl === undefined ? undefined : cache.now() + options.ttl;
      const candidates = [options.expires_at, ttlExpiry].filter((v) => v !== undefined);
      const record = { value, expires_at: candidates.length > 0 ? Math.min(...candidates) : cache.now() + 15 * 60 * 1000 };
      entries.set(key, record);
      return { type: 'success', record };
    },
    delete(key) {
      entries.delete(key);
      return { type: 'success' };
    },
  };
  return cache;
}

/** Auth0's post-login `api`, recording what the Action asks for. */
function fakeApi(cache = fakeCache()) {
  const recorded = { idClaims: {}, accessClaims: {}, denied: [] };
  const api = {
    access: {
      deny(reason) {
        recorded.denied.push(reason);
        return api;
      },
    },
    idToken: {
      setCustomClaim(name, value) {
        recorded.idClaims[name] = value;
        return api;
      },
    },
    accessToken: {
      setCustomClaim(name, value) {
        recorded.accessClaims[name] = value;
        return api;
      },
    },
    cache,
  };
  return { api, recorded };
}

/** A post-login `event` for a user of `connectionId`; `user` and `secrets` are merged in. */
function loginEvent({ nexusUserId, connectionId, audience, upnKey, secrets = {}, user = {} }) {
  return {
    user: {
      user_id: 'auth0|test',
      email: 'ann@example.com',
      app_metadata: nexusUserId === undefined ? {} : { nexus_user_id: nexusUserId },
      user_metadata: {},
      ...user,
    },
    connection: { id: connectionId, name: 'Username-Password-Authentication', strategy: 'auth0' },
    client: { client_id: 'client-app', name: 'App', metadata: upnKey === undefined ? {} : { app_upn_key: upnKey } },
    resource_server: audience === undefined ? undefined : { identifier: audience },
    secrets,
  };
}

/** The Action's secrets pointing at the running Nexus and the given token endpoint. */
function secretsFor(tokenServer, extra = {}) {
  return {
    NEXUS_URL,
    NEXUS_TOKEN_URL: tokenServer.url,
    NEXUS_TOKEN_AUDIENCE: 'https://nexus.example/api',
    NEXUS_CLIENT_ID: 'm2m-client',
    NEXUS_CLIENT_SECRET: 'm2m-secret',
    NEXUS_APPLICATION_TOKEN: APPLICATION_TOKEN,
    ...extra,
  };
}

function listen(handler) {
  return new Promise((resolve) => {
    const server = http.createServer(handler);
    server.listen(0, '127.0.0.1', () => {
      const close = () =>
        new Promise((done) => {
          server.closeAllConnections();
          server.close(() => done());
        });
      resolve({ server, url: `http://127.0.0.1:${server.address().port}`, close });
    });
  });
}

/**
 * A client-credentials token endpoint answering with the development JWT
 * after `delayMs`; it counts calls and keeps each request's form.
 */
async function startTokenServer({ expiresIn = 3600, delayMs = 0 } = {}) {
  const requests = [];
  const started = await listen((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      requests.push(Object.fromEntries(new URLSearchParams(body)));
      setTimeout(() => {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ access_token: TOKEN, token_type: 'Bearer', expires_in: expiresIn }));
      }, delayMs);
    });
  });
  return { ...started, url: `${started.url}/oauth/token`, requests, calls: () => requests.length };
}

/** A server that accepts requests and never answers them. */
function startSilentServer() {
  return listen(() => {});
}

/** A server that answers every request with `status` and a problem body. */
function startFailingServer(status) {
  return listen((request, response) => {
    request.resume();
    response.writeHead(status, { 'Content-Type': 'application/problem+json' });
    response.end(JSON.stringify({ type: 'about:blank', title: 'failure', status, detail: 'failing on purpose' }));
  });
}

/** A URL on which nothing listens. */
function unusedUrl() {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(`http://127.0.0.1:${port}`));
    });
  });
}

const SENSITIVE = ['NEXUS_CLIENT_SECRET', 'NEXUS_APPLICATION_TOKEN'];

/**
 * Runs the Action like Auth0 does for one login, and fails when anything it
 * logs holds a secret or a token; answers the lines it logged.
 */
async function login(event, api) {
  const lines = [];
  const saved = { log: console.log, info: console.info, warn: console.warn, error: console.error };
  for (const name of Object.keys(saved)) {
    console[name] = (...args) => lines.push(args.map(String).join(' '));
  }
  try {
    await onExecutePostLogin(event, api);
  } finally {
    Object.assign(console, saved);
  }
  const cached = api.cache.get('nexus-m2m-token');
  const secrets = [TOKEN, cached && cached.value, ...SENSITIVE.map((name) => event.secrets[name])];
  for (const line of lines) {
    for (const secret of secrets.filter((value) => typeof value === 'string' && value.length >= 8)) {
      if (line.includes(secret)) throw new Error(`the Action logged a secret: ${line.slice(0, 40)}…`);
    }
  }
  return lines;
}

module.exports = {
  NEXUS_URL,
  TOKEN,
  nexus,
  expectStatus,
  provisionUser,
  fakeCache,
  fakeApi,
  loginEvent,
  secretsFor,
  startTokenServer,
  startSilentServer,
  startFailingServer,
  unusedUrl,
  login,
};
