//! The ratios against the targets, and the report's text.

use std::fmt::Write as _;

use crate::Args;
use crate::procstat::{command_line, peak_rss_kib};
use crate::report::{self, Ratio, Row};
use crate::stack::Stack;

/// The lines the ratios compare.
pub struct KeyLines {
    pub noop_1: Row,
    pub noop_n: Row,
    pub open: Row,
    pub grpc_n: Option<Row>,
    pub get_n: Row,
    pub page_n: Row,
    /// pgbench: login at 1 and many clients, GET user and a page at many.
    pub pg: Option<[Row; 4]>,
}

/// The report in Markdown, and how many requests failed.
#[allow(clippy::too_many_lines)]
pub fn summarize(args: &Args, stack: &Stack, rows: &[Row], key: &KeyLines) -> (String, u64) {
    let many = args.clients.max(1);
    let rss: Vec<(String, u64)> = stack
        .processes
        .iter()
        .map(|p| (p.name.clone(), peak_rss_kib(p.pid).unwrap_or(0)))
        .collect();

    let mut ratios = Vec::new();
    if let Some([login_1, login_n, get_pg, page_pg]) = &key.pg {
        let r = key.noop_n.rate / login_n.rate;
        ratios.push(Ratio {
            what: format!("$sync no-op at {many} clients ÷ pgbench of the same SQL"),
            measured: format!("{r:.2}"),
            target: "≥ 0.80".into(),
            met: r >= 0.8,
        });
        ratios.push(Ratio {
            what: "$sync p50 at 1 client − pgbench's latency per login".into(),
            measured: format!("{:.2} ms", key.noop_1.p50_ms - login_1.p50_ms),
            target: "≤ 1 ms".into(),
            met: key.noop_1.p50_ms <= login_1.p50_ms + 1.0,
        });
        let r = key.get_n.rate / get_pg.rate;
        ratios.push(Ratio {
            what: format!("GET /v1/users/{{id}} at {many} clients ÷ pgbench of the same reads"),
            measured: format!("{r:.2}"),
            target: "≥ 0.80".into(),
            met: r >= 0.8,
        });
        let r = key.page_n.rate / page_pg.rate;
        ratios.push(Ratio {
            what: format!("a page of 200 at {many} clients ÷ pgbench of the same reads"),
            measured: format!("{r:.2}"),
            target: "≥ 0.50".into(),
            met: r >= 0.5,
        });
    }
    if let Some(grpc_n) = &key.grpc_n {
        let r = key.noop_n.rate / grpc_n.rate;
        ratios.push(Ratio {
            what: format!("gateway ÷ direct gRPC, $sync no-op at {many} clients"),
            measured: format!("{r:.2}"),
            target: "≥ 0.85".into(),
            met: r >= 0.85,
        });
    }
    let tail = key.open.p99_ms / key.open.p50_ms.max(1e-9);
    ratios.push(Ratio {
        what: "open loop at 70 %: p99 ÷ p50, errors".into(),
        measured: format!("{tail:.1}, {} errors", key.open.errors),
        target: "≤ 5, 0 errors".into(),
        met: tail <= 5.0 && key.open.errors == 0,
    });
    let cpu = key.noop_n.nexus_cpu_us();
    ratios.push(Ratio {
        what: format!("CPU per no-op login, all Nexus processes, {many} clients"),
        measured: format!("{cpu:.0} µs"),
        target: "≤ 300 µs".into(),
        met: cpu <= 300.0,
    });
    for (name, kib) in &rss {
        let mib = *kib as f64 / 1024.0;
        ratios.push(Ratio {
            what: format!("peak RSS of {name}"),
            measured: format!("{mib:.1} MiB"),
            target: "≤ 64 MiB".into(),
            met: mib <= 64.0,
        });
    }
    let errors: u64 = rows.iter().map(|r| r.errors).sum();

    let topology = if stack.is_local() {
        TOPOLOGY_LOCAL
    } else {
        TOPOLOGY_ALL_IN_ONE
    };
    let mut text = heading(args, topology, args.users());
    text.push_str(&report::table(rows));
    text.push('\n');
    text.push_str(&report::ratios(&ratios));
    let _ = writeln!(text, "\nRequests that failed, all lines: {errors}.");
    (text, errors)
}

pub const TOPOLOGY_LOCAL: &str =
    "the four components as separate processes on PostgreSQL and NATS JetStream";
pub const TOPOLOGY_ALL_IN_ONE: &str = "the all-in-one on SQLite";

/// The run's date, topology, machine and command, in Markdown.
pub fn heading(args: &Args, topology: &str, n: usize) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "## Run of {}\n",
        command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_default()
    );
    let _ = writeln!(
        text,
        "Topology: {topology}; {n} seeded users; {} s per line; {} build.\n",
        args.secs(),
        if args.debug { "debug" } else { "release" }
    );
    let _ = writeln!(
        text,
        "Machine: {} × {}, Linux {}; {}; {}; {}; {}.\n",
        command_line("nproc", &[]).unwrap_or_default(),
        std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|c| c.lines().find_map(|l| l
                .strip_prefix("model name")
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())))
            .unwrap_or_default(),
        command_line("uname", &["-r"]).unwrap_or_default(),
        command_line("psql", &["--version"]).unwrap_or_default(),
        command_line("pgbench", &["--version"]).unwrap_or_default(),
        command_line("nats-server", &["--version"]).unwrap_or_default(),
        command_line("rustc", &["--version"]).unwrap_or_default(),
    );
    let _ = writeln!(
        text,
        "Command: `cargo run{} -p nexus-bench -- {}`\n",
        if args.debug { "" } else { " --release" },
        std::env::args().skip(1).collect::<Vec<_>>().join(" ")
    );
    text
}
