//! `nexus-bench`: the login path under load, side by side with what
//! PostgreSQL alone does for the same SQL. Starts the four components as
//! separate processes (or the all-in-one on SQLite), seeds users with a
//! linked identity, groups and attributes, measures `$sync` (closed loop at
//! 1 and N clients, no-op and half changing; open loop at 70 % of the
//! maximum), the same sync sent straight to identity over gRPC, reads of one
//! user and of pages of 200, pgbench running the same SQL, and the CPU time
//! per request and peak memory of every Nexus process. Then the cost of
//! tracing: `$sync` no-op through the gateway on a fresh stack with tracing
//! off and on another exporting every span over OTLP/gRPC to a sink the
//! bench runs. Prints the ratios against the targets and writes them into
//! `BENCHMARKS.md`.
//!
//! `just bench` (full run), `just bench --quick` (a few seconds),
//! `just bench --all-in-one`, `just bench --tracing-only`,
//! `just bench --reads-only`.

#![allow(clippy::print_stdout)]

mod backoffice;
mod lines;
mod load;
mod pg;
mod phases;
mod procstat;
mod reads;
mod report;
mod seed;
mod stack;
mod summary;
mod tracing_cost;

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;

use crate::stack::{Stack, StackOptions};

/// Measures the login path of Nexus against pgbench.
#[derive(Debug, Clone, Parser)]
#[command(version, about)]
pub struct Args {
    /// A few seconds in all: 200 users, one-second phases, no report file
    /// unless `--out` names one.
    #[arg(long)]
    pub quick: bool,
    /// The all-in-one on SQLite instead of the four processes on PostgreSQL
    /// (no pgbench or direct gRPC lines then).
    #[arg(long)]
    pub all_in_one: bool,
    /// Users to seed (10,000; 200 with --quick).
    #[arg(long)]
    pub users: Option<usize>,
    /// Seconds per measured phase (10; 1 with --quick).
    #[arg(long)]
    pub secs: Option<u64>,
    /// Concurrent clients of the many-clients lines.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Uses the debug build instead of the release build.
    #[arg(long)]
    pub debug: bool,
    /// The report file (BENCHMARKS.md in the workspace; none with --quick).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The gateway's port.
    #[arg(long, default_value_t = 18180)]
    pub port: u16,
    /// The first gRPC port (identity; upn +10, tenant-access +11).
    #[arg(long, default_value_t = 51160)]
    pub grpc_port: u16,
    /// The PostgreSQL server, without a database name.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    pub postgres: String,
    /// Only the cost of tracing: `$sync` no-op through the gateway with
    /// every span exported, against tracing off.
    #[arg(long)]
    pub tracing_only: bool,
    /// Only the reads: `GET /v1/users/{id}` and pages of 200, with pgbench
    /// running the same reads.
    #[arg(long)]
    pub reads_only: bool,
}

impl Args {
    pub fn users(&self) -> usize {
        self.users
            .unwrap_or(if self.quick { 200 } else { 10_000 })
            .max(1)
    }

    pub fn secs(&self) -> u64 {
        self.secs.unwrap_or(if self.quick { 1 } else { 10 }).max(1)
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let options = StackOptions {
        release: !args.debug,
        state: stack::workspace_root().join("nexus-bench-state"),
        port: args.port,
        grpc_port: args.grpc_port,
        postgres: args.postgres.clone(),
        otlp_endpoint: None,
    };
    let result = measure(&args, &options).await;
    let _ = std::fs::remove_dir_all(&options.state);
    match result {
        Ok((text, errors)) => {
            println!("{text}");
            let out = args.out.clone().or_else(|| {
                (!args.quick && !args.tracing_only && !args.reads_only)
                    .then(|| stack::workspace_root().join("BENCHMARKS.md"))
            });
            if let Some(out) = out
                && let Err(e) = report::write(&out, &text)
            {
                eprintln!("nexus-bench: cannot write {}: {e}", out.display());
                return std::process::ExitCode::FAILURE;
            }
            // A missed target is a measurement; a failed request is an error.
            if errors > 0 {
                eprintln!("nexus-bench: {errors} requests failed");
                return std::process::ExitCode::FAILURE;
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("nexus-bench: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Every line (unless `--tracing-only`), then tracing off against on, each
/// on its own stack; the report in Markdown and the failed requests.
async fn measure(args: &Args, options: &StackOptions) -> anyhow::Result<(String, u64)> {
    let (mut text, mut errors) = if args.tracing_only {
        let topology = if args.all_in_one {
            summary::TOPOLOGY_ALL_IN_ONE
        } else {
            summary::TOPOLOGY_LOCAL
        };
        (
            summary::heading(args, topology, tracing_cost::users(args)),
            0,
        )
    } else {
        let stack = if args.all_in_one {
            Stack::start_all_in_one(options)
        } else {
            Stack::start_local(options)
        }
        .context("cannot start Nexus")?;
        let result = if args.reads_only {
            reads::run(args, &stack).await
        } else {
            phases::run(args, &stack).await
        };
        stack.stop(options);
        result?
    };
    if args.reads_only {
        return Ok((text, errors));
    }
    let cost = tracing_cost::compare(args, options).await?;
    errors += cost.off.errors + cost.on.errors;
    text.push_str("\nTracing on and off, each on a freshly started stack:\n\n");
    text.push_str(&report::table(&[cost.off.clone(), cost.on.clone()]));
    text.push('\n');
    text.push_str(&cost.sentence());
    text.push('\n');
    Ok((text, errors))
}
