//! The cost of tracing: `$sync` no-op through the gateway with every span
//! exported over OTLP/gRPC to a sink the bench runs, against the same line
//! with no exporter, each on a freshly started stack in the same run.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};

use crate::Args;
use crate::lines::measured;
use crate::load::{Http, closed_loop};
use crate::phases::gateway_sync;
use crate::procstat::ticks_per_sec;
use crate::report::Row;
use crate::seed::seed;
use crate::stack::{Stack, StackOptions};

/// An OTLP trace receiver that only counts the spans it is sent.
#[derive(Debug, Clone, Default)]
struct SpanCounter(Arc<AtomicU64>);

#[tonic::async_trait]
impl TraceService for SpanCounter {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let spans: usize = request
            .get_ref()
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .map(|s| s.spans.len())
            .sum();
        self.0.fetch_add(spans as u64, Ordering::Relaxed);
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

/// Starts the sink on a free local port; returns its endpoint and counter.
async fn start_sink() -> anyhow::Result<(String, Arc<AtomicU64>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let counter = SpanCounter::default();
    let spans = counter.0.clone();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(counter))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    Ok((format!("http://{addr}"), spans))
}

/// Users seeded on each of the two stacks.
pub fn users(args: &Args) -> usize {
    args.users().min(2_000)
}

/// Starts a stack (exporting to `endpoint` when given), seeds it, and
/// measures `$sync` no-op through the gateway at `clients`.
async fn one_side(
    args: &Args,
    options: &StackOptions,
    endpoint: Option<String>,
    name: &str,
) -> anyhow::Result<Row> {
    let options = StackOptions {
        otlp_endpoint: endpoint,
        ..options.clone()
    };
    let stack = if args.all_in_one {
        Stack::start_all_in_one(&options)?
    } else {
        Stack::start_local(&options)?
    };
    let result = async {
        let http = Http::new(&stack.base_url, &stack.token, &stack.application_token)?;
        let ids = Arc::new(seed(&http, users(args)).await?);
        let state: Arc<Vec<AtomicBool>> =
            Arc::new((0..ids.len()).map(|_| AtomicBool::new(false)).collect());
        let many = args.clients.max(1);
        // Warm-up, not measured.
        let _ = closed_loop(
            many,
            Duration::from_secs(1),
            gateway_sync(&http, &ids, &state, many, false),
        )
        .await;
        let phase = closed_loop(
            many,
            Duration::from_secs(args.secs()),
            gateway_sync(&http, &ids, &state, many, false),
        );
        let (outcome, cpu) = measured(&stack, ticks_per_sec(), phase).await;
        Ok::<_, anyhow::Error>(Row::nexus(name, many, &outcome, cpu))
    }
    .await;
    stack.stop(&options);
    result
}

/// What the comparison measured.
pub struct TracingCost {
    pub off: Row,
    pub on: Row,
    pub spans: u64,
    /// Users seeded on each stack.
    pub users: usize,
}

impl TracingCost {
    /// Throughput with tracing exported ÷ without.
    pub fn rate_ratio(&self) -> f64 {
        self.on.rate / self.off.rate.max(1e-9)
    }

    /// The comparison as a sentence of the report.
    pub fn sentence(&self) -> String {
        format!(
            "Tracing exported (every span, OTLP/gRPC to a sink in the bench) ÷ off, $sync no-op at {} clients, {} users seeded on each stack: {:.2} of the rate; CPU per request of the Nexus processes {:.0} µs off, {:.0} µs on; {} spans received while on.",
            self.on.clients,
            self.users,
            self.rate_ratio(),
            self.off.nexus_cpu_us(),
            self.on.nexus_cpu_us(),
            self.spans
        )
    }
}

/// Measures the line with tracing off, then with every span exported to
/// the bench's sink.
///
/// # Errors
/// A stack did not start or seed, or no span reached the sink while
/// tracing was on.
pub async fn compare(args: &Args, options: &StackOptions) -> anyhow::Result<TracingCost> {
    let (endpoint, spans) = start_sink().await?;
    println!("tracing off and on: seeding {} users on each", users(args));
    let off = one_side(args, options, None, "$sync no-op (gateway), tracing off").await?;
    print_row(&off);
    let before = spans.load(Ordering::Relaxed);
    let on = one_side(
        args,
        options,
        Some(endpoint),
        "$sync no-op (gateway), tracing exported",
    )
    .await?;
    print_row(&on);
    // The processes flush their last batch when they stop; a batch may
    // still be on its way.
    let mut received = spans.load(Ordering::Relaxed) - before;
    for _ in 0..50 {
        if received > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        received = spans.load(Ordering::Relaxed) - before;
    }
    let cost = TracingCost {
        off,
        on,
        spans: received,
        users: users(args),
    };
    println!(
        "tracing exported ÷ off: {:.2} req/s; CPU µs/req of Nexus {:.0} off, {:.0} on; {} spans received",
        cost.rate_ratio(),
        cost.off.nexus_cpu_us(),
        cost.on.nexus_cpu_us(),
        cost.spans
    );
    if cost.spans == 0 {
        anyhow::bail!("tracing was on but the OTLP sink received no span");
    }
    Ok(cost)
}

fn print_row(row: &Row) {
    println!(
        "{:<40} {:>3} clients {:>9.0}/s p50 {:>7.2} ms p99 {:>7.2} ms errors {} CPU µs/req {:.0}",
        row.name,
        row.clients,
        row.rate,
        row.p50_ms,
        row.p99_ms,
        row.errors,
        row.nexus_cpu_us()
    );
}
