//! A PostgreSQL server of a test's own (initdb into a temporary directory,
//! trust authentication, a free port), for tests that restart PostgreSQL
//! without touching the shared one. Run as the `postgres` user when the test
//! runs as root, which initdb refuses.

use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use crate::processes::free_port;

/// A PostgreSQL server of this test's own, on a free port.
pub struct OwnPostgres {
    bin: PathBuf,
    port: u16,
    dir: tempfile::TempDir,
    /// The user and group the server runs as when the test runs as root.
    owner: Option<(u32, u32)>,
}

/// The newest `/usr/lib/postgresql/<version>/bin` with initdb and pg_ctl.
fn binaries() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").exists() && bin.join("pg_ctl").exists()).then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// The numeric output of `id <args>`.
fn id(args: &[&str]) -> Option<u32> {
    let out = Command::new("id").args(args).output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

impl OwnPostgres {
    /// Initializes and starts the server; `None` (with a line saying why) when
    /// the PostgreSQL binaries are not installed.
    pub fn start() -> Option<Self> {
        let Some(bin) = binaries() else {
            eprintln!(
                "SKIPPED: no PostgreSQL binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin"
            );
            return None;
        };
        let owner = if id(&["-u"]) == Some(0) {
            let Some(ids) = id(&["-u", "postgres"]).zip(id(&["-g", "postgres"])) else {
                eprintln!("SKIPPED: running as root and no `postgres` user to run initdb as");
                return None;
            };
            Some(ids)
        } else {
            None
        };
        let pg = Self {
            bin,
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
            owner,
        };
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(pg.dir.path(), Some(uid), Some(gid)).unwrap();
        }
        let data = pg.data();
        pg.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        pg.ctl(&["start", "-w", "-t", "60"]);
        Some(pg)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, binary: &str, args: &[&str]) -> Output {
        let mut cmd = Command::new(self.bin.join(binary));
        cmd.args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        if let Some((uid, gid)) = self.owner {
            cmd.uid(uid).gid(gid);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{binary} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// `pg_ctl <args>` on this server: its port, its socket directory and a
    /// log file in its directory.
    fn ctl(&self, args: &[&str]) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("postgres.log").display().to_string();
        let mut all = vec!["-D".to_owned(), self.data(), "-l".to_owned(), log];
        all.extend(["-o".to_owned(), options]);
        all.extend(args.iter().map(|a| (*a).to_owned()));
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        self.run("pg_ctl", &all);
    }

    /// `pg_ctl restart -m fast`: every connection is cut, the server is back
    /// when this returns.
    pub fn restart_fast(&self) {
        self.ctl(&["restart", "-m", "fast", "-w", "-t", "60"]);
    }

    /// The URL of database `name` on this server.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates databases, one per name; answers their URLs.
    pub async fn create_databases(&self, names: &[&str]) -> Vec<String> {
        let admin = sea_orm::Database::connect(self.url("postgres").as_str())
            .await
            .unwrap();
        let mut urls = Vec::new();
        for name in names {
            sea_orm::ConnectionTrait::execute_unprepared(
                &admin,
                &format!("CREATE DATABASE {name}"),
            )
            .await
            .unwrap();
            urls.push(self.url(name));
        }
        admin.close().await.unwrap();
        urls
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let mut cmd = Command::new(self.bin.join("pg_ctl"));
        cmd.args(["-D", &self.data(), "stop", "-m", "immediate"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some((uid, gid)) = self.owner {
            cmd.uid(uid).gid(gid);
        }
        let _ = cmd.status();
    }
}
