//! The production topology as child processes: `nexus migrate` for each
//! service, then `nexus serve gateway|identity|upn|tenant-access`, on
//! PostgreSQL databases and a NATS JetStream given by the test, with
//! configured credentials (an HS256 issuer and an ApplicationToken).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use futures::StreamExt as _;
use nexus_platform::events::NatsEventBus;
use nexus_platform::events::consumer::jetstream::dead_letter_count;
use sha2::{Digest as _, Sha256};

use crate::cli::nexus;
use crate::helpers::every_scope;
use crate::processes::{Process, Rest, TENANT, free_port, tenant_scopes, wait_listening};

const HS256_SECRET: &str = "deployment-hs256-secret-0123456789abcdef";
const ISSUER: &str = "https://issuer.deployment.example/";
const AUDIENCE: &str = "nexus-deployment";
const APP_TOKEN: &str = "deployment-application-token-0123456789";
const INTERNAL_SECRET: &str = "deployment-internal-secret-0123456789abcdef";

/// The services, as `nexus serve` names them, with their readiness names.
pub const SERVICES: [(&str, &str); 3] = [
    (
        "identity",
        nexus_proto::identity::v1::identity_service_server::SERVICE_NAME,
    ),
    (
        "upn",
        nexus_proto::upn::v1::upn_service_server::SERVICE_NAME,
    ),
    (
        "tenant-access",
        nexus_proto::tenant_access::v1::tenant_access_service_server::SERVICE_NAME,
    ),
];

/// Four `nexus serve` processes.
pub struct Deployment {
    dir: tempfile::TempDir,
    config: PathBuf,
    /// identity, upn, tenant-access.
    pub database_urls: [String; 3],
    /// The gRPC addresses of identity, upn, tenant-access.
    pub services: [SocketAddr; 3],
    pub gateway: SocketAddr,
    processes: Vec<(&'static str, Process)>,
}

/// A JWT of the configured issuer.
fn jwt(scopes: &[String], tenants: &[&str]) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = serde_json::json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "deployment", "iat": now, "exp": now + 3600,
        "scope": scopes.join(" "), "tenants": tenants,
    });
    gateway::jwt::sign_hs256(HS256_SECRET.as_bytes(), &claims).unwrap()
}

impl Deployment {
    /// Migrates the three databases and starts the four processes, with
    /// events on `nats_url` in a stream and subjects named after `tag`.
    pub async fn start(database_urls: [String; 3], nats_url: &str, tag: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let services = [(); 3].map(|()| {
            format!("127.0.0.1:{}", free_port())
                .parse::<SocketAddr>()
                .unwrap()
        });
        let gateway: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let scopes = serde_json::to_string(&gateway::auth::scope::all_names()).unwrap();
        let [identity, upn, tenant] = services.map(|a| format!("http://{a}"));
        let config = dir.path().join("nexus.toml");
        let text = format!(
            "data_dir = {data:?}\n\
             [gateway]\nlisten = \"{gateway}\"\nidentity_url = \"{identity}\"\n\
             upn_url = \"{upn}\"\ntenant_access_url = \"{tenant}\"\n\
             [identity]\nlisten = \"{}\"\n\
             [upn]\nlisten = \"{}\"\nidentity_url = \"{identity}\"\n\
             [tenant_access]\nlisten = \"{}\"\nidentity_url = \"{identity}\"\n\
             [internal_auth]\nsecret = \"{INTERNAL_SECRET}\"\n\
             [events]\nbackend = \"nats\"\nnats_url = \"{nats_url}\"\nstream = \"NEXUS_TEST_{tag}\"\n\
             subject_prefix = \"test{tag}\"\nstream_max_age_secs = 600\nrelay_poll_interval_ms = 200\n\
             [telemetry]\nfilter = \"warn\"\n\
             [auth.jwt]\nhs256_secret = \"{HS256_SECRET}\"\nissuer = \"{ISSUER}\"\naudience = \"{AUDIENCE}\"\n\
             [[auth.application_tokens]]\nname = \"deployment\"\nsha256 = \"{digest}\"\nscopes = {scopes}\n",
            services[0],
            services[1],
            services[2],
            data = dir.path().join("data"),
            digest = hex::encode(Sha256::digest(APP_TOKEN)),
        );
        std::fs::write(&config, text).unwrap();
        let mut deployment = Self {
            dir,
            config,
            database_urls,
            services,
            gateway,
            processes: Vec::new(),
        };
        for (service, _) in SERVICES {
            let out = deployment.command(&["migrate", service]).output().unwrap();
            assert!(
                out.status.success(),
                "nexus migrate {service}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        for (i, (service, _)) in SERVICES.into_iter().enumerate() {
            deployment.serve(service);
            wait_listening(services[i], Duration::from_secs(60), service).await;
        }
        deployment.serve("gateway");
        wait_listening(gateway, Duration::from_secs(60), "gateway").await;
        deployment
    }

    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = nexus();
        for (key, url) in [
            "NEXUS__IDENTITY__DATABASE_URL",
            "NEXUS__UPN__DATABASE_URL",
            "NEXUS__TENANT_ACCESS__DATABASE_URL",
        ]
        .into_iter()
        .zip(&self.database_urls)
        {
            cmd.env(key, url);
        }
        cmd.arg("--config").arg(&self.config).args(args);
        cmd
    }

    /// Starts `nexus serve <component>`, its standard error in a file.
    fn serve(&mut self, component: &'static str) {
        let log = std::fs::File::create(self.log_path(component)).unwrap();
        let child = self
            .command(&["serve", component])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.processes.push((component, Process(child)));
    }

    fn log_path(&self, component: &str) -> PathBuf {
        self.dir.path().join(format!("{component}.log"))
    }

    /// The last lines each process wrote to standard error.
    pub fn logs(&self) -> String {
        let mut all = String::new();
        for (component, _) in &self.processes {
            let text = std::fs::read_to_string(self.log_path(component)).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(20)..];
            all.push_str(&format!("--- {component}\n{}\n", tail.join("\n")));
        }
        all
    }

    /// Fails the test, with the processes' logs, when one has exited.
    pub fn assert_running(&mut self) {
        let exited: Vec<String> = self
            .processes
            .iter_mut()
            .filter_map(|(c, p)| Some(format!("{c} ({})", p.0.try_wait().ok()??)))
            .collect();
        assert!(exited.is_empty(), "exited: {exited:?}\n{}", self.logs());
    }

    /// A client of the gateway with the configured credentials.
    pub fn rest(&self) -> Rest {
        Rest::new(
            self.gateway,
            jwt(&every_scope(), &[]),
            jwt(&tenant_scopes(), &[TENANT]),
            APP_TOKEN,
        )
    }

    /// A connection to the stream the processes publish to.
    pub async fn bus(nats_url: &str, tag: &str) -> NatsEventBus {
        let mut settings =
            nexus_platform::config::Settings::load(None, nexus_platform::config::Mode::AllInOne)
                .unwrap();
        crate::helpers::use_nats(&mut settings, tag);
        settings.events.nats_url = nats_url.to_owned();
        NatsEventBus::connect(&settings.events).await.unwrap()
    }
}

/// How many events of `subject` (without the prefix) the stream holds.
pub async fn published(bus: &NatsEventBus, subject: &str) -> u64 {
    let stream = bus.jetstream().get_stream(bus.stream_name()).await.unwrap();
    let mut subjects = stream
        .info_with_subjects(bus.subject(subject))
        .await
        .unwrap();
    let mut total = 0;
    while let Some(entry) = subjects.next().await {
        total += entry.unwrap().1 as u64;
    }
    total
}

/// The dead letters of the three consumers in the dead-letter stream.
pub async fn dead_letters(bus: &NatsEventBus) -> u64 {
    let mut total = 0;
    for consumer in crate::copies::CONSUMERS {
        total += dead_letter_count(bus, consumer).await.unwrap();
    }
    total
}
