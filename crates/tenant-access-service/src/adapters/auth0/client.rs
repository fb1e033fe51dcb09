//! Auth0 over HTTP: the Management API with a client-credentials token
//! cached until shortly before it expires and fetched by one caller at a
//! time, and the Authentication API's calls that need no token. Every call is
//! retried within bounds. A 429 waits what Auth0 asks (`Retry-After`,
//! else `X-RateLimit-Reset`) when that fits `max_retry_wait_ms`; a 5xx, a
//! connection failure or a time-out waits an exponential backoff. The client
//! secret and the token are never logged.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, header};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use nexus_platform::config::Auth0Settings;
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::{Value, json};

use crate::domain::TenantAccessError;

/// Largest answer read from Auth0.
const MAX_BODY_BYTES: usize = 1 << 20;

/// An answer of Auth0.
#[derive(Debug)]
pub(super) struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

/// How often and how long a call is tried.
#[derive(Debug, Clone, Copy)]
struct Policy {
    attempts: u32,
    timeout: Duration,
    backoff: Duration,
    max_wait: Duration,
}

/// The cached bearer token and when to fetch a new one.
struct Cached {
    token: SecretString,
    refresh_at: Instant,
}

/// A client of one Auth0 tenant's Management and Authentication APIs.
pub(super) struct Management {
    base: String,
    audience: String,
    client_id: String,
    client_secret: SecretString,
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    policy: Policy,
    token: tokio::sync::Mutex<Option<Cached>>,
}

/// The Auth0 API a call goes to, named in its failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Api {
    Management,
    Authentication,
}

impl std::fmt::Display for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Management => "Auth0 Management API",
            Self::Authentication => "Auth0 Authentication API",
        })
    }
}

/// The failure of a Management API call, in words safe to show: it names
/// Auth0.
pub(super) fn failure(message: impl std::fmt::Display) -> TenantAccessError {
    failure_of(Api::Management, message)
}

/// The failure of a call to `api`, in words safe to show.
pub(super) fn failure_of(api: Api, message: impl std::fmt::Display) -> TenantAccessError {
    TenantAccessError::IdentityProvider(format!("{api}: {message}"))
}

impl Management {
    pub(super) fn new(settings: &Auth0Settings) -> Self {
        let domain = settings.domain.trim_end_matches('/');
        let base = if domain.contains("://") {
            domain.to_owned()
        } else {
            format!("https://{domain}")
        };
        let audience = settings
            .audience
            .clone()
            .unwrap_or_else(|| format!("{base}/api/v2/"));
        // Mozilla's roots are built in, so a slim image needs no CA bundle.
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        Self {
            base,
            audience,
            client_id: settings.client_id.clone(),
            client_secret: settings.client_secret.clone(),
            http: Client::builder(TokioExecutor::new()).build(connector),
            policy: Policy {
                attempts: settings.max_attempts.max(1),
                timeout: Duration::from_millis(settings.timeout_ms),
                backoff: Duration::from_millis(settings.backoff_ms),
                max_wait: Duration::from_millis(settings.max_retry_wait_ms),
            },
            token: tokio::sync::Mutex::new(None),
        }
    }

    /// Calls `path` (under `/api/v2/`) with the cached token; a 401 drops the
    /// token and tries once more with a new one (a rotated or revoked token).
    pub(super) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, TenantAccessError> {
        let url = format!("{}/api/v2/{path}", self.base);
        let mut renewed = false;
        loop {
            let token = self.bearer().await?;
            let reply = self
                .send_retried(Api::Management, &method, &url, body, Some(&token))
                .await?;
            if reply.status == StatusCode::UNAUTHORIZED && !renewed {
                self.forget(&token).await;
                renewed = true;
                continue;
            }
            return Ok(reply);
        }
    }

    /// POSTs `body` to `path` (under the domain, e.g.
    /// `dbconnections/change_password`) of the Authentication API, with no
    /// token.
    pub(super) async fn post_public(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<Reply, TenantAccessError> {
        let url = format!("{}/{path}", self.base);
        self.send_retried(Api::Authentication, &Method::POST, &url, Some(body), None)
            .await
    }

    /// The client id that calls are made as.
    pub(super) fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The cached token, or a new one. The lock is held while fetching, so
    /// concurrent callers wait for one token request instead of each making
    /// their own.
    async fn bearer(&self) -> Result<SecretString, TenantAccessError> {
        let mut cached = self.token.lock().await;
        if let Some(c) = cached.as_ref().filter(|c| Instant::now() < c.refresh_at) {
            return Ok(c.token.clone());
        }
        let fresh = self.fetch_token().await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    async fn forget(&self, token: &SecretString) {
        let mut cached = self.token.lock().await;
        if cached
            .as_ref()
            .is_some_and(|c| c.token.expose_secret() == token.expose_secret())
        {
            *cached = None;
        }
    }

    async fn fetch_token(&self) -> Result<Cached, TenantAccessError> {
        let body = json!({
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret.expose_secret(),
            "audience": self.audience,
        });
        let url = format!("{}/oauth/token", self.base);
        let reply = self
            .send_retried(Api::Management, &Method::POST, &url, Some(&body), None)
            .await?;
        if reply.status != StatusCode::OK {
            return Err(failure(format_args!(
                "the token request was refused ({})",
                reply.status.as_u16()
            )));
        }
        let token = reply
            .body
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or_else(|| failure("the token answer has no access_token"))?;
        let lifetime = reply
            .body
            .get("expires_in")
            .and_then(Value::as_u64)
            .unwrap_or(60);
        // Renewed a minute early (half the lifetime for short tokens), so a
        // token never expires between being read here and reaching Auth0.
        let early = (lifetime / 2).min(60);
        Ok(Cached {
            token: SecretString::from(token.to_owned()),
            refresh_at: Instant::now() + Duration::from_secs(lifetime - early),
        })
    }

    /// One call, tried up to `attempts` times; failures name `api`.
    async fn send_retried(
        &self,
        api: Api,
        method: &Method,
        url: &str,
        body: Option<&Value>,
        bearer: Option<&SecretString>,
    ) -> Result<Reply, TenantAccessError> {
        let mut backoff = self.policy.backoff;
        let mut attempt = 1;
        loop {
            let outcome =
                tokio::time::timeout(self.policy.timeout, self.send(method, url, body, bearer))
                    .await;
            let (wait, why) = match outcome {
                Ok(Ok((reply, headers))) if reply.status == StatusCode::TOO_MANY_REQUESTS => {
                    let wait = rate_limit_wait(&headers, backoff);
                    if wait > self.policy.max_wait {
                        return Err(failure_of(
                            api,
                            format_args!("rate limited for {} s", wait.as_secs()),
                        ));
                    }
                    (wait, "rate limited (429)".to_owned())
                }
                Ok(Ok((reply, _))) if reply.status.is_server_error() => {
                    (backoff, format!("answered {}", reply.status.as_u16()))
                }
                Ok(Ok((reply, _))) => return Ok(reply),
                Ok(Err(cause)) => (backoff, format!("unreachable ({cause})")),
                Err(_) => (
                    backoff,
                    format!("no answer within {} ms", self.policy.timeout.as_millis()),
                ),
            };
            // The query may hold an email address: only the path is logged.
            let path = url.split('?').next().unwrap_or_default();
            tracing::warn!(path, attempt, reason = %why, "Auth0 call failed");
            if attempt >= self.policy.attempts {
                return Err(failure_of(
                    api,
                    format_args!("unavailable after {attempt} tries: {why}"),
                ));
            }
            tokio::time::sleep(wait).await;
            attempt += 1;
            backoff = backoff.saturating_mul(2);
        }
    }

    async fn send(
        &self,
        method: &Method,
        url: &str,
        body: Option<&Value>,
        bearer: Option<&SecretString>,
    ) -> Result<(Reply, HeaderMap), String> {
        let mut request = http::Request::builder()
            .method(method.clone())
            .uri(url)
            .header(header::ACCEPT, "application/json");
        if let Some(token) = bearer {
            request = request.header(
                header::AUTHORIZATION,
                format!("Bearer {}", token.expose_secret()),
            );
        }
        let payload = match body {
            Some(v) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Bytes::from(v.to_string())
            }
            None => Bytes::new(),
        };
        let request = request
            .body(Full::new(payload))
            .map_err(|e| e.to_string())?;
        let response = self
            .http
            .request(request)
            .await
            .map_err(|e| e.to_string())?;
        let (parts, body) = response.into_parts();
        let bytes = Limited::new(body, MAX_BODY_BYTES)
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        // The Authentication API answers some calls with plain text.
        let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            let text = String::from_utf8_lossy(&bytes);
            let text = text.trim();
            if text.is_empty() {
                Value::Null
            } else {
                Value::String(text.to_owned())
            }
        });
        Ok((
            Reply {
                status: parts.status,
                body,
            },
            parts.headers,
        ))
    }
}

/// What a 429 asks to wait: `Retry-After` seconds, else until the
/// `X-RateLimit-Reset` epoch second, else `fallback`.
fn rate_limit_wait(headers: &HeaderMap, fallback: Duration) -> Duration {
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    if let Some(secs) = number("retry-after") {
        return Duration::from_secs(secs);
    }
    if let Some(reset) = number("x-ratelimit-reset") {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        return Duration::from_secs(reset.saturating_sub(now));
    }
    fallback
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_429_waits_what_auth0_asks() {
        let fallback = Duration::from_millis(5);
        let mut headers = HeaderMap::new();
        assert_eq!(rate_limit_wait(&headers, fallback), fallback);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        headers.insert("x-ratelimit-reset", (now + 3).to_string().parse().unwrap());
        let wait = rate_limit_wait(&headers, fallback);
        assert!((2..=3).contains(&wait.as_secs()), "{wait:?}");
        headers.insert("retry-after", "1".parse().unwrap());
        assert_eq!(rate_limit_wait(&headers, fallback), Duration::from_secs(1));
    }
}
