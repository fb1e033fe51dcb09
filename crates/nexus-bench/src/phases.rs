//! The measured run: seeding, every line of the table, and the ratios.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use http::Method;
use nexus_domain::Principal;
use nexus_platform::InternalAuth;
use nexus_proto::identity::v1 as pb;
use pb::identity_service_client::IdentityServiceClient;

use crate::Args;
use crate::lines::{Run, user_of};
use crate::load::{Http, closed_loop, open_loop};
use crate::pg;
use crate::procstat::ticks_per_sec;
use crate::report::Row;
use crate::seed::{seed, sync_body};
use crate::stack::Stack;
use crate::summary::{self, KeyLines};

/// Sends `$sync` of the client's next user through the gateway; with
/// `changing`, every other login changes an attribute.
pub fn gateway_sync(
    http: &Http,
    ids: &Arc<Vec<String>>,
    state: &Arc<Vec<AtomicBool>>,
    clients: usize,
    changing: bool,
) -> impl Fn(usize, u64) -> std::pin::Pin<Box<dyn Future<Output = bool> + Send>>
+ Clone
+ Send
+ Sync
+ 'static {
    let (http, ids, state) = (http.clone(), ids.clone(), state.clone());
    let bodies = [sync_body(false), sync_body(true)];
    move |client, i| {
        let u = user_of(ids.len(), clients, client, i);
        let mut changed = state[u].load(Ordering::Relaxed);
        if changing && i.is_multiple_of(2) {
            changed = !changed;
            state[u].store(changed, Ordering::Relaxed);
        }
        let body = bodies[usize::from(changed)].clone();
        let path = format!("/v1/users/{}/$sync", ids[u]);
        let http = http.clone();
        Box::pin(async move { http.ok(Method::PUT, &path, Some(body), 200).await })
    }
}

fn grpc_request(user_id: &str, changed: bool) -> pb::SyncUserRequest {
    pb::SyncUserRequest {
        user_id: user_id.to_owned(),
        audience: "https://api.bench.example".into(),
        attributes: vec![
            pb::SyncAttribute {
                key: "dept".into(),
                value: Some(if changed { "sales" } else { "ops" }.into()),
            },
            pb::SyncAttribute {
                key: "site".into(),
                value: Some("hq".into()),
            },
        ],
        connection_id: "con".into(),
        groups: vec!["staff".into(), "admins".into(), "vpn".into()],
        client_upn_key: None,
    }
}

/// Seeds, measures every line, and returns the report in Markdown with the
/// number of requests that failed.
///
/// # Errors
/// Seeding failed, or a tool the run needs.
#[allow(clippy::too_many_lines)]
pub async fn run(args: &Args, stack: &Stack) -> anyhow::Result<(String, u64)> {
    let http = Http::new(&stack.base_url, &stack.token, &stack.application_token)?;
    let n = args.users();
    let many = args.clients.max(1);
    println!("seeding {n} users");
    let ids = Arc::new(seed(&http, n).await?);
    pg::analyze(stack.identity_db.iter().chain(&stack.tenant_access_db)).await?;
    let state: Arc<Vec<AtomicBool>> =
        Arc::new((0..ids.len()).map(|_| AtomicBool::new(false)).collect());
    let mut run = Run {
        stack,
        ticks: ticks_per_sec(),
        secs: Duration::from_secs(args.secs()),
        rows: Vec::new(),
    };
    let secs = run.secs;

    // Warm-up, not measured.
    let _ = closed_loop(
        many,
        Duration::from_secs(1),
        gateway_sync(&http, &ids, &state, many, false),
    )
    .await;

    let noop_1 = run
        .line(
            "$sync no-op (gateway)",
            1,
            closed_loop(1, secs, gateway_sync(&http, &ids, &state, 1, false)),
        )
        .await;
    let noop_n = run
        .line(
            "$sync no-op (gateway)",
            many,
            closed_loop(many, secs, gateway_sync(&http, &ids, &state, many, false)),
        )
        .await;
    run.line(
        "$sync 50 % changing (gateway)",
        1,
        closed_loop(1, secs, gateway_sync(&http, &ids, &state, 1, true)),
    )
    .await;
    run.line(
        "$sync 50 % changing (gateway)",
        many,
        closed_loop(many, secs, gateway_sync(&http, &ids, &state, many, true)),
    )
    .await;
    let target_rate = noop_n.rate * 0.7;
    let open = {
        let call = gateway_sync(&http, &ids, &state, 1, false);
        let users = ids.len() as u64;
        let open = open_loop(target_rate, secs, move |k| call(0, k % users.max(1)));
        run.line(
            &format!("$sync no-op open loop at {target_rate:.0}/s"),
            0,
            open,
        )
        .await
    };

    let mut grpc_n = None;
    if let Some((addr, secret)) = &stack.identity_grpc {
        let channel = tonic::transport::Endpoint::from_shared(addr.clone())?
            .tcp_nodelay(true)
            .connect()
            .await
            .context("connecting to identity")?;
        let client = IdentityServiceClient::new(channel);
        let auth = Arc::new(InternalAuth::new(secret.as_bytes()));
        let principal = Arc::new(Principal {
            subject: "local-user".into(),
            scopes: ["users:read", "users:write", "users:sync"]
                .map(String::from)
                .to_vec(),
            ..Principal::default()
        });
        let grpc = |clients: usize| {
            let (client, auth, principal, ids, state) = (
                client.clone(),
                auth.clone(),
                principal.clone(),
                ids.clone(),
                state.clone(),
            );
            move |c: usize, i: u64| {
                let u = user_of(ids.len(), clients, c, i);
                let mut request =
                    tonic::Request::new(grpc_request(&ids[u], state[u].load(Ordering::Relaxed)));
                auth.sign(
                    request.metadata_mut(),
                    &principal,
                    "/nexus.identity.v1.IdentityService/SyncUser",
                );
                let mut client = client.clone();
                async move { client.sync_user(request).await.is_ok() }
            }
        };
        run.line(
            "$sync no-op (identity gRPC)",
            1,
            closed_loop(1, secs, grpc(1)),
        )
        .await;
        grpc_n = Some(
            run.line(
                "$sync no-op (identity gRPC)",
                many,
                closed_loop(many, secs, grpc(many)),
            )
            .await,
        );
    }

    let (get_n, page_n) = crate::reads::lines(&mut run, &http, &ids, many).await;

    let mut pg_rows: Option<[Row; 4]> = None;
    if let (Some(db), Some(dir)) = (&stack.identity_db, stack.state()) {
        pg::map_users(db, &ids).await?;
        let s = args.secs();
        let vars = |clients: usize| crate::reads::pg_vars(n, clients);
        let login_1 = pg::pgbench(db, &pg::login_script(), dir, 1, s, &vars(1))?;
        let login_1 = run.pg_line("pgbench: no-op login SQL", 1, login_1);
        let login_n = pg::pgbench(db, &pg::login_script(), dir, many, s, &vars(many))?;
        let login_n = run.pg_line("pgbench: no-op login SQL", many, login_n);
        let (get_pg, page_pg) = crate::reads::pg_lines(&mut run, args, db, dir)?;
        pg_rows = Some([login_1, login_n, get_pg, page_pg]);
    }

    let backoffice = if stack.admin_token.is_some() {
        crate::backoffice::run(&mut run, args, stack).await?
    } else {
        String::new()
    };

    let key = KeyLines {
        noop_1,
        noop_n,
        open,
        grpc_n,
        get_n,
        page_n,
        pg: pg_rows,
    };
    let (mut text, errors) = summary::summarize(args, stack, &run.rows, &key);
    if !backoffice.is_empty() {
        text.push('\n');
        text.push_str(&backoffice);
    }
    Ok((text, errors))
}
