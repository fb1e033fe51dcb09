//! The guard of the tenant back-office routes and the shape of their bodies.

use super::*;
use crate::api::body::parse;

fn principal(scopes: &[&str], tenants: &[&str]) -> Principal {
    Principal {
        subject: "alice".into(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        tenants: tenants.iter().map(|s| (*s).to_owned()).collect(),
        ..Principal::default()
    }
}

#[test]
fn guard_checks_the_tenant_id_then_the_scope_then_the_tenant() {
    let p = principal(&[READ_SCOPE], &["t1"]);
    assert!(guard(&p, "t1", READ_SCOPE).is_ok());
    assert_eq!(guard(&p, "t 1", READ_SCOPE).unwrap_err().status, 400);
    assert_eq!(guard(&p, "t1", WRITE_SCOPE).unwrap_err().status, 403);
    assert_eq!(guard(&p, "t2", READ_SCOPE).unwrap_err().status, 403);
}

#[test]
fn put_needs_the_role_key_but_accepts_null() {
    let body: UpdateBody = parse(br#"{"role": null}"#).unwrap();
    assert_eq!(body.role, None);
    let body: UpdateBody = parse(br#"{"name": "Ann", "role": "admin"}"#).unwrap();
    assert_eq!(body.role.as_deref(), Some("admin"));
    let e = parse::<UpdateBody>(br#"{"name": "Ann"}"#).unwrap_err();
    assert!(e.detail.contains("role"), "{}", e.detail);
}
