//! Logs and traces: a `RUST_LOG`-style filter, text or JSON lines on stderr, and
//! an OTLP trace exporter when an endpoint is configured. Split into
//! [`subscriber`] and [`init`] so that tests can build one without installing it.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Subscriber;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::config::{LogFormat, TelemetrySettings};

/// Keeps the trace exporter alive; flushes it when dropped.
#[derive(Debug, Default)]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            let _ = provider.shutdown();
        }
    }
}

/// Errors building the subscriber.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("telemetry.filter: {0}")]
    Filter(String),
    #[error("telemetry.otlp_endpoint: {0}")]
    Exporter(String),
}

/// Builds the subscriber described by `settings` (not installed).
///
/// # Errors
/// A bad filter or an exporter that cannot be built.
pub fn subscriber(
    settings: &TelemetrySettings,
) -> Result<(impl Subscriber + Send + Sync, TelemetryGuard), TelemetryError> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(env) if !env.is_empty() => EnvFilter::try_new(env),
        _ => EnvFilter::try_new(&settings.filter),
    }
    .map_err(|e| TelemetryError::Filter(e.to_string()))?;

    let fmt = match settings.format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_writer(std::io::stderr)
            .boxed(),
    };

    let mut guard = TelemetryGuard::default();
    let otel = match &settings.otlp_endpoint {
        Some(endpoint) => {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint.clone())
                .build()
                .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
            let provider = SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(
                    opentelemetry_sdk::Resource::builder()
                        .with_service_name(settings.service_name.clone())
                        .build(),
                )
                .build();
            let tracer = provider.tracer("nexus");
            guard.provider = Some(provider);
            Some(tracing_opentelemetry::layer().with_tracer(tracer))
        }
        None => None,
    };

    let subscriber = Registry::default().with(filter).with(fmt).with(otel);
    Ok((subscriber, guard))
}

/// Installs the subscriber globally and the W3C trace-context propagator.
///
/// # Errors
/// As [`subscriber`]; also when a global subscriber is already installed.
pub fn init(settings: &TelemetrySettings) -> Result<TelemetryGuard, TelemetryError> {
    let (subscriber, guard) = subscriber(settings)?;
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|e| TelemetryError::Filter(e.to_string()))?;
    Ok(guard)
}
