//! Why credentials could not be built from the configuration.

/// A configured credential that cannot be used, named by its key.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("auth.{key}: {message}")]
    Invalid { key: &'static str, message: String },
}

impl AuthError {
    pub(crate) fn invalid(key: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            key,
            message: message.into(),
        }
    }
}

impl From<nexus_platform::jwt::JwtSetupError> for AuthError {
    fn from(e: nexus_platform::jwt::JwtSetupError) -> Self {
        Self::Invalid {
            key: e.key,
            message: e.message,
        }
    }
}
