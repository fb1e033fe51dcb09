//! The read lines: `GET /v1/users/{id}` and pages of 200 through the
//! gateway, and pgbench running the same reads; alone with `--reads-only`.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use http::Method;

use crate::Args;
use crate::lines::{Run, user_of};
use crate::load::{Http, closed_loop};
use crate::pg;
use crate::procstat::ticks_per_sec;
use crate::report::{self, Ratio, Row};
use crate::seed::seed;
use crate::stack::Stack;
use crate::summary;

/// The variables of the pgbench scripts for `n` users and `clients`.
pub fn pg_vars(n: usize, clients: usize) -> Vec<(&'static str, String)> {
    vec![
        ("clients", clients.to_string()),
        ("per", (n / clients).max(1).to_string()),
        ("users", n.to_string()),
        ("maxn", n.saturating_sub(201).to_string()),
    ]
}

/// `GET /v1/users/{id}` and a page of 200 at 1 and many clients; the lines
/// at many clients.
pub async fn lines(
    run: &mut Run<'_>,
    http: &Http,
    ids: &Arc<Vec<String>>,
    many: usize,
) -> (Row, Row) {
    let secs = run.secs;
    let get_user = |clients: usize| {
        let (http, ids) = (http.clone(), ids.clone());
        move |c: usize, i: u64| {
            let u = user_of(ids.len(), clients, c, i.wrapping_mul(7919));
            let path = format!("/v1/users/{}", ids[u]);
            let http = http.clone();
            async move { http.ok(Method::GET, &path, None, 200).await }
        }
    };
    run.line("GET /v1/users/{id}", 1, closed_loop(1, secs, get_user(1)))
        .await;
    let get_n = run
        .line(
            "GET /v1/users/{id}",
            many,
            closed_loop(many, secs, get_user(many)),
        )
        .await;
    let page = |_clients: usize| {
        let (http, ids) = (http.clone(), ids.clone());
        move |c: usize, i: u64| {
            let span = ids.len().saturating_sub(200);
            let path = if span == 0 {
                "/v1/users?limit=200".to_owned()
            } else {
                let k = (c as u64 * 7919 + i * 104_729) % span as u64;
                format!(
                    "/v1/users?limit=200&cursor={}",
                    ids[usize::try_from(k).unwrap_or(0)]
                )
            };
            let http = http.clone();
            async move { http.ok(Method::GET, &path, None, 200).await }
        }
    };
    run.line("GET /v1/users?limit=200", 1, closed_loop(1, secs, page(1)))
        .await;
    let page_n = run
        .line(
            "GET /v1/users?limit=200",
            many,
            closed_loop(many, secs, page(many)),
        )
        .await;
    (get_n, page_n)
}

/// pgbench running the reads of GET user and of a page, at 1 and many
/// clients; the lines at many clients.
///
/// # Errors
/// pgbench failed.
pub fn pg_lines(
    run: &mut Run<'_>,
    args: &Args,
    db: &str,
    dir: &Path,
) -> anyhow::Result<(Row, Row)> {
    let (n, many, s) = (args.users(), args.clients.max(1), args.secs());
    let r = pg::pgbench(db, &pg::get_user_script(), dir, 1, s, &pg_vars(n, 1))?;
    run.pg_line("pgbench: the reads of GET user", 1, r);
    let r = pg::pgbench(db, &pg::get_user_script(), dir, many, s, &pg_vars(n, many))?;
    let get_pg = run.pg_line("pgbench: the reads of GET user", many, r);
    let r = pg::pgbench(db, &pg::page_script(), dir, 1, s, &pg_vars(n, 1))?;
    run.pg_line("pgbench: the reads of a page of 200", 1, r);
    let r = pg::pgbench(db, &pg::page_script(), dir, many, s, &pg_vars(n, many))?;
    let page_pg = run.pg_line("pgbench: the reads of a page of 200", many, r);
    Ok((get_pg, page_pg))
}

/// Seeds, then only the read lines and their ratios; the report in
/// Markdown and the number of failed requests.
///
/// # Errors
/// Seeding failed, or pgbench.
pub async fn run(args: &Args, stack: &Stack) -> anyhow::Result<(String, u64)> {
    let http = Http::new(&stack.base_url, &stack.token, &stack.application_token)?;
    let n = args.users();
    let many = args.clients.max(1);
    println!("seeding {n} users");
    let ids = Arc::new(seed(&http, n).await?);
    pg::analyze(stack.identity_db.iter().chain(&stack.tenant_access_db)).await?;
    let mut run = Run {
        stack,
        ticks: ticks_per_sec(),
        secs: Duration::from_secs(args.secs()),
        rows: Vec::new(),
    };
    let (get_n, page_n) = lines(&mut run, &http, &ids, many).await;
    let mut ratios = Vec::new();
    if let (Some(db), Some(dir)) = (&stack.identity_db, stack.state()) {
        pg::map_users(db, &ids).await?;
        let (get_pg, page_pg) = pg_lines(&mut run, args, db, dir)?;
        let r = get_n.rate / get_pg.rate;
        ratios.push(Ratio {
            what: format!("GET /v1/users/{{id}} at {many} clients ÷ pgbench of the same reads"),
            measured: format!("{r:.2}"),
            target: "≥ 0.80".into(),
            met: r >= 0.8,
        });
        let r = page_n.rate / page_pg.rate;
        ratios.push(Ratio {
            what: format!("a page of 200 at {many} clients ÷ pgbench of the same reads"),
            measured: format!("{r:.2}"),
            target: "≥ 0.50".into(),
            met: r >= 0.5,
        });
    }
    let errors: u64 = run.rows.iter().map(|r| r.errors).sum();
    let topology = if stack.is_local() {
        summary::TOPOLOGY_LOCAL
    } else {
        summary::TOPOLOGY_ALL_IN_ONE
    };
    let mut text = summary::heading(args, topology, n);
    text.push_str(&report::table(&run.rows));
    text.push('\n');
    text.push_str(&report::ratios(&ratios));
    let _ = writeln!(text, "\nRequests that failed, all lines: {errors}.");
    Ok((text, errors))
}
