//! Logs and traces: a `RUST_LOG`-style filter, text or JSON lines on stderr,
//! and OpenTelemetry spans for the work of every component: REST requests
//! (in the gateway), gRPC calls on both sides ([`grpc`]), database
//! transactions, outbox publishing and event handling ([`spans`]). W3C trace
//! context travels between components ([`propagation`]), so that one call's
//! spans form one trace across processes. Spans are exported over OTLP/gRPC
//! when an endpoint is configured; without one, trace ids are still made and
//! carried, and written on log lines. Split into [`subscriber`] and [`init`]
//! so that tests can build one without installing it.

pub mod grpc;
pub mod propagation;
pub mod spans;

use std::io::IsTerminal as _;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing::level_filters::LevelFilter;
use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::filter::filter_fn;
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

/// The crates whose spans become trace spans, whatever the log filter: a
/// filter of `warn` must not cut the trace of a request in two. Their
/// warnings and errors are kept on the span as events; other log lines stay
/// in the logs.
const TRACED_CRATES: [&str; 6] = [
    "nexus",
    "nexus_platform",
    "gateway",
    "identity_service",
    "upn_service",
    "tenant_access_service",
];

/// The `service.name` of a process: the configured one, else `default`.
pub fn service_name<'a>(settings: &'a TelemetrySettings, default: &'a str) -> &'a str {
    settings.service_name.as_deref().unwrap_or(default)
}

/// Builds the subscriber described by `settings` (not installed); exported
/// spans name their service `service_name` unless the settings name one.
///
/// # Errors
/// A bad filter or an exporter that cannot be built.
pub fn subscriber(
    settings: &TelemetrySettings,
    service_name: &str,
) -> Result<(impl Subscriber + Send + Sync, TelemetryGuard), TelemetryError> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(env) if !env.is_empty() => EnvFilter::try_new(env),
        _ => EnvFilter::try_new(&settings.filter),
    }
    .map_err(|e| TelemetryError::Filter(e.to_string()))?;

    let fmt = match settings.format {
        // Colours only on a terminal: escape codes in a log file or a log
        // collector make lines hard to search.
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_writer(std::io::stderr)
            .boxed(),
    };

    let provider = tracer_provider(settings, self::service_name(settings, service_name))?;
    let tracer = provider.tracer("nexus");
    let otel = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(filter_fn(traced).with_max_level_hint(LevelFilter::INFO));
    let guard = TelemetryGuard {
        provider: Some(provider),
    };

    let subscriber = Registry::default().with(fmt.with_filter(filter)).with(otel);
    Ok((subscriber, guard))
}

/// What the trace layer records: spans at info level and above, and
/// warnings and errors, of the Nexus crates.
fn traced(meta: &Metadata<'_>) -> bool {
    let target = meta.target();
    let ours = TRACED_CRATES.iter().any(|name| {
        target
            .strip_prefix(name)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    });
    let level = if meta.is_span() {
        Level::INFO
    } else {
        Level::WARN
    };
    ours && *meta.level() <= level
}

/// Parent-based sampling at the configured ratio, with the OTLP exporter
/// when an endpoint is set. Without one, the traces this process starts are
/// not sampled: their ids are still made, carried and logged, but spans
/// nobody receives are not recorded (a caller's sampled trace still is, so
/// that the decision travels on).
fn tracer_provider(
    settings: &TelemetrySettings,
    service_name: &str,
) -> Result<SdkTracerProvider, TelemetryError> {
    let root = if settings.otlp_endpoint.is_some() {
        Sampler::TraceIdRatioBased(settings.sample_ratio)
    } else {
        Sampler::AlwaysOff
    };
    let sampler = Sampler::ParentBased(Box::new(root));
    let mut builder = SdkTracerProvider::builder()
        .with_sampler(sampler)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name(service_name.to_owned())
                .build(),
        );
    if let Some(endpoint) = &settings.otlp_endpoint {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint.clone())
            .build()
            .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
        builder = builder.with_batch_exporter(exporter);
    }
    Ok(builder.build())
}

/// Installs the subscriber globally and the W3C trace-context propagator.
///
/// # Errors
/// As [`subscriber`]; also when a global subscriber is already installed.
pub fn init(
    settings: &TelemetrySettings,
    service_name: &str,
) -> Result<TelemetryGuard, TelemetryError> {
    let (subscriber, guard) = subscriber(settings, service_name)?;
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|e| TelemetryError::Filter(e.to_string()))?;
    Ok(guard)
}
