//! Authentication of REST calls. `/v1` accepts a bearer JWT together with an
//! `ApplicationToken` header, or HTTP Basic ([`authenticate`]); a request gets
//! the scopes of its JWT that its ApplicationToken also lists, or its Basic
//! user's. The tenant back-office routes accept a bearer JWT alone, whose
//! scopes and tenants are checked by the handlers ([`authenticate_oauth`]).
//! Anything else is 401 problem+json with `WWW-Authenticate`, saying what is
//! wrong in a few fixed words. Tokens, passwords and secrets are never logged.
//! Each refusal is counted by a fixed reason (`nexus_auth_failures_total`).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use argon2::{Argon2, PasswordHash, PasswordVerifier as _};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use nexus_domain::Principal;
use nexus_platform::Metrics;
use subtle::ConstantTimeEq;

use crate::api::problem::ApiError;
use crate::auth::basic::BasicGuard;
use crate::auth::credentials::{APPLICATION_TOKEN_HEADER, Credentials, Presented, presented};
use crate::auth::jwt::JwtError;

/// The configured credentials and the state Basic checks share.
pub struct Authenticator {
    credentials: Credentials,
    basic: BasicGuard,
    metrics: Metrics,
}

/// The reason a refused token is counted under.
fn jwt_reason(e: JwtError) -> &'static str {
    match e {
        JwtError::Malformed => "jwt_malformed",
        JwtError::Expired => "jwt_expired",
        JwtError::NotYetValid => "jwt_not_yet_valid",
        JwtError::BadSignature => "jwt_bad_signature",
        JwtError::WrongAudience => "jwt_wrong_audience",
        JwtError::WrongIssuer => "jwt_wrong_issuer",
        JwtError::UnknownKey => "jwt_unknown_key",
        JwtError::UnsupportedAlgorithm => "jwt_unsupported_algorithm",
    }
}

impl Authenticator {
    pub fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            basic: BasicGuard::new(),
            metrics: Metrics::new(),
        }
    }

    /// Counts refusals into `metrics` (the process's) instead of a registry
    /// of its own.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Counts a refusal under `reason` and hands back its answer.
    fn refused(&self, reason: &'static str, error: ApiError) -> ApiError {
        self.metrics.auth_failure(reason);
        error
    }

    /// The principal of a `/v1` request from `client`: a bearer JWT with an
    /// ApplicationToken, or HTTP Basic.
    ///
    /// # Errors
    /// 401 when the credentials are missing or wrong; 429 or 503 when Basic
    /// checks are throttled.
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
        client: Option<IpAddr>,
    ) -> Result<Principal, ApiError> {
        match presented(headers).map_err(|e| self.refused("credentials", e))? {
            Presented::Basic(encoded) => self.basic(encoded, client).await,
            Presented::Bearer(token) => {
                let app_token = headers
                    .get(APPLICATION_TOKEN_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| {
                        self.refused(
                            "application_token_missing",
                            ApiError::unauthorized(
                                "an ApplicationToken header is required with a bearer token",
                            ),
                        )
                    })?;
                let app = self
                    .credentials
                    .application(app_token)
                    .map_err(|e| self.refused("application_token", e))?;
                let mut principal = self.bearer(token).await?;
                principal.scopes.retain(|s| app.scopes().contains(s));
                if principal.client.is_none() {
                    principal.client = Some(app.name.clone());
                }
                Ok(principal)
            }
        }
    }

    /// The principal of an OAuth2 request: a bearer JWT alone.
    ///
    /// # Errors
    /// 401 when the token is missing or not valid.
    pub async fn authenticate_oauth(&self, headers: &HeaderMap) -> Result<Principal, ApiError> {
        match presented(headers).map_err(|e| self.refused("credentials", e))? {
            Presented::Bearer(token) => self.bearer(token).await,
            Presented::Basic(_) => Err(self.refused(
                "bearer_required",
                ApiError::unauthorized("a bearer token is required"),
            )),
        }
    }

    async fn bearer(&self, token: &str) -> Result<Principal, ApiError> {
        let verifier = self.credentials.jwt.as_ref().ok_or_else(|| {
            self.refused(
                "bearer_not_accepted",
                ApiError::unauthorized("bearer tokens are not accepted"),
            )
        })?;
        verifier.verify(token).await.map_err(|e| {
            tracing::debug!(reason = %e, "bearer token refused");
            self.refused(jwt_reason(e), ApiError::unauthorized(e.to_string()))
        })
    }

    async fn basic(&self, encoded: &str, client: Option<IpAddr>) -> Result<Principal, ApiError> {
        let bad = || {
            self.refused(
                "basic",
                ApiError::unauthorized("the Basic credentials are not valid"),
            )
        };
        let users = &self.credentials.basic_users;
        // With no Basic user there is no password to guess and no hash to
        // check: refuse without counting, so no caller is throttled for it.
        if users.is_empty() {
            return Err(bad());
        }
        let decoded = STANDARD
            .decode(encoded)
            .ok()
            .and_then(|d| String::from_utf8(d).ok());
        let Some((user, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
            self.basic.failed(None, client);
            return Err(bad());
        };
        let known = users
            .iter()
            .find(|u| bool::from(u.username.as_bytes().ct_eq(user.as_bytes())));
        let principal = |name: &str| {
            let scopes = users
                .iter()
                .find(|u| u.username == name)
                .map(|u| u.scopes().to_vec())
                .unwrap_or_default();
            Principal {
                subject: name.to_owned(),
                scopes,
                ..Principal::default()
            }
        };
        if let Some(name) = self.basic.cached(user, password) {
            return Ok(principal(&name));
        }
        self.basic
            .admit(user, client)
            .map_err(|e| self.refused("basic_throttled", e))?;
        // An unknown name is checked against another user's hash and refused,
        // so that the time taken does not reveal which names exist.
        let (target, exists) = match (known, users.first()) {
            (Some(u), _) => (u, true),
            (None, None) => return Err(bad()),
            (None, Some(first)) => (first, false),
        };
        let permit = self
            .basic
            .turn()
            .await
            .map_err(|e| self.refused("basic_throttled", e))?;
        let hash = target.hash.clone();
        let candidate = password.to_owned();
        // argon2 is deliberately slow: keep it off the async workers, and hold
        // the turn until it ends even if the caller goes away.
        let verified = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            PasswordHash::new(&hash).is_ok_and(|h| {
                Argon2::default()
                    .verify_password(candidate.as_bytes(), &h)
                    .is_ok()
            })
        })
        .await
        .map_err(|e| ApiError::internal(&e))?;
        if verified && exists {
            self.basic.remember(user, password);
            Ok(principal(&target.username))
        } else {
            self.basic.failed(Some(user), client);
            Err(bad())
        }
    }
}

/// The address the connection came from, when the server recorded it.
pub fn client_address(request: &Request) -> Option<IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The `/v1` middleware: stores the [`Principal`] in the request's
/// extensions or answers 401.
pub async fn authenticate(
    State(auth): State<Arc<Authenticator>>,
    mut request: Request,
    next: Next,
) -> Response {
    let client = client_address(&request);
    match auth.authenticate(request.headers(), client).await {
        Ok(principal) => {
            crate::middleware::trace::record_principal(request.headers(), &principal);
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(e) => e.into_response(),
    }
}

/// The OAuth2 middleware of `/api/{tenantId}/admin/**`: a bearer JWT alone.
/// Handlers check the scopes and tenants of the stored [`Principal`].
pub async fn authenticate_oauth(
    State(auth): State<Arc<Authenticator>>,
    mut request: Request,
    next: Next,
) -> Response {
    match auth.authenticate_oauth(request.headers()).await {
        Ok(principal) => {
            crate::middleware::trace::record_principal(request.headers(), &principal);
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(e) => e.into_response(),
    }
}
