/**
 * Nexus login-time sync: an Auth0 post-login Action (Node 18+, no npm modules).
 *
 * At every login it calls Nexus's `PUT {NEXUS_URL}/v1/users/{userId}/$sync`,
 * which makes the user's identity for this connection carry the groups of the
 * login and upserts the configured attributes, then puts what Nexus answers
 * (roles of the login's audience, names, the client's custom UPN, the Nexus
 * user id) into the ID and access tokens as namespaced claims.
 *
 * The Nexus user id is `event.user.app_metadata.nexus_user_id`, written there
 * when Nexus provisions the Auth0 user.
 *
 * Every setting is an Action secret (`event.secrets`), the only per-Action
 * store Auth0 offers; only the first three are sensitive.
 *
 * Secrets (never logged):
 *   NEXUS_CLIENT_ID            client id of the machine-to-machine application that calls Nexus
 *   NEXUS_CLIENT_SECRET        its client secret
 *   NEXUS_APPLICATION_TOKEN    the ApplicationToken Nexus expects next to the bearer token
 *
 * Configuration:
 *   NEXUS_URL                  required; base URL of the Nexus gateway, e.g. https://nexus.example.com
 *   NEXUS_TOKEN_URL            required; client-credentials token endpoint, e.g. https://TENANT.eu.auth0.com/oauth/token
 *   NEXUS_TOKEN_AUDIENCE       `audience` of the client-credentials request (the API identifier Nexus accepts);
 *                              not sent when empty
 *   NEXUS_DEFAULT_AUDIENCE     `audience` of the sync when the login asks for no API
 *                              (default: the application's client id)
 *   NEXUS_CLAIM_NAMESPACE      prefix of every claim (default https://nexus.example/)
 *   NEXUS_GROUPS_PATHS         comma-separated paths into event.user whose values (a string or an array of
 *                              strings) together are the login's groups (default app_metadata.groups);
 *                              keys holding dots go in brackets: groups,app_metadata["https://idp/groups"]
 *   NEXUS_ATTRIBUTES           comma-separated `key=path` (or `path`, keyed by its last segment) into
 *                              event.user; each string value becomes an attribute (default: none)
 *   NEXUS_CONNECTION_FIELD     `id` (default) or `name`: which of event.connection is the identity's
 *                              azoConnectionId
 *   NEXUS_TIMEOUT_MS           time budget of the token request and the sync together (default 5000,
 *                              at most 15000, inside Auth0's 20 s limit)
 *   NEXUS_FAIL_OPEN            `true`: when Nexus cannot answer, let the login through without Nexus claims
 *                              (default false: deny the login)
 *   NEXUS_ALLOW_UNPROVISIONED  `true`: let users without app_metadata.nexus_user_id through unchanged
 *                              (default false: deny them)
 */

const DEFAULT_NAMESPACE = 'https://nexus.example/';
const DEFAULT_TIMEOUT_MS = 5000;
const MAX_TIMEOUT_MS = 15000;
// Auth0 keeps a cache entry for at most 24 hours; keys are at most 64 bytes.
const TOKEN_CACHE_KEY = 'nexus-m2m-token';
const MAX_CACHE_SECONDS = 24 * 60 * 60;
const REFRESH_MARGIN_SECONDS = 60;

/** Nexus could not answer: the caller lets the login through or denies it by NEXUS_FAIL_OPEN. */
class Unavailable extends Error {}

/** Nexus answered, and the answer rules this login out. */
class Refused extends Error {
  constructor(message, reason) {
    super(message);
    this.reason = reason;
  }
}

function log(message) {
  // Auth0 keeps 256 characters of each console.log.
  console.log(`nexus-sync: ${message}`.slice(0, 256));
}

function flag(value) {
  return typeof value === 'string' && ['true', '1', 'yes'].includes(value.trim().toLowerCase());
}

function readSettings(secrets) {
  const text = (name) => (typeof secrets[name] === 'string' ? secrets[name].trim() : '');
  const required = ['NEXUS_URL', 'NEXUS_TOKEN_URL', 'NEXUS_CLIENT_ID', 'NEXUS_CLIENT_SECRET', 'NEXUS_APPLICATION_TOKEN'];
  const timeout = Number.parseInt(text('NEXUS_TIMEOUT_MS'), 10);
  return {
    missing: required.filter((name) => text(name) === ''),
    nexusUrl: text('NEXUS_URL').replace(/\/+$/, ''),
    tokenUrl: text('NEXUS_TOKEN_URL'),
    clientId: text('NEXUS_CLIENT_ID'),
    clientSecret: text('NEXUS_CLIENT_SECRET'),
    applicationToken: text('NEXUS_APPLICATION_TOKEN'),
    tokenAudience: text('NEXUS_TOKEN_AUDIENCE'),
    defaultAudience: text('NEXUS_DEFAULT_AUDIENCE'),
    namespace: text('NEXUS_CLAIM_NAMESPACE') || DEFAULT_NAMESPACE,
    groupsPaths: list(text('NEXUS_GROUPS_PATHS') || 'app_metadata.groups'),
    attributes: list(text('NEXUS_ATTRIBUTES')).map((entry) => {
      const at = entry.indexOf('=');
      if (at > 0) return { key: entry.slice(0, at).trim(), path: entry.slice(at + 1).trim() };
      const segments = parsePath(entry);
      return { key: String(segments[segments.length - 1] ?? entry), path: entry };
    }),
    connectionField: text('NEXUS_CONNECTION_FIELD') === 'name' ? 'name' : 'id',
    timeoutMs: Number.isFinite(timeout) && timeout > 0 ? Math.min(timeout, MAX_TIMEOUT_MS) : DEFAULT_TIMEOUT_MS,
    failOpen: flag(secrets.NEXUS_FAIL_OPEN),
    allowUnprovisioned: flag(secrets.NEXUS_ALLOW_UNPROVISIONED),
  };
}

/** Splits on commas that are not inside brackets, so bracketed keys may hold commas. */
function list(value) {
  const items = [];
  let depth = 0;
  let current = '';
  for (const char of value) {
    if (char === '[') depth += 1;
    if (char === ']') depth = Math.max(0, depth - 1);
    if (char === ',' && depth === 0) {
      items.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  items.push(current);
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

/** `a.b["c.d"][0]` → ['a', 'b', 'c.d', 0]. */
function parsePath(path) {
  const segments = [];
  const pattern = /\[\s*(?:"([^"]*)"|'([^']*)'|(\d+))\s*\]|([^.[\]]+)/g;
  for (const match of path.matchAll(pattern)) {
    if (match[3] !== undefined) segments.push(Number(match[3]));
    else segments.push(match[1] ?? match[2] ?? match[4]);
  }
  return segments;
}

function valueAt(root, path) {
  let value = root;
  for (const segment of parsePath(path)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = value[segment];
  }
  return value;
}

function groupsOf(user, paths) {
  const groups = [];
  for (const path of paths) {
    const value = valueAt(user, path);
    for (const group of Array.isArray(value) ? value : [value]) {
      if (typeof group === 'string' && group !== '' && !groups.includes(group)) groups.push(group);
    }
  }
  return groups;
}

function attributesOf(user, wanted) {
  const attributes = [];
  for (const { key, path } of wanted) {
    const value = valueAt(user, path);
    if (key !== '' && typeof value === 'string') attributes.push({ key, value });
  }
  return attributes;
}

async function readJson(response) {
  try {
    return await response.json();
  } catch (error) {
    if (error && error.name === 'AbortError') throw error;
    return null;
  }
}

/** A bearer token for Nexus: the cached one, or a new one from the client-credentials grant. */
async function bearerToken(api, settings, signal, { fresh }) {
  if (!fresh) {
    const cached = await api.cache.get(TOKEN_CACHE_KEY);
    if (cached && typeof cached.value === 'string' && cached.value !== '' && !(cached.expires_at <= Date.now())) {
      return { token: cached.value, cached: true };
    }
  }
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: settings.clientId,
    client_secret: settings.clientSecret,
  });
  if (settings.tokenAudience !== '') form.set('audience', settings.tokenAudience);
  const response = await fetch(settings.tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: form.toString(),
    signal,
  });
  const body = await readJson(response);
  if (!response.ok) throw new Unavailable(`token endpoint answered ${response.status}`);
  if (!body || typeof body.access_token !== 'string' || body.access_token === '') {
    throw new Unavailable('token endpoint answered without access_token');
  }
  const lifetime = Number(body.expires_in);
  if (Number.isFinite(lifetime) && lifetime > 0) {
    // Refreshed shortly before it expires, so a login never carries a token
    // that lapses on its way to Nexus.
    const seconds = Math.min(lifetime - Math.min(REFRESH_MARGIN_SECONDS, lifetime / 2), MAX_CACHE_SECONDS);
    const stored = await api.cache.set(TOKEN_CACHE_KEY, body.access_token, {
      expires_at: Date.now() + Math.floor(seconds * 1000),
    });
    if (stored && stored.type === 'error') log(`token not cached (${stored.code || 'error'})`);
  }
  return { token: body.access_token, cached: false };
}

async function putSync(settings, userId, request, token, signal) {
  const url = `${settings.nexusUrl}/v1/users/${encodeURIComponent(userId)}/$sync`;
  const response = await fetch(url, {
    method: 'PUT',
    headers: {
      Authorization: `Bearer ${token}`,
      ApplicationToken: settings.applicationToken,
      'Content-Type': 'application/json',
      Accept: 'application/json',
    },
    body: JSON.stringify(request),
    signal,
  });
  return { status: response.status, requestId: response.headers.get('x-request-id'), body: await readJson(response) };
}

async function sync(api, settings, userId, request, signal) {
  let credential = await bearerToken(api, settings, signal, { fresh: false });
  let answer = await putSync(settings, userId, request, credential.token, signal);
  if (answer.status === 401 && credential.cached) {
    // A cached token Nexus no longer accepts (revoked, rotated signing key):
    // one more try with a new one.
    await api.cache.delete(TOKEN_CACHE_KEY);
    credential = await bearerToken(api, settings, signal, { fresh: true });
    answer = await putSync(settings, userId, request, credential.token, signal);
  }
  const detail = answer.body && typeof answer.body.detail === 'string' ? answer.body.detail : '';
  const context = `$sync answered ${answer.status} (request id ${answer.requestId || 'none'})`;
  if (answer.status === 200) {
    if (answer.body && typeof answer.body === 'object') return answer.body;
    throw new Unavailable(`${context} without a JSON body`);
  }
  if (answer.status === 404) {
    throw new Refused(`${context}: ${detail}`, `Nexus has no account for this login: ${detail || 'unknown user'}`.slice(0, 200));
  }
  if (answer.status >= 500 || [401, 403, 408, 429].includes(answer.status)) {
    throw new Unavailable(`${context}: ${detail}`);
  }
  throw new Refused(`${context}: ${detail}`, 'Nexus rejected this login.');
}

function setClaims(api, namespace, claims) {
  for (const [name, value] of Object.entries(claims)) {
    api.idToken.setCustomClaim(`${namespace}${name}`, value);
    api.accessToken.setCustomClaim(`${namespace}${name}`, value);
  }
}

function claimsOf(answer, clientUpnKey) {
  const claims = {
    nexus_user_id: answer.userId,
    roles: (Array.isArray(answer.roles) ? answer.roles : [])
      .map((role) => role && role.name)
      .filter((name) => typeof name === 'string'),
    given_name: answer.givenName,
    family_name: answer.familyName,
    name: answer.displayName,
  };
  if (clientUpnKey !== null) {
    const upns = answer.user && Array.isArray(answer.user.customUpns) ? answer.user.customUpns : [];
    const upn = upns.find((entry) => entry && entry.clientUpnKey === clientUpnKey);
    if (upn && typeof upn.customUpnValue === 'string') claims.upn = upn.customUpnValue;
  }
  return claims;
}

exports.onExecutePostLogin = async (event, api) => {
  const settings = readSettings(event.secrets || {});
  if (settings.missing.length > 0) {
    log(`not configured, missing secrets: ${settings.missing.join(', ')}`);
    api.access.deny('Sign-in is unavailable: the Nexus sync is not configured.');
    return;
  }

  const user = event.user || {};
  const userId = user.app_metadata && user.app_metadata.nexus_user_id;
  if (typeof userId !== 'string' || userId === '') {
    if (settings.allowUnprovisioned) return;
    log(`user ${user.user_id} has no app_metadata.nexus_user_id`);
    api.access.deny('This account is not provisioned in Nexus.');
    return;
  }

  const client = event.client || {};
  const upnKey = client.metadata && client.metadata.app_upn_key;
  const clientUpnKey = typeof upnKey === 'string' && upnKey !== '' ? upnKey : null;
  const request = {
    audience: (event.resource_server && event.resource_server.identifier) || settings.defaultAudience || client.client_id,
    attributes: attributesOf(user, settings.attributes),
    connection: {
      connectionId: event.connection && event.connection[settings.connectionField],
      groups: groupsOf(user, settings.groupsPaths),
    },
    clientUpnKey,
  };

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), settings.timeoutMs);
  let answer;
  try {
    answer = await sync(api, settings, userId, request, controller.signal);
  } catch (error) {
    if (error instanceof Refused) {
      log(`denied ${userId}: ${error.message}`);
      api.access.deny(error.reason);
      return;
    }
    const cause = controller.signal.aborted
      ? `no answer within ${settings.timeoutMs} ms`
      : error instanceof Unavailable
        ? error.message
        : `unreachable (${(error && error.cause && error.cause.code) || (error && error.name) || 'error'})`;
    if (settings.failOpen) {
      log(`${userId} let through without Nexus claims: ${cause}`);
      return;
    }
    log(`denied ${userId}: ${cause}`);
    api.access.deny('Sign-in is unavailable: Nexus could not be reached. Please try again later.');
    return;
  } finally {
    clearTimeout(timer);
  }
  setClaims(api, settings.namespace, claimsOf(answer, clientUpnKey));
};
