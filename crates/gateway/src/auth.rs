//! Authentication of REST calls: one middleware, in front of every route but the
//! health probes. `/v1` accepts a bearer token together with an
//! `ApplicationToken` header, or HTTP Basic. The accepted credentials come from
//! [`Credentials`]; anything else is 401 problem+json with `WWW-Authenticate`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use nexus_domain::Principal;
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use crate::problem::ApiError;

/// Header carrying the calling application's token on `/v1`.
pub const APPLICATION_TOKEN_HEADER: &str = "applicationtoken";

/// What the gateway accepts.
#[derive(Clone, Default)]
pub struct Credentials {
    /// Accepted `ApplicationToken` values, by application name.
    pub application_tokens: Vec<(String, SecretString)>,
    /// Accepted Basic users: name and password.
    pub basic_users: Vec<(String, SecretString)>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("application_tokens", &self.application_tokens.len())
            .field("basic_users", &self.basic_users.len())
            .finish()
    }
}

fn equal(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

impl Credentials {
    /// The principal of a request, from its headers.
    ///
    /// # Errors
    /// 401 when the credentials are missing or wrong.
    pub fn authenticate(&self, headers: &axum::http::HeaderMap) -> Result<Principal, ApiError> {
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ApiError::unauthorized("credentials are required"))?;
        if let Some(encoded) = authorization.strip_prefix("Basic ") {
            return self.basic(encoded.trim());
        }
        if let Some(token) = authorization.strip_prefix("Bearer ") {
            let token = token.trim();
            if token.is_empty() {
                return Err(ApiError::unauthorized("the bearer token is empty"));
            }
            let app_token = headers
                .get(APPLICATION_TOKEN_HEADER)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| {
                    ApiError::unauthorized(
                        "an ApplicationToken header is required with a bearer token",
                    )
                })?;
            let app = self
                .application_tokens
                .iter()
                .find(|(_, t)| equal(t.expose_secret(), app_token))
                .ok_or_else(|| ApiError::unauthorized("the ApplicationToken is not valid"))?;
            return Ok(Principal {
                subject: app.0.clone(),
                client: Some(app.0.clone()),
                ..Principal::default()
            });
        }
        Err(ApiError::unauthorized("unsupported authorization scheme"))
    }

    fn basic(&self, encoded: &str) -> Result<Principal, ApiError> {
        let bad = || ApiError::unauthorized("the Basic credentials are not valid");
        let decoded = STANDARD.decode(encoded).map_err(|_| bad())?;
        let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
        let (user, password) = decoded.split_once(':').ok_or_else(bad)?;
        // Compare against every entry so timing does not reveal which names exist.
        let mut found = None;
        for (name, secret) in &self.basic_users {
            if equal(name, user) & equal(secret.expose_secret(), password) {
                found = Some(name.clone());
            }
        }
        let subject = found.ok_or_else(bad)?;
        Ok(Principal {
            subject,
            ..Principal::default()
        })
    }
}

/// The authentication middleware: stores the [`Principal`] in the request's
/// extensions or answers 401.
pub async fn authenticate(
    State(credentials): State<Arc<Credentials>>,
    mut request: Request,
    next: Next,
) -> Response {
    match credentials.authenticate(request.headers()) {
        Ok(principal) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue};

    fn creds() -> Credentials {
        Credentials {
            application_tokens: vec![("console".into(), SecretString::from("app-secret"))],
            basic_users: vec![("ops".into(), SecretString::from("pw"))],
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn bearer_needs_a_valid_application_token() {
        let c = creds();
        let ok = c.authenticate(&headers(&[
            ("authorization", "Bearer t"),
            ("applicationtoken", "app-secret"),
        ]));
        assert_eq!(ok.unwrap().subject, "console");
        for h in [
            headers(&[("authorization", "Bearer t")]),
            headers(&[("authorization", "Bearer t"), ("applicationtoken", "wrong")]),
            headers(&[
                ("authorization", "Bearer "),
                ("applicationtoken", "app-secret"),
            ]),
            headers(&[]),
            headers(&[("authorization", "Digest x")]),
        ] {
            assert_eq!(c.authenticate(&h).unwrap_err().status, 401);
        }
    }

    #[test]
    fn basic_checks_name_and_password() {
        let c = creds();
        let good = format!("Basic {}", STANDARD.encode("ops:pw"));
        assert_eq!(
            c.authenticate(&headers(&[("authorization", &good)]))
                .unwrap()
                .subject,
            "ops"
        );
        for bad in ["ops:nope", "nobody:pw", "garbage"] {
            let h = format!("Basic {}", STANDARD.encode(bad));
            assert_eq!(
                c.authenticate(&headers(&[("authorization", &h)]))
                    .unwrap_err()
                    .status,
                401
            );
        }
    }
}
