//! `nexus`: with no command, the all-in-one; `nexus serve <component>` runs one
//! component for a deployment. See `nexus --help`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::TypedValueParser as _;
use clap::{Parser, Subcommand};
use nexus::Component;
use nexus_platform::config::{ConfigError, Settings};
use nexus_platform::{Shutdown, telemetry};
use secrecy::ExposeSecret as _;

/// Nexus identity backend.
///
/// Configuration: built-in defaults, then a TOML file (`--config` or
/// NEXUS_CONFIG), then environment variables NEXUS__SECTION__KEY, e.g.
/// NEXUS__GATEWAY__LISTEN=127.0.0.1:9000 or
/// NEXUS__IDENTITY__DATABASE_URL=postgres://…  See deploy/nexus.example.toml
/// for every key.
#[derive(Debug, Parser)]
#[command(name = "nexus", version, about, long_about)]
struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Every service and the gateway in one process, on SQLite files under
    /// `data_dir` with in-process events (the default command).
    AllInOne,
    /// One component alone, on PostgreSQL and NATS JetStream.
    Serve {
        #[arg(value_parser = component_parser())]
        component: Component,
    },
    /// Migrates one service's database (`identity.database_url`, …), or with
    /// `all` the all-in-one's, then exits. Needs only the database URL; safe
    /// to run from several places at once.
    Migrate {
        #[arg(value_parser = migrate_target_parser())]
        target: nexus::MigrateTarget,
    },
    /// Development credentials of the all-in-one (on while no `[auth]` is
    /// configured).
    Dev {
        #[command(subcommand)]
        command: DevCommand,
    },
    /// The event consumers: their dead letters (kept in each consumer's
    /// database, or with NATS in the dead-letter stream), redriving them,
    /// replaying a consumer.
    Events {
        #[command(subcommand)]
        command: EventsCommand,
    },
    /// Loads and validates the configuration, then exits; it refuses what
    /// start-up would refuse.
    CheckConfig {
        /// Check as for `nexus serve <COMPONENT>` instead of the all-in-one.
        #[arg(long, value_name = "COMPONENT", value_parser = component_parser())]
        serve: Option<Component>,
    },
}

fn component_parser() -> impl clap::builder::TypedValueParser<Value = Component> {
    clap::builder::PossibleValuesParser::new(Component::ALL.map(Component::name))
        .try_map(|name| name.parse::<Component>())
}

fn migrate_target_parser() -> impl clap::builder::TypedValueParser<Value = nexus::MigrateTarget> {
    clap::builder::PossibleValuesParser::new(
        nexus::MigrateTarget::ALL.map(nexus::MigrateTarget::name),
    )
    .try_map(|name| nexus::MigrateTarget::from_name(&name).ok_or("unknown target"))
}

#[derive(Debug, Subcommand)]
enum EventsCommand {
    /// Lists the kept dead letters, one per line: id, consumer, event type,
    /// event id, when, failures, the last error.
    DeadLetters {
        /// Only this consumer's (identity-custom-upns, upn-users,
        /// tenant-access-users).
        #[arg(long)]
        consumer: Option<String>,
    },
    /// Applies kept dead letters again, once their cause is fixed; each one
    /// applied is forgotten, the others stay (exit status 1).
    Redrive {
        #[arg(long)]
        consumer: Option<String>,
        /// Only the dead letter with this id.
        #[arg(long)]
        id: Option<i64>,
    },
    /// Rebuilds a consumer's copy: the running service applies again every
    /// event from a sequence number or a time (RFC 3339) on. On the
    /// all-in-one it moves the consumer's cursor back; with
    /// `events.backend = "nats"` it re-creates the consumer's durable
    /// JetStream consumer there. Either way it forgets the consumer's inbox.
    Replay {
        #[arg(long)]
        consumer: String,
        /// An outbox `seq` on the all-in-one; with `events.backend = "nats"`
        /// a JetStream stream sequence (`nats stream info`); or a time.
        #[arg(long, value_name = "SEQ|TIME")]
        from: nexus::compose::events::ReplayFrom,
    },
}

async fn events(settings: &Settings, command: EventsCommand) -> anyhow::Result<ExitCode> {
    use nexus::compose::events;
    match command {
        EventsCommand::DeadLetters { consumer } => {
            for line in events::dead_letters(settings, consumer.as_deref()).await? {
                println!("{line}");
            }
            Ok(ExitCode::SUCCESS)
        }
        EventsCommand::Redrive { consumer, id } => {
            let done = events::redrive(settings, consumer.as_deref(), id).await?;
            println!(
                "redriven: {} put back, {} failed again",
                done.applied,
                done.failed.len()
            );
            for line in &done.failed {
                println!("{line}");
            }
            Ok(if done.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        EventsCommand::Replay { consumer, from } => {
            println!("{}", events::replay(settings, &consumer, from).await?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(Debug, Subcommand)]
enum DevCommand {
    /// Prints a JWT the all-in-one accepts (signed with the key in
    /// `data_dir`) and the development ApplicationToken, as shell assignments:
    /// eval "$(nexus dev token --sub alice)".
    Token {
        /// The token's subject (`sub`): recorded as createdBy/modifiedBy.
        #[arg(long, default_value = "dev")]
        sub: String,
        /// A scope; repeat for several. Without any, every /v1 scope
        /// (users:read, users:write, users:delete, identities:write,
        /// users:sync, custom-upns:write, roles:admin, idp-tenants:admin,
        /// organizations:admin) and scim:provision; the tenant back-office scopes
        /// (tenant.access:read, tenant.access:write) only when named.
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<String>,
        /// A tenant the principal may act on; repeat for several.
        #[arg(long = "tenant", value_name = "TENANT")]
        tenants: Vec<String>,
        /// Lifetime of the token in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl_secs: u64,
    },
}

fn dev_token(settings: &Settings, command: DevCommand) -> ExitCode {
    let DevCommand::Token {
        sub,
        scopes,
        tenants,
        ttl_secs,
    } = command;
    if settings.auth.is_configured() {
        eprintln!(
            "nexus: development credentials are off because [auth] is configured; use tokens of the configured issuer"
        );
        return ExitCode::from(2);
    }
    let request = nexus::dev::TokenRequest {
        subject: sub,
        scopes,
        tenants,
        ttl_secs,
    };
    let app_token = nexus::dev::application_token(settings);
    match (nexus::dev::token(&settings.data_dir, &request), app_token) {
        (Ok(jwt), Ok(app)) => {
            println!("TOKEN={jwt}\nAPPLICATION_TOKEN={}", app.expose_secret());
            ExitCode::SUCCESS
        }
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("nexus: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::AllInOne);
    // `None`: the all-in-one.
    let component = match &command {
        // `migrate` reads database URLs only: the all-in-one's mode asks for
        // no internal-auth secret.
        Command::AllInOne
        | Command::Dev { .. }
        | Command::Migrate { .. }
        | Command::Events { .. } => None,
        Command::Serve { component } => Some(*component),
        Command::CheckConfig { serve } => *serve,
    };
    let settings = match Settings::load(cli.config.as_deref(), nexus::mode_of(component)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("nexus: {e}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Dev { command } => return dev_token(&settings, command),
        Command::CheckConfig { .. } => {
            return match nexus::check_config(&settings, component) {
                Ok(()) => {
                    println!("configuration is valid");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("nexus: {e}");
                    ExitCode::from(2)
                }
            };
        }
        Command::AllInOne
        | Command::Serve { .. }
        | Command::Migrate { .. }
        | Command::Events { .. } => {}
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("nexus: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&settings, command)) {
        Ok(code) => code,
        // Start-up refuses the configuration as check-config does.
        Err(e) if e.downcast_ref::<ConfigError>().is_some() => {
            eprintln!("nexus: {e:#}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("nexus: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(settings: &Settings, command: Command) -> anyhow::Result<ExitCode> {
    let service_name = match &command {
        Command::Serve { component } => format!("nexus-{}", component.name()),
        _ => "nexus".to_owned(),
    };
    let _telemetry = telemetry::init(&settings.telemetry, &service_name)?;
    match command {
        Command::Migrate { target } => {
            return nexus::migrate(settings, target)
                .await
                .map(|()| ExitCode::SUCCESS);
        }
        Command::Events { command } => return events(settings, command).await,
        _ => {}
    }
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();
    let running = match command {
        Command::Serve { component } => {
            nexus::start_component(settings, component, shutdown).await?
        }
        Command::AllInOne
        | Command::CheckConfig { .. }
        | Command::Dev { .. }
        | Command::Migrate { .. }
        | Command::Events { .. } => {
            let running = nexus::start_all_in_one(settings, shutdown).await?;
            if let (Some(addr), Some(_)) = (running.gateway_addr, &running.dev_application_token) {
                println!(
                    "Nexus all-in-one is ready.\n  REST gateway: http://{addr}\n  data: {}\n\
                     Development credentials are on (no [auth] configured): tokens from\n  \
                     eval \"$(nexus dev token --sub alice)\"\n\
                     First call:\n  curl -s -X POST http://{addr}/v1/users \\\n    \
                     -H \"Authorization: Bearer $TOKEN\" -H \"ApplicationToken: $APPLICATION_TOKEN\" \\\n    \
                     -H 'Content-Type: application/json' \\\n    \
                     -d '{{\"emailAddress\":\"ann@example.com\",\"username\":\"ann\",\"givenName\":\"Ann\",\"familyName\":\"Lee\",\"displayName\":\"Ann Lee\"}}'",
                    settings.data_dir.display(),
                );
                tracing::warn!(
                    "development auth is on: configure [auth] before exposing this gateway"
                );
            }
            running
        }
    };
    running.wait().await.map(|()| ExitCode::SUCCESS)
}
