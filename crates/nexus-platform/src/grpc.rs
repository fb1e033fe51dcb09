//! gRPC shared by every process: for servers, the health service
//! (tonic-health), reflection over every Nexus proto, and serving until
//! shutdown on a listener bound beforehand (so port 0 works and the bound
//! address is known); for clients, a channel balanced over every replica of
//! the service it calls. Both speak TLS when configured ([`ServerTls`],
//! [`ClientTls`]; `https://` URLs), mutual TLS when the server names client CAs.

mod tls;

pub use tls::{ClientTls, ServerTls};

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tonic::service::Routes;
use tonic::transport::channel::Change;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Endpoint};
use tonic_health::server::HealthReporter;

use crate::metrics::grpc::GrpcServerLayer;
use crate::shutdown::Shutdown;
use crate::telemetry::grpc::{ServerTraceLayer, TracedChannel};

/// Binds `addr` (port 0 picks a free port).
///
/// # Errors
/// The address is taken or not local.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Health and reflection services, added to every server.
///
/// # Errors
/// The embedded descriptor set is unreadable (a build defect).
pub fn standard_routes() -> Result<(Routes, HealthReporter), tonic_reflection::server::Error> {
    let (reporter, health) = tonic_health::server::health_reporter();
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(nexus_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let routes = Routes::new(health).add_service(reflection);
    Ok((routes, reporter))
}

/// Serves `routes` on `listener` until `shutdown`, then drains in-flight calls.
/// Accepted sockets have `TCP_NODELAY`: a unary answer is one small write, and
/// Nagle's algorithm would hold it until the client's delayed ACK. Each call
/// runs in a server span that continues the caller's trace, is logged at
/// debug level with its method (`nexus_platform::grpc=debug`), which shows
/// how calls spread over replicas, and is recorded by `calls`
/// (from [`GrpcMetrics::layer`](crate::metrics::grpc::GrpcMetrics::layer)).
///
/// # Errors
/// The transport failed.
pub async fn serve(
    listener: TcpListener,
    routes: Routes,
    shutdown: Shutdown,
    calls: GrpcServerLayer,
) -> Result<(), tonic::transport::Error> {
    serve_with_tls(listener, routes, shutdown, calls, None).await
}

/// As [`serve`], over TLS when `tls` is given: then clear-text connections
/// fail their handshake, and with client CAs so do clients without a
/// certificate those CAs signed.
///
/// # Errors
/// The certificate or key is unusable, or the transport failed.
pub async fn serve_with_tls(
    listener: TcpListener,
    routes: Routes,
    shutdown: Shutdown,
    calls: GrpcServerLayer,
    tls: Option<&ServerTls>,
) -> Result<(), tonic::transport::Error> {
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = tls {
        builder = builder.tls_config(tls.config())?;
    }
    builder
        .layer(ServerTraceLayer)
        .layer(calls)
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming, async move { shutdown.wait().await })
        .await
}

/// Metadata a service sets on an `Unavailable` status when the failure is an
/// outside dependency of its own (its value names it, e.g. `auth0`): the
/// status message is then written for the API's caller, who learns which
/// dependency to wait for, instead of the gateway's generic 503 text.
pub const DEPENDENCY_METADATA: &str = "x-nexus-dependency";

/// How a client of a Nexus service connects, re-resolves and waits.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub connect_timeout: Duration,
    /// The deadline of every call made through the channel.
    pub call_timeout: Duration,
    /// How often host names are looked up again.
    pub resolve_interval: Duration,
    /// What `https://` URLs are verified against and present.
    pub tls: ClientTls,
}

/// Why a client channel could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("`{0}` is not an http(s) URL with a host")]
    BadUrl(String),
    #[error("a gRPC client needs a running Tokio runtime")]
    NoRuntime,
}

/// A channel balanced over every address its URLs resolve to, and how many
/// addresses it currently routes to. Each call through it runs in a client
/// span whose trace context travels in the call's metadata.
#[derive(Debug, Clone)]
pub struct BalancedChannel {
    pub channel: TracedChannel,
    routed: Arc<AtomicUsize>,
}

impl BalancedChannel {
    /// Builds a channel over `urls` (one URL, or several separated by commas).
    /// An IP address is routed to at once; a host name is looked up now and
    /// every `resolve_interval`, adding and removing addresses as replicas
    /// come and go (a Kubernetes headless Service resolves to every ready
    /// pod). A failed or empty answer keeps the addresses known so far: a
    /// DNS blip, or a moment with no ready pod, then fails calls fast rather
    /// than leaving them waiting for an address.
    ///
    /// # Errors
    /// A URL without a host, or no Tokio runtime to resolve on.
    pub fn new(urls: &str, options: ClientOptions) -> Result<Self, ClientError> {
        let targets = urls
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(Target::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if targets.is_empty() {
            return Err(ClientError::BadUrl(urls.to_owned()));
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(ClientError::NoRuntime);
        }
        let (channel, changes) = Channel::balance_channel(CHANGE_CAPACITY);
        let routed = Arc::new(AtomicUsize::new(0));
        let mut resolver = Resolver {
            targets: targets.into_iter().map(|t| (t, HashSet::new())).collect(),
            routed: HashSet::new(),
            options,
            changes,
            count: routed.clone(),
        };
        // Addresses given as IPs route before the first call, not after a
        // round trip through the resolver task.
        resolver.apply_static();
        tokio::spawn(resolver.run());
        Ok(Self {
            channel: TracedChannel::new(channel),
            routed,
        })
    }

    /// How many addresses calls are balanced over now.
    pub fn routed(&self) -> usize {
        self.routed.load(Ordering::Relaxed)
    }
}

/// Room for the changes of one resolution round before the balancer reads them.
const CHANGE_CAPACITY: usize = 64;

/// One URL: its scheme and origin, and where it points.
#[derive(Debug)]
struct Target {
    origin: http::Uri,
    scheme: String,
    host: String,
    port: u16,
    ip: Option<IpAddr>,
}

impl Target {
    fn parse(url: &str) -> Result<Self, ClientError> {
        let bad = || ClientError::BadUrl(url.to_owned());
        let origin: http::Uri = url.parse().map_err(|_| bad())?;
        let scheme = origin.scheme_str().ok_or_else(bad)?.to_owned();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return Err(bad()),
        };
        let host = origin.host().ok_or_else(bad)?;
        let ip = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .ok();
        Ok(Self {
            port: origin.port_u16().unwrap_or(default_port),
            host: host.to_owned(),
            scheme,
            ip,
            origin,
        })
    }

    fn endpoint(&self, addr: SocketAddr, options: &ClientOptions) -> Option<Endpoint> {
        let mut endpoint = Endpoint::from_shared(format!("{}://{addr}", self.scheme)).ok()?;
        if self.scheme == "https" {
            // The replica is reached by address; its certificate must name the host.
            let host = self.host.trim_start_matches('[').trim_end_matches(']');
            endpoint = endpoint
                .tls_config(options.tls.config(host))
                .inspect_err(
                    |e| tracing::error!(host, error = %e, "unusable gRPC client TLS settings"),
                )
                .ok()?;
        }
        Some(
            endpoint
                // Requests keep naming the service, not the replica.
                .origin(self.origin.clone())
                .connect_timeout(options.connect_timeout)
                .timeout(options.call_timeout)
                .tcp_nodelay(true),
        )
    }
}

/// Keeps a balanced channel's addresses in step with what its URLs resolve to.
struct Resolver {
    /// Each target with the addresses it last resolved to.
    targets: Vec<(Target, HashSet<SocketAddr>)>,
    routed: HashSet<SocketAddr>,
    options: ClientOptions,
    changes: mpsc::Sender<Change<SocketAddr, Endpoint>>,
    count: Arc<AtomicUsize>,
}

impl Resolver {
    fn apply_static(&mut self) {
        for (target, addrs) in &mut self.targets {
            if let Some(ip) = target.ip {
                addrs.insert(SocketAddr::new(ip, target.port));
            }
        }
        self.route(|resolver, change| resolver.changes.try_send(change).is_ok());
    }

    async fn run(mut self) {
        loop {
            for (target, addrs) in &mut self.targets {
                if target.ip.is_some() {
                    continue;
                }
                match tokio::net::lookup_host((target.host.as_str(), target.port)).await {
                    Ok(found) => {
                        let found: HashSet<SocketAddr> = found.collect();
                        if !found.is_empty() {
                            *addrs = found;
                        }
                    }
                    Err(e) => {
                        tracing::debug!(host = %target.host, error = %e, "lookup failed; keeping the known addresses");
                    }
                }
            }
            let mut pending = Vec::new();
            self.route(|_, change| {
                pending.push(change);
                true
            });
            for change in pending {
                if self.changes.send(change).await.is_err() {
                    return;
                }
            }
            tokio::select! {
                () = self.changes.closed() => return,
                () = tokio::time::sleep(self.options.resolve_interval) => {},
            }
        }
    }

    /// Hands the differences between what is routed and what the targets
    /// resolved to to `send`, and records what it accepted.
    fn route(&mut self, mut send: impl FnMut(&Self, Change<SocketAddr, Endpoint>) -> bool) {
        let wanted: Vec<(SocketAddr, usize)> = self
            .targets
            .iter()
            .enumerate()
            .flat_map(|(i, (_, addrs))| addrs.iter().map(move |a| (*a, i)))
            .collect();
        let wanted_addrs: HashSet<SocketAddr> = wanted.iter().map(|(a, _)| *a).collect();
        let gone: Vec<SocketAddr> = self.routed.difference(&wanted_addrs).copied().collect();
        for addr in gone {
            if send(self, Change::Remove(addr)) {
                self.routed.remove(&addr);
            }
        }
        for (addr, i) in wanted {
            if self.routed.contains(&addr) {
                continue;
            }
            let Some(endpoint) = self.targets[i].0.endpoint(addr, &self.options) else {
                continue;
            };
            if send(self, Change::Insert(addr, endpoint)) {
                self.routed.insert(addr);
            }
        }
        self.count.store(self.routed.len(), Ordering::Relaxed);
    }
}
