//! The system under test: the four components as separate processes on
//! PostgreSQL and NATS (started by `deploy/local/up.sh`, which also starts
//! PostgreSQL and NATS when they are down), or the all-in-one on SQLite.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// Where the workspace is: the bench runs its scripts and writes its report
/// there.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running Nexus process.
#[derive(Debug, Clone)]
pub struct Process {
    pub name: String,
    pub pid: u32,
}

/// How the stack is reached and what it runs.
pub struct Stack {
    pub base_url: String,
    pub token: String,
    pub application_token: String,
    pub processes: Vec<Process>,
    /// The identity service's gRPC address and the internal secret that
    /// signs principals (four processes only).
    pub identity_grpc: Option<(String, String)>,
    /// The identity database (four processes only).
    pub identity_db: Option<String>,
    /// The tenant-access database (four processes only).
    pub tenant_access_db: Option<String>,
    /// A token for the back-office API of tenant `acme` (four processes only).
    pub admin_token: Option<String>,
    kind: Kind,
}

enum Kind {
    Local { state: PathBuf },
    AllInOne { child: Child },
}

/// Options of the stack.
#[derive(Debug, Clone)]
pub struct StackOptions {
    pub release: bool,
    pub state: PathBuf,
    pub port: u16,
    pub grpc_port: u16,
    pub postgres: String,
    /// Where the processes export their spans (OTLP/gRPC, every span);
    /// none exports nothing.
    pub otlp_endpoint: Option<String>,
}

/// Points the processes' trace exporter at `endpoint`, sampling every trace.
fn export_spans(c: &mut Command, endpoint: Option<&str>) {
    if let Some(endpoint) = endpoint {
        c.env("NEXUS__TELEMETRY__OTLP_ENDPOINT", endpoint)
            .env("NEXUS__TELEMETRY__SAMPLE_RATIO", "1.0");
    }
}

fn run(command: &mut Command, what: &str) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("running {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

fn local_command(script: &str, o: &StackOptions) -> Command {
    let mut c = Command::new(workspace_root().join(script));
    c.current_dir(workspace_root())
        .env("NEXUS_LOCAL_STATE", &o.state)
        .env(
            "NEXUS_LOCAL_PROFILE",
            if o.release { "release" } else { "debug" },
        )
        .env("NEXUS_LOCAL_PORT", o.port.to_string())
        .env("NEXUS_LOCAL_GRPC_PORT", o.grpc_port.to_string())
        .env("NEXUS_LOCAL_DATABASE_URL", &o.postgres)
        // Logging every call would be measured too.
        .env("NEXUS__TELEMETRY__FILTER", "warn")
        .stdout(Stdio::null());
    export_spans(&mut c, o.otlp_endpoint.as_deref());
    c
}

fn key_values(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

impl Stack {
    /// The four components as separate processes, with fresh databases.
    ///
    /// # Errors
    /// A script failed or left no credentials.
    pub fn start_local(o: &StackOptions) -> anyhow::Result<Self> {
        // What a previous, interrupted run left behind goes first.
        let _ = local_command("deploy/local/down.sh", o)
            .arg("--purge")
            .status();
        run(
            &mut local_command("deploy/local/up.sh", o),
            "deploy/local/up.sh",
        )?;
        let env = key_values(&read(&o.state.join("env"))?);
        let get = |k: &str| {
            env.get(k)
                .cloned()
                .with_context(|| format!("{k} missing from the state's env"))
        };
        let processes = read(&o.state.join("pids"))?
            .lines()
            .filter_map(|l| {
                let mut f = l.split_whitespace();
                Some(Process {
                    name: f.next()?.to_owned(),
                    pid: f.next()?.parse().ok()?,
                })
            })
            .collect();
        let tag = read(&o.state.join("tag"))?.trim().to_owned();
        let secret = read(&o.state.join("internal-secret"))?.trim().to_owned();
        Ok(Self {
            base_url: get("NEXUS_URL")?,
            token: get("TOKEN")?,
            application_token: get("APPLICATION_TOKEN")?,
            processes,
            identity_grpc: Some((format!("http://127.0.0.1:{}", o.grpc_port), secret)),
            identity_db: Some(format!("{}/nexus_local_{tag}_identity", o.postgres)),
            tenant_access_db: Some(format!("{}/nexus_local_{tag}_tenant_access", o.postgres)),
            admin_token: env.get("ADMIN_TOKEN").cloned(),
            kind: Kind::Local {
                state: o.state.clone(),
            },
        })
    }

    /// The all-in-one on SQLite files in a fresh directory.
    ///
    /// # Errors
    /// The build failed or the process did not start.
    pub fn start_all_in_one(o: &StackOptions) -> anyhow::Result<Self> {
        let mut build = Command::new("cargo");
        build
            .current_dir(workspace_root())
            .args(["build", "-p", "nexus", "--locked", "--quiet"]);
        if o.release {
            build.arg("--release");
        }
        run(&mut build, "cargo build -p nexus")?;
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| workspace_root().join("target"), PathBuf::from);
        let bin = target
            .join(if o.release { "release" } else { "debug" })
            .join("nexus");
        let dir = o.state.join("all-in-one");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let any = "127.0.0.1:0";
        let mut command = Command::new(&bin);
        export_spans(&mut command, o.otlp_endpoint.as_deref());
        let child = command
            .current_dir(&dir)
            .env("NEXUS__GATEWAY__LISTEN", format!("127.0.0.1:{}", o.port))
            .env("NEXUS__IDENTITY__LISTEN", any)
            .env("NEXUS__UPN__LISTEN", any)
            .env("NEXUS__TENANT_ACCESS__LISTEN", any)
            .env("NEXUS__TELEMETRY__FILTER", "warn")
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let pid = child.id();
        let mut stack = Self {
            base_url: format!("http://127.0.0.1:{}", o.port),
            token: String::new(),
            application_token: String::new(),
            processes: vec![Process {
                name: "all-in-one".into(),
                pid,
            }],
            identity_grpc: None,
            identity_db: None,
            tenant_access_db: None,
            admin_token: None,
            kind: Kind::AllInOne { child },
        };
        wait_port(o.port)?;
        let out = Command::new(&bin)
            .current_dir(&dir)
            .args(["dev", "token", "--sub", "nexus-bench"])
            .args(
                [
                    "users:read",
                    "users:write",
                    "users:delete",
                    "identities:write",
                    "users:sync",
                    "idp-tenants:admin",
                ]
                .iter()
                .flat_map(|s| ["--scope", s]),
            )
            .output()?;
        let env = key_values(&String::from_utf8_lossy(&out.stdout));
        stack.token = env.get("TOKEN").cloned().context("no dev token")?;
        stack.application_token = env
            .get("APPLICATION_TOKEN")
            .cloned()
            .context("no application token")?;
        Ok(stack)
    }

    /// Stops what was started and drops its databases.
    pub fn stop(self, o: &StackOptions) {
        match self.kind {
            Kind::Local { .. } => {
                let _ = local_command("deploy/local/down.sh", o)
                    .arg("--purge")
                    .status();
            }
            Kind::AllInOne { mut child } => {
                let _ = Command::new("kill")
                    .args(["-TERM", &child.id().to_string()])
                    .status();
                let _ = child.wait();
                let _ = std::fs::remove_dir_all(o.state.join("all-in-one"));
            }
        }
    }

    /// Whether this is the four-process topology.
    pub fn is_local(&self) -> bool {
        matches!(self.kind, Kind::Local { .. })
    }

    /// The state directory of the four processes.
    pub fn state(&self) -> Option<&Path> {
        match &self.kind {
            Kind::Local { state } => Some(state),
            Kind::AllInOne { .. } => None,
        }
    }
}

fn wait_port(port: u16) -> anyhow::Result<()> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("port {port} did not open")
}
