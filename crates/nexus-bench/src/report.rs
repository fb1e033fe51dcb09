//! The table, the ratios against the targets, and `BENCHMARKS.md`.

use std::fmt::Write as _;
use std::path::Path;

use crate::load::Outcome;
use crate::pg::PgResult;

/// One measured line of the table.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub clients: usize,
    pub rate: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub errors: u64,
    /// CPU microseconds per request of each Nexus process, then the bench's.
    pub cpu_us: Vec<(String, f64)>,
}

impl Row {
    pub fn nexus(name: &str, clients: usize, o: &Outcome, cpu_us: Vec<(String, f64)>) -> Self {
        Self {
            name: name.to_owned(),
            clients,
            rate: o.rate(),
            p50_ms: o.ms(0.5),
            p99_ms: o.ms(0.99),
            max_ms: o.max_ms(),
            errors: o.errors,
            cpu_us,
        }
    }

    pub fn pgbench(name: &str, clients: usize, r: PgResult) -> Self {
        Self {
            name: name.to_owned(),
            clients,
            rate: r.tps,
            p50_ms: r.latency_ms,
            p99_ms: f64::NAN,
            max_ms: f64::NAN,
            errors: r.failed,
            cpu_us: Vec::new(),
        }
    }

    /// CPU per request of the Nexus processes together (the bench's own
    /// left out).
    pub fn nexus_cpu_us(&self) -> f64 {
        self.cpu_us
            .iter()
            .filter(|(n, _)| n != "bench")
            .map(|(_, v)| v)
            .sum()
    }
}

/// A target and what this run measured.
#[derive(Debug, Clone)]
pub struct Ratio {
    pub what: String,
    pub measured: String,
    pub target: String,
    pub met: bool,
}

fn num(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        "–".to_owned()
    }
}

/// The table of every measured line, in Markdown.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| measurement | clients | req/s | p50 ms | p99 ms | max ms | errors | CPU µs/req |\n\
         |---|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for r in rows {
        let cpu = r
            .cpu_us
            .iter()
            .map(|(n, v)| format!("{n} {v:.0}"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.name,
            r.clients,
            num(r.rate, 0),
            num(r.p50_ms, 2),
            num(r.p99_ms, 2),
            num(r.max_ms, 2),
            r.errors,
            cpu
        );
    }
    out
}

/// The ratios, in Markdown.
pub fn ratios(ratios: &[Ratio]) -> String {
    let mut out = String::from("| target | measured | wanted | met |\n|---|---:|---:|---|\n");
    for r in ratios {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            r.what,
            r.measured,
            r.target,
            if r.met { "yes" } else { "**no**" }
        );
    }
    out
}

/// Where the generated part of `BENCHMARKS.md` starts and ends; the rest
/// of the file (profiles, before/after notes) is kept.
const START: &str = "<!-- nexus-bench:start -->";
const END: &str = "<!-- nexus-bench:end -->";

/// Writes `generated` into `path` between the markers, keeping the rest.
///
/// # Errors
/// The file cannot be written.
pub fn write(path: &Path, generated: &str) -> std::io::Result<()> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let block = format!("{START}\n{generated}\n{END}");
    let new = match (old.find(START), old.find(END)) {
        (Some(a), Some(b)) if a < b => {
            format!("{}{block}{}", &old[..a], &old[b + END.len()..])
        }
        _ if old.is_empty() => format!("# Benchmarks\n\n{block}\n"),
        _ => format!("{old}\n{block}\n"),
    };
    std::fs::write(path, new)
}
