# Nexus tasks. `just` is optional: each recipe is one plain command.

# Runs the all-in-one (gateway on 127.0.0.1:8080, SQLite under ./nexus-data).
run:
    cargo run -p nexus

# Runs the four components as separate processes on PostgreSQL and NATS
# (release build; NEXUS_LOCAL_PROFILE=debug reuses the debug build, and
# NEXUS_LOCAL_IDENTITY_REPLICAS=2 runs two identity processes).
up:
    deploy/local/up.sh

# Stops what `just up` started (`deploy/local/down.sh --purge` also drops
# its databases and state).
down:
    deploy/local/down.sh

# Measures the login path against pgbench running the same SQL and writes
# BENCHMARKS.md (the four components, 10,000 users; `just bench --quick`
# runs a few seconds, `--all-in-one` measures the all-in-one on SQLite,
# `--users N` seeds fewer users).
bench *ARGS:
    cargo run --release -p nexus-bench -- {{ARGS}}

# Runs every test (PostgreSQL and NATS tests skip when those are down).
test:
    cargo test --workspace

# Formatting and lints, as CI checks them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Everything CI runs, services included.
ci:
    .ci/run

# Alias of ci.
verify: ci
