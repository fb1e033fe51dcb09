//! `nexus`: with no command, the all-in-one; `nexus serve <component>` runs one
//! component for a deployment. See `nexus --help`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use nexus::Component;
use nexus_platform::config::{Mode, Settings};
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
        #[arg(value_enum)]
        component: Component,
    },
    /// Loads and validates the configuration, then exits.
    CheckConfig {
        /// Check as for `nexus serve` (stricter) instead of the all-in-one.
        #[arg(long)]
        serve: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::AllInOne);
    let mode = match &command {
        Command::AllInOne => Mode::AllInOne,
        Command::Serve { .. } => Mode::Component,
        Command::CheckConfig { serve } => {
            if *serve {
                Mode::Component
            } else {
                Mode::AllInOne
            }
        }
    };
    let settings = match Settings::load(cli.config.as_deref(), mode) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("nexus: {e}");
            return ExitCode::from(2);
        }
    };
    if let Command::CheckConfig { .. } = command {
        println!("configuration is valid");
        return ExitCode::SUCCESS;
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
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nexus: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(settings: &Settings, command: Command) -> anyhow::Result<()> {
    let _telemetry = telemetry::init(&settings.telemetry)?;
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();
    let running = match command {
        Command::Serve { component } => {
            nexus::start_component(settings, component, shutdown).await?
        }
        Command::AllInOne | Command::CheckConfig { .. } => {
            let running = nexus::start_all_in_one(settings, shutdown).await?;
            if let (Some(addr), Some(token)) =
                (running.gateway_addr, &running.dev_application_token)
            {
                println!(
                    "Nexus all-in-one is ready.\n  REST gateway: http://{addr}\n  data: {}\n\
                     Development credentials are on: any bearer token with this ApplicationToken.\n\
                     First call:\n  curl -s -X POST http://{addr}/v1/users \\\n    \
                     -H 'Authorization: Bearer dev' -H 'ApplicationToken: {}' \\\n    \
                     -H 'Content-Type: application/json' \\\n    \
                     -d '{{\"emailAddress\":\"ann@example.com\",\"username\":\"ann\",\"givenName\":\"Ann\",\"familyName\":\"Lee\",\"displayName\":\"Ann Lee\"}}'",
                    settings.data_dir.display(),
                    token.expose_secret(),
                );
                tracing::warn!(
                    "development credentials are on: configure credentials before exposing this gateway"
                );
            }
            running
        }
    };
    running.wait().await
}
