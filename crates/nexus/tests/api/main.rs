//! Integration tests through the public REST interface of a started Nexus, on
//! SQLite and on PostgreSQL, with events on NATS JetStream.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod auth;
mod basic_flood;
mod cli;
mod convergence;
mod copies;
mod dead_letters;
mod deployment;
mod events;
mod gateway;
mod grpc_scopes;
mod grpc_tls;
mod helpers;
mod identities;
mod metrics;
mod nats_outage;
mod nats_stopped;
mod openapi;
mod organizations;
mod own_nats;
mod own_postgres;
mod postgres_restart;
mod processes;
mod profile;
mod projections;
mod races;
mod scim;
mod scim_clients;
mod scim_groups;
mod scim_writes;
mod scopes;
mod shutdown;
mod sync;
mod tenant_access;
mod tenant_provisioning;
mod topology;
mod upns;
mod users;
mod workload;
