//! Graceful shutdown: one token every server and background task watches; it is
//! cancelled by SIGTERM or Ctrl-C in the binary, or by a test that stops a server.

use tokio_util::sync::CancellationToken;

/// A shared stop signal. Cloning it gives another handle on the same signal.
#[derive(Debug, Clone, Default)]
pub struct Shutdown(CancellationToken);

impl Shutdown {
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks everything watching this signal to stop.
    pub fn trigger(&self) {
        self.0.cancel();
    }

    pub fn is_triggered(&self) -> bool {
        self.0.is_cancelled()
    }

    /// Resolves once [`Shutdown::trigger`] was called.
    pub async fn wait(&self) {
        self.0.cancelled().await;
    }

    /// Triggers this signal on SIGTERM or Ctrl-C.
    pub fn trigger_on_signals(&self) {
        let this = self.clone();
        tokio::spawn(async move {
            os_signal().await;
            tracing::info!("shutdown signal received, stopping");
            this.trigger();
        });
    }
}

async fn os_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
