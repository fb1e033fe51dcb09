# Nexus tasks. `just` is optional: each recipe is one plain command.

# Runs the all-in-one (gateway on 127.0.0.1:8080, SQLite under ./nexus-data).
run:
    cargo run -p nexus

# Runs every test (PostgreSQL and NATS tests skip when those are down).
test:
    cargo nextest run --workspace

# Formatting and lints, as CI checks them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Everything CI runs, services included.
ci:
    .ci/run

# Alias of ci.
verify: ci
