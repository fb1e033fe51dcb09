//! One measured line: the CPU time each process spent on it, the row it
//! makes in the table, and which users a client keeps to.

use std::future::Future;
use std::time::Duration;

use crate::load::Outcome;
use crate::pg::PgResult;
use crate::procstat::cpu_micros;
use crate::report::Row;
use crate::stack::Stack;

/// CPU time of every Nexus process and of the bench, in microseconds.
fn cpu_now(stack: &Stack, ticks: u64) -> Vec<(String, u64)> {
    let mut all: Vec<(String, u64)> = stack
        .processes
        .iter()
        .map(|p| (p.name.clone(), cpu_micros(p.pid, ticks).unwrap_or(0)))
        .collect();
    all.push(("bench".into(), cpu_micros(0, ticks).unwrap_or(0)));
    all
}

/// Runs `phase` and returns what it measured with the CPU per request of
/// each process over it.
pub async fn measured<Fut>(stack: &Stack, ticks: u64, phase: Fut) -> (Outcome, Vec<(String, f64)>)
where
    Fut: Future<Output = Outcome>,
{
    let before = cpu_now(stack, ticks);
    let outcome = phase.await;
    let after = cpu_now(stack, ticks);
    let requests = outcome.requests.max(1) as f64;
    let cpu = before
        .iter()
        .zip(&after)
        .map(|((name, b), (_, a))| (name.clone(), a.saturating_sub(*b) as f64 / requests))
        .collect();
    (outcome, cpu)
}

/// The user a client takes at an iteration: clients keep to their own users.
pub fn user_of(users: usize, clients: usize, client: usize, i: u64) -> usize {
    let per = (users / clients.max(1)).max(1) as u64;
    (client + clients * usize::try_from(i % per).unwrap_or(0)) % users
}

/// The lines measured so far, and how.
pub struct Run<'a> {
    pub stack: &'a Stack,
    pub ticks: u64,
    pub secs: Duration,
    pub rows: Vec<Row>,
}

impl Run<'_> {
    pub async fn line<Fut>(&mut self, name: &str, clients: usize, phase: Fut) -> Row
    where
        Fut: Future<Output = Outcome>,
    {
        let (outcome, cpu) = measured(self.stack, self.ticks, phase).await;
        let row = Row::nexus(name, clients, &outcome, cpu);
        println!(
            "{name:<40} {clients:>3} clients {:>9.0}/s p50 {:>7.2} ms p99 {:>7.2} ms errors {}",
            row.rate, row.p50_ms, row.p99_ms, row.errors
        );
        self.rows.push(row.clone());
        row
    }

    pub fn pg_line(&mut self, name: &str, clients: usize, r: PgResult) -> Row {
        let row = Row::pgbench(name, clients, r);
        println!(
            "{name:<40} {clients:>3} clients {:>9.0} tps latency {:>7.2} ms",
            row.rate, row.p50_ms
        );
        self.rows.push(row.clone());
        row
    }
}
