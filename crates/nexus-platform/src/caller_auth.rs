//! Who calls a service over gRPC, checked before any handler runs. Two kinds
//! of callers are accepted:
//! - a bearer JWT in the `authorization` metadata (`Bearer …`), verified like
//!   the gateway verifies REST callers' (same `[auth.jwt]` issuer, audience
//!   and keys); the token must hold the scope of the method, the same scope
//!   its REST route needs, so an internal caller authenticates as itself
//!   with no more rights than its token grants;
//! - a principal signed by a trusted component ([`crate::internal_auth`]):
//!   the signer checked the caller's rights, and the signature is bound to
//!   the method, so it is not checked against scopes again.
//!
//! The verified principal is put in the request's extensions, where
//! [`principal_of`](crate::internal_auth::principal_of) finds it. A refusal is
//! `UNAUTHENTICATED` (no or bad credentials) or `PERMISSION_DENIED` (a token
//! without the method's scope), in Nexus's words.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use nexus_domain::Principal;
use tonic::server::NamedService;

use crate::internal_auth::InternalAuth;
use crate::jwt::JwtVerifier;

/// The scope a method needs from a bearer token, by method name (`GetUser`);
/// `None` for a method no token may call.
pub type MethodScopes = fn(&str) -> Option<&'static str>;

/// How a service authenticates its callers.
#[derive(Clone)]
pub struct CallerAuth {
    internal: InternalAuth,
    jwt: Option<Arc<JwtVerifier>>,
}

impl std::fmt::Debug for CallerAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallerAuth")
            .field("internal", &self.internal)
            .field("jwt", &self.jwt.is_some())
            .finish()
    }
}

impl CallerAuth {
    /// Signed principals verified with `internal`; bearer tokens with `jwt`
    /// (without it, every bearer token is refused).
    pub fn new(internal: InternalAuth, jwt: Option<Arc<JwtVerifier>>) -> Self {
        Self { internal, jwt }
    }

    /// The keys this process signs its own outgoing principals with.
    pub fn internal(&self) -> &InternalAuth {
        &self.internal
    }

    /// `service`, answering only authenticated callers; bearer tokens must
    /// hold the scope `scopes` names for the method called.
    pub fn layer<S>(&self, service: S, scopes: MethodScopes) -> Authenticated<S> {
        Authenticated {
            inner: service,
            auth: self.clone(),
            scopes,
        }
    }

    /// The principal of a call of `path` (`/package.Service/Method`).
    ///
    /// # Errors
    /// The refusal to answer with.
    pub async fn authenticate(
        &self,
        headers: &http::HeaderMap,
        path: &str,
        scopes: MethodScopes,
    ) -> Result<Principal, tonic::Status> {
        if let Some(token) = bearer(headers)? {
            let Some(jwt) = &self.jwt else {
                return Err(tonic::Status::unauthenticated(
                    "bearer tokens are not accepted: no [auth.jwt] key source is configured",
                ));
            };
            let principal = jwt
                .verify(token)
                .await
                .map_err(|e| tonic::Status::unauthenticated(e.to_string()))?;
            let method = path.rsplit('/').next().unwrap_or_default();
            return match scopes(method) {
                Some(scope) if principal.has_scope(scope) => Ok(principal),
                Some(scope) => Err(tonic::Status::permission_denied(format!(
                    "this operation needs the scope {scope}"
                ))),
                None => Err(tonic::Status::permission_denied(
                    "this operation is not open to bearer tokens",
                )),
            };
        }
        if InternalAuth::is_presented(headers) {
            return self.internal.verify(headers, path);
        }
        Err(tonic::Status::unauthenticated(
            "missing credentials: send `authorization: Bearer <token>`",
        ))
    }
}

/// The token of an `authorization: Bearer …` header, if there is one.
fn bearer(headers: &http::HeaderMap) -> Result<Option<&str>, tonic::Status> {
    let Some(value) = headers.get(http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let unsupported = || tonic::Status::unauthenticated("unsupported authorization scheme");
    let value = value.to_str().map_err(|_| unsupported())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(unsupported)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(unsupported());
    }
    Ok(Some(token))
}

/// A service behind [`CallerAuth`]; see [`CallerAuth::layer`].
#[derive(Clone)]
pub struct Authenticated<S> {
    inner: S,
    auth: CallerAuth,
    scopes: MethodScopes,
}

impl<S> std::fmt::Debug for Authenticated<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticated").finish_non_exhaustive()
    }
}

impl<S: NamedService> NamedService for Authenticated<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, B> tower::Service<http::Request<B>> for Authenticated<S>
where
    S: tower::Service<
            http::Request<B>,
            Response = http::Response<tonic::body::Body>,
            Error = Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        // The ready service answers this call; its clone waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let auth = self.auth.clone();
        let scopes = self.scopes;
        Box::pin(async move {
            let path = request.uri().path().to_owned();
            match auth.authenticate(request.headers(), &path, scopes).await {
                Ok(principal) => {
                    request.extensions_mut().insert(principal);
                    inner.call(request).await
                }
                Err(status) => Ok(status.into_http()),
            }
        })
    }
}
