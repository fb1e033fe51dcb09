//! A write load through the REST gateway, by concurrent workers: per unit a
//! user is created, given a custom UPN, attached to the tenant, renamed, and
//! every third one deleted. Every answer is recorded, so that after the copies
//! converge each answered (2xx) write can be checked for its effect.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::task::JoinHandle;

use crate::copies::Divergence;
use crate::helpers::new_user;
use crate::processes::{Rest, TENANT};

/// The steps of a unit, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Create,
    Upn,
    Attach,
    Rename,
    Delete,
}

/// What the answers of one unit said.
#[derive(Debug, Default, Clone)]
struct Unit {
    id: Option<String>,
    upn: Option<String>,
    attached: bool,
    renamed: bool,
    deleted: bool,
    /// The step whose write was sent but not answered 2xx (a 5xx, or the
    /// process gone): its effect may or may not be there.
    uncertain: Option<Step>,
}

/// The writes of a unit: 4, and a deletion for every third.
pub fn writes_of(units: usize) -> usize {
    units * 4 + units.div_ceil(3)
}

/// How many units make at least `writes` writes.
pub fn units_for(writes: usize) -> usize {
    (1..).find(|&u| writes_of(u) >= writes).unwrap()
}

/// A load shared by its workers (and by the workers of a later start, when
/// the process was killed and restarted).
pub struct Load {
    prefix: String,
    units: usize,
    /// Whether a 5xx answer is allowed (counted; the unit stops there).
    allow_unavailable: bool,
    /// A pause after each unit, per worker.
    pause: Duration,
    next: AtomicUsize,
    stop: AtomicBool,
    pub sent: AtomicUsize,
    pub answered: AtomicUsize,
    pub unavailable: AtomicUsize,
    outcomes: Mutex<BTreeMap<usize, Unit>>,
}

impl Load {
    pub fn new(prefix: &str, units: usize, allow_unavailable: bool, pause: Duration) -> Arc<Self> {
        Arc::new(Self {
            prefix: prefix.to_owned(),
            units,
            allow_unavailable,
            pause,
            next: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            sent: AtomicUsize::new(0),
            answered: AtomicUsize::new(0),
            unavailable: AtomicUsize::new(0),
            outcomes: Mutex::new(BTreeMap::new()),
        })
    }

    /// Starts `workers` workers on `rest`; each stops when the units are
    /// done, [`Self::stop`] is called, or the process is gone.
    pub fn spawn(self: &Arc<Self>, rest: &Rest, workers: usize) -> Vec<JoinHandle<()>> {
        (0..workers)
            .map(|_| {
                let (load, rest) = (self.clone(), rest.clone());
                tokio::spawn(async move {
                    while !load.stop.load(Ordering::Relaxed) {
                        let n = load.next.fetch_add(1, Ordering::Relaxed);
                        if n >= load.units || load.unit(&rest, n).await.is_none() {
                            return;
                        }
                        tokio::time::sleep(load.pause).await;
                    }
                })
            })
            .collect()
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    pub fn answered(&self) -> usize {
        self.answered.load(Ordering::Relaxed)
    }

    pub fn units_started(&self) -> usize {
        self.next.load(Ordering::Relaxed).min(self.units)
    }

    /// One step's write: `Some(true)` answered 2xx (`accept` holds of the
    /// status), `Some(false)` a 5xx allowed, `None` the process gone.
    async fn write(
        &self,
        rest: &Rest,
        unit: &mut Unit,
        step: Step,
        (method, path, body): (&str, String, Option<serde_json::Value>),
        accept: &[u16],
    ) -> Option<(bool, serde_json::Value)> {
        self.sent.fetch_add(1, Ordering::Relaxed);
        unit.uncertain = Some(step);
        let (status, body) = rest.call(method, &path, body).await?;
        if accept.contains(&status) {
            unit.uncertain = None;
            self.answered.fetch_add(1, Ordering::Relaxed);
            return Some((true, body));
        }
        assert!(
            self.allow_unavailable && status >= 500,
            "{method} {path} ({step:?}) answered {status}: {body}"
        );
        self.unavailable.fetch_add(1, Ordering::Relaxed);
        Some((false, body))
    }

    /// Runs unit `n`; `None` when the process is gone.
    async fn unit(&self, rest: &Rest, n: usize) -> Option<()> {
        let mut unit = Unit::default();
        let gone = self.steps(rest, n, &mut unit).await.is_none();
        self.outcomes.lock().unwrap().insert(n, unit);
        (!gone).then_some(())
    }

    async fn steps(&self, rest: &Rest, n: usize, unit: &mut Unit) -> Option<()> {
        let email = format!("{}{n}@example.com", self.prefix);
        let create = ("POST", "/v1/users".to_owned(), Some(new_user(&email)));
        let (ok, user) = self.write(rest, unit, Step::Create, create, &[201]).await?;
        if !ok {
            return Some(());
        }
        let id = user["id"].as_str().unwrap().to_owned();
        unit.id = Some(id.clone());
        let value = format!("{}{n}@crm.example.com", self.prefix);
        let upn = json!({"clientUpnKey": "crm", "customUpnValue": value});
        let write = ("POST", format!("/v1/users/{id}/custom-upns"), Some(upn));
        if !self.write(rest, unit, Step::Upn, write, &[201]).await?.0 {
            return Some(());
        }
        unit.upn = Some(value);
        let attach = json!({"email": email, "name": "Burst", "role": "member"});
        let write = ("POST", format!("/api/{TENANT}/admin/users"), Some(attach));
        if !self
            .write(rest, unit, Step::Attach, write, &[200, 201])
            .await?
            .0
        {
            return Some(());
        }
        unit.attached = true;
        let rename = json!({"displayName": format!("Renamed {n}")});
        let write = ("PATCH", format!("/v1/users/{id}"), Some(rename));
        if !self.write(rest, unit, Step::Rename, write, &[200]).await?.0 {
            return Some(());
        }
        unit.renamed = true;
        if n.is_multiple_of(3) {
            let write = ("DELETE", format!("/v1/users/{id}"), None);
            unit.deleted = self.write(rest, unit, Step::Delete, write, &[204]).await?.0;
        }
        Some(())
    }

    /// Creations answered 201, and creations sent but not answered 2xx.
    pub fn creations(&self) -> (usize, usize) {
        let outcomes = self.outcomes.lock().unwrap();
        let answered = outcomes.values().filter(|u| u.id.is_some()).count();
        let uncertain = outcomes
            .values()
            .filter(|u| u.uncertain == Some(Step::Create))
            .count();
        (answered, uncertain)
    }

    /// The answered writes whose effect is not in `seen` (the sources and
    /// copies after convergence), with a description of the first few.
    pub fn missing(&self, seen: &Divergence) -> (usize, Vec<String>) {
        let mut missing = Vec::new();
        for (n, unit) in self.outcomes.lock().unwrap().iter() {
            let Some(id) = &unit.id else { continue };
            let member = seen.members.iter().any(|m| &m[0] == id);
            let upn_of = |set: &std::collections::BTreeSet<Vec<String>>| {
                set.iter()
                    .any(|u| &u[1] == id && Some(&u[2]) == unit.upn.as_ref())
            };
            let mut miss = |what: &str| missing.push(format!("unit {n} ({id}): {what}"));
            if unit.deleted {
                if seen.users.contains_key(id) {
                    miss("deleted user still in identity");
                }
                if member {
                    miss("deleted user still a tenant member");
                }
                if seen
                    .upns
                    .iter()
                    .chain(&seen.copied_upns)
                    .any(|u| &u[1] == id)
                {
                    miss("deleted user's UPN still there");
                }
                continue;
            }
            if unit.uncertain == Some(Step::Delete) {
                continue;
            }
            let Some((_, name)) = seen.users.get(id) else {
                miss("created user missing");
                continue;
            };
            if unit.upn.is_some() && !(upn_of(&seen.upns) && upn_of(&seen.copied_upns)) {
                miss("answered UPN missing from the upn service or identity's copy");
            }
            if unit.attached && !member {
                miss("attached user not a tenant member");
            }
            if unit.renamed && name != &format!("Renamed {n}") {
                miss("answered rename not applied");
            }
        }
        (missing.len(), missing.into_iter().take(5).collect())
    }
}

/// Waits for workers; fails the test if one panicked.
pub async fn join(workers: Vec<JoinHandle<()>>) {
    for w in workers {
        w.await.unwrap();
    }
}
