//! W3C trace context between components: written into HTTP/2 headers (gRPC
//! metadata) by callers, read back by the called side, and kept as a
//! `traceparent` string on each event so that the event's consumer continues
//! the trace of the change that recorded it. The propagator is used directly
//! rather than through the global one, so that a subscriber built for a test
//! propagates as the installed one does.

use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator as _};
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The header (and event field) that carries the trace context.
pub const TRACEPARENT: &str = "traceparent";

struct HeaderInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// One `traceparent` value, read as a carrier.
struct Traceparent<'a>(&'a str);

impl Extractor for Traceparent<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        (key == TRACEPARENT).then_some(self.0)
    }

    fn keys(&self) -> Vec<&str> {
        vec![TRACEPARENT]
    }
}

/// Writes the trace context of `span` into `headers`.
pub fn inject(span: &Span, headers: &mut http::HeaderMap) {
    let cx = span.context();
    if cx.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(&cx, &mut HeaderInjector(headers));
    }
}

/// The trace context a caller sent in `headers` (empty when none or invalid).
pub fn extract(headers: &http::HeaderMap) -> Context {
    TraceContextPropagator::new().extract(&HeaderExtractor(headers))
}

/// The trace context of a `traceparent` value (empty when invalid).
pub fn from_traceparent(traceparent: &str) -> Context {
    TraceContextPropagator::new().extract(&Traceparent(traceparent))
}

/// The `traceparent` of the current span: what an event recorded now carries.
pub fn current_traceparent() -> Option<String> {
    let cx = Span::current().context();
    if !cx.span().span_context().is_valid() {
        return None;
    }
    let mut headers = http::HeaderMap::new();
    TraceContextPropagator::new().inject_context(&cx, &mut HeaderInjector(&mut headers));
    headers
        .get(TRACEPARENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Makes `span` continue the trace of `parent` when it holds one, and
/// records the span's trace id in its `trace_id` field (so that log lines
/// inside it carry the id). Call before the span is first entered.
pub fn continue_trace(span: &Span, parent: Context) {
    if parent.span().span_context().is_valid() {
        // Fails only when the span is disabled or already started: it then
        // keeps the parent it has.
        let _ = span.set_parent(parent);
    }
    record_trace_id(span);
}

/// Records the trace id of `span` in its `trace_id` field.
pub fn record_trace_id(span: &Span) {
    let cx = span.context();
    let span_context = cx.span().span_context().clone();
    if span_context.is_valid() {
        span.record("trace_id", tracing::field::display(span_context.trace_id()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traceparent_reads_back_as_the_same_trace() {
        let value = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let cx = from_traceparent(value);
        let span = cx.span();
        let sc = span.span_context();
        assert!(sc.is_valid() && sc.is_remote() && sc.is_sampled());
        assert_eq!(
            sc.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );

        let mut headers = http::HeaderMap::new();
        TraceContextPropagator::new().inject_context(&cx, &mut HeaderInjector(&mut headers));
        assert_eq!(headers.get(TRACEPARENT).unwrap(), value);
        assert_eq!(
            extract(&headers).span().span_context().span_id(),
            sc.span_id()
        );
    }

    #[test]
    fn garbage_is_no_trace() {
        for bad in [
            "",
            "00-xyz",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        ] {
            assert!(!from_traceparent(bad).span().span_context().is_valid());
        }
    }
}
