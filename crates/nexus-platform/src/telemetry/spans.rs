//! The spans of the event path and of database transactions, made here so
//! that the outbox, relay and consumer code only has to wrap its work in
//! them. An event carries the `traceparent` of the span that recorded it: the
//! relay's publish span and the consumer's handling span continue that trace,
//! so a change and its effects in other services read as one trace.

use nexus_proto::events::v1::EventEnvelope;
use opentelemetry::trace::TraceContextExt as _;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use super::propagation;

/// The span in which `consumer` handles `event`: a child of the span that
/// recorded the event, when it carries a `traceparent`. None when the
/// consumer has no handler for the event (`handled` false): skipping an
/// event is not work a trace needs to show.
pub fn event_handling(consumer: &str, event: &EventEnvelope, handled: bool) -> Span {
    if !handled {
        return Span::none();
    }
    let span = tracing::info_span!(
        "event.handle",
        otel.name = format!("handle {}", event.r#type),
        otel.kind = "consumer",
        messaging.consumer.group.name = consumer,
        messaging.message.id = event.id.as_str(),
        "event.type" = event.r#type.as_str(),
        trace_id = tracing::field::Empty,
    );
    let parent = event
        .traceparent
        .as_deref()
        .map(propagation::from_traceparent)
        .unwrap_or_default();
    propagation::continue_trace(&span, parent);
    span
}

/// The span of one relay batch, given the `traceparent` of each event: a
/// child of the first event's trace, linked to the traces of the others.
pub fn relay_publish<'a>(traceparents: impl ExactSizeIterator<Item = Option<&'a str>>) -> Span {
    let span = tracing::info_span!(
        "outbox.publish",
        otel.name = "outbox publish",
        otel.kind = "producer",
        messaging.batch.message_count = traceparents.len(),
        trace_id = tracing::field::Empty,
    );
    let mut contexts = traceparents
        .flatten()
        .map(propagation::from_traceparent)
        .filter(|cx| cx.span().span_context().is_valid());
    let parent = contexts.next().unwrap_or_default();
    for other in contexts {
        span.add_link(other.span().span_context().clone());
    }
    propagation::continue_trace(&span, parent);
    span
}

/// The span of one database transaction named `operation` (e.g.
/// `record_login`), with how many statements it runs when that is known
/// beforehand.
pub fn db_transaction(operation: &'static str, statements: Option<u32>) -> Span {
    tracing::info_span!(
        "db.transaction",
        otel.name = format!("db {operation}"),
        otel.kind = "client",
        db.operation.name = operation,
        db.statement_count = statements,
    )
}
