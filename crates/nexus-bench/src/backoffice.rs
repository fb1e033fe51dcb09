//! The tenant back-office API (`/api/{tenantId}/admin/users`): list, create,
//! get, update and delete, each at 1 and many clients, side by side with
//! pgbench running tenant-access's SQL for the same operation on its
//! database. A hundred seeded users are given access first, so the list
//! answers a hundred users; a create gives access to a new email (identity
//! creates the user), and the delete line removes what the create line of
//! the same clients made.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use bytes::Bytes;
use http::Method;
use serde_json::{Value, json};

use crate::Args;
use crate::lines::{Run, user_of};
use crate::load::{Http, closed_loop, closed_loop_until};
use crate::pg;
use crate::report::Row;
use crate::stack::Stack;

/// The tenant the bench's back-office token is entitled to.
const TENANT: &str = "acme";
/// Users with access to the tenant during the lines.
const MEMBERS: usize = 100;
/// The roles an update switches between.
const ROLES: [&str; 2] = ["member", "admin"];

fn path(user: Option<&str>) -> String {
    match user {
        Some(id) => format!("/api/{TENANT}/admin/users/{id}"),
        None => format!("/api/{TENANT}/admin/users"),
    }
}

/// Gives the first seeded users (by email) access to the tenant; their ids.
async fn attach_members(http: &Http, n: usize) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::new();
    for k in 0..n {
        let body = json!({"email": format!("bench{k}@bench.example"), "role": ROLES[0]});
        let (status, bytes) = http
            .call(
                Method::POST,
                &path(None),
                Some(Bytes::from(body.to_string())),
            )
            .await?;
        if status != 201 {
            bail!("attach: {status} {}", String::from_utf8_lossy(&bytes));
        }
        let user: Value = serde_json::from_slice(&bytes)?;
        ids.push(user["id"].as_str().context("a user without id")?.to_owned());
    }
    ids.sort();
    Ok(ids)
}

/// The five operations' lines, then pgbench's; the table of ratios.
///
/// # Errors
/// No back-office token, seeding failed, or pgbench did.
pub async fn run(run: &mut Run<'_>, args: &Args, stack: &Stack) -> anyhow::Result<String> {
    let token = stack
        .admin_token
        .as_deref()
        .context("no back-office token")?;
    let http = Http::new(&stack.base_url, token, &stack.application_token)?;
    let many = args.clients.max(1);
    let members = Arc::new(attach_members(&http, MEMBERS.min(args.users())).await?);
    let secs = run.secs;
    let mut nexus: Vec<Row> = Vec::new();

    for clients in [1, many] {
        let h = http.clone();
        let list = move |_: usize, _: u64| {
            let h = h.clone();
            async move { h.ok(Method::GET, &path(None), None, 200).await }
        };
        nexus.push(
            run.line(
                "back-office list",
                clients,
                closed_loop(clients, secs, list),
            )
            .await,
        );
    }
    for clients in [1, many] {
        let (h, m) = (http.clone(), members.clone());
        let get = move |c: usize, i: u64| {
            let p = path(Some(&m[user_of(m.len(), clients, c, i.wrapping_mul(7919))]));
            let h = h.clone();
            async move { h.ok(Method::GET, &p, None, 200).await }
        };
        nexus.push(
            run.line("back-office get", clients, closed_loop(clients, secs, get))
                .await,
        );
    }
    let roles: Arc<Vec<AtomicBool>> =
        Arc::new(members.iter().map(|_| AtomicBool::new(false)).collect());
    for clients in [1, many] {
        let (h, m, roles) = (http.clone(), members.clone(), roles.clone());
        let update = move |c: usize, i: u64| {
            let u = user_of(m.len(), clients, c, i);
            let admin = !roles[u].fetch_xor(true, Ordering::Relaxed);
            let body = json!({"role": ROLES[usize::from(admin)]}).to_string();
            let (h, p) = (h.clone(), path(Some(&m[u])));
            async move { h.ok(Method::PUT, &p, Some(Bytes::from(body)), 200).await }
        };
        nexus.push(
            run.line(
                "back-office update",
                clients,
                closed_loop(clients, secs, update),
            )
            .await,
        );
    }
    for clients in [1, many] {
        let made: Arc<Vec<Mutex<Vec<String>>>> =
            Arc::new((0..clients).map(|_| Mutex::new(Vec::new())).collect());
        let (h, mine) = (http.clone(), made.clone());
        let create = move |c: usize, i: u64| {
            let body =
                json!({"email": format!("admin{clients}-{c}-{i}@bench.example"), "role": ROLES[0]});
            let (h, mine) = (h.clone(), mine.clone());
            async move {
                let Ok((201, bytes)) = h
                    .call(
                        Method::POST,
                        &path(None),
                        Some(Bytes::from(body.to_string())),
                    )
                    .await
                else {
                    return false;
                };
                let id = serde_json::from_slice::<Value>(&bytes)
                    .ok()
                    .and_then(|v| v["id"].as_str().map(str::to_owned));
                match (id, mine[c].lock()) {
                    (Some(id), Ok(mut list)) => {
                        list.push(id);
                        true
                    }
                    _ => false,
                }
            }
        };
        nexus.push(
            run.line(
                "back-office create",
                clients,
                closed_loop(clients, secs, create),
            )
            .await,
        );
        let h = http.clone();
        let delete = move |c: usize, _: u64| {
            let id = made[c].lock().ok()?.pop()?;
            let h = h.clone();
            Some(async move { h.ok(Method::DELETE, &path(Some(&id)), None, 204).await })
        };
        nexus.push(
            run.line(
                "back-office delete",
                clients,
                closed_loop_until(clients, secs, delete),
            )
            .await,
        );
    }

    let (Some(db), Some(dir)) = (&stack.tenant_access_db, stack.state()) else {
        return Ok(String::new());
    };
    pg::map_ids(db, "nexus_bench_members", &members).await?;
    let s = args.secs();
    let mut table = String::from(
        "Back-office operations ÷ pgbench running tenant-access's SQL of the same operation:\n\n\
         | operation | clients | Nexus req/s | pgbench tps | ratio |\n|---|---:|---:|---:|---:|\n",
    );
    for (k, (name, script)) in scripts().into_iter().enumerate() {
        for (j, clients) in [1, many].into_iter().enumerate() {
            let vars = vec![
                ("clients", clients.to_string()),
                ("members", members.len().to_string()),
                ("per", (members.len() / clients).max(1).to_string()),
                ("k", "0".to_owned()),
            ];
            let r = pg::pgbench(db, &script, dir, clients, s, &vars)?;
            let row = run.pg_line(&format!("pgbench: back-office {name}"), clients, r);
            let ours = &nexus[k * 2 + j];
            let _ = writeln!(
                table,
                "| {name} | {clients} | {:.0} | {:.0} | {:.2} |",
                ours.rate,
                row.rate,
                ours.rate / row.rate.max(1e-9)
            );
        }
    }
    Ok(table)
}

/// The membership rows with their users' copies, as tenant-access reads them.
const JOIN: &str = "SELECT m.tenant_id, m.user_id, m.role, m.created, m.modified, \
     m.created_by, m.modified_by, m.version, u.user_id, u.email, u.name, u.blocked, \
     u.last_login, u.version FROM tenant_members m \
     LEFT JOIN member_users u ON u.user_id = m.user_id";

/// The user a pgbench client creates and then deletes at its `k`-th turn.
const NEW_USER: &str = "('pgb-' || :clients::text || '-' || :client_id::text || '-' || :k::text)";

/// The outbox row of a membership change, written as sent so that the
/// relay leaves it alone.
const OUTBOX: &str = "INSERT INTO outbox (event_id, subject, event_type, source, occurred_at, \
     traceparent, payload, sent_at) VALUES (gen_random_uuid()::text, \
     'nexus.tenant_access.member', 'member.changed', 'tenant-access', now(), NULL, \
     '\\x0a'::bytea, now());";

/// pgbench's scripts, in the order of the Nexus lines.
fn scripts() -> [(&'static str, String); 5] {
    let own = "\\set n :client_id + :clients * random(0, :per - 1)\n\
         SELECT id AS uid FROM nexus_bench_members WHERE n = :n \\gset\n";
    let one = |user: &str| format!("{JOIN} WHERE m.tenant_id = '{TENANT}' AND m.user_id = {user};");
    let locked = |user: &str| {
        format!(
            "SELECT * FROM tenant_members WHERE tenant_id = '{TENANT}' AND user_id = {user} FOR UPDATE;"
        )
    };
    [
        (
            "list",
            format!("{JOIN} WHERE m.tenant_id = '{TENANT}' ORDER BY m.user_id LIMIT 10001;\n"),
        ),
        (
            "get",
            format!(
                "\\set n random(0, :members - 1)\n{}\n",
                one("(SELECT id FROM nexus_bench_members WHERE n = :n)")
            ),
        ),
        (
            "update",
            format!(
                "{own}{}\nBEGIN;\n{}\nUPDATE tenant_members SET role = CASE WHEN role = 'admin' \
                 THEN 'member' ELSE 'admin' END, version = version + 1, modified = now(), \
                 modified_by = 'pgbench' WHERE tenant_id = '{TENANT}' AND user_id = :uid;\n\
                 {OUTBOX}\n{}\nCOMMIT;\n",
                one(":uid"),
                locked(":uid"),
                one(":uid"),
            ),
        ),
        (
            "create",
            format!(
                "\\set k :k + 1\n{}\nBEGIN;\nSELECT pg_advisory_xact_lock(1953390965, hashtext({NEW_USER}));\n\
                 INSERT INTO tenant_members (tenant_id, user_id, role, created, modified, \
                 created_by, modified_by, version) VALUES ('{TENANT}', {NEW_USER}, 'member', \
                 now(), now(), 'pgbench', 'pgbench', 1) ON CONFLICT (tenant_id, user_id) DO NOTHING;\n\
                 INSERT INTO member_users (user_id, email, name, blocked, last_login, version) \
                 VALUES ({NEW_USER}, {NEW_USER} || '@bench.example', NULL, false, NULL, 1) \
                 ON CONFLICT (user_id) DO NOTHING;\n\
                 SELECT * FROM member_users WHERE user_id = {NEW_USER};\n{OUTBOX}\n{}\nCOMMIT;\n",
                one(NEW_USER),
                one(NEW_USER),
            ),
        ),
        (
            "delete",
            format!(
                "\\set k :k + 1\nBEGIN;\n{}\nDELETE FROM tenant_members WHERE tenant_id = '{TENANT}' \
                 AND user_id = {NEW_USER};\n{OUTBOX}\nCOMMIT;\n",
                locked(NEW_USER),
            ),
        ),
    ]
}
