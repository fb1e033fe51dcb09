use super::*;

const GET_USER: &str = "/nexus.identity.v1.IdentityService/GetUser";
const DELETE_USER: &str = "/nexus.identity.v1.IdentityService/DeleteUser";

fn alice() -> Principal {
    Principal {
        subject: "alice".into(),
        client: Some("console".into()),
        scopes: vec!["tenant.access:read".into()],
        tenants: vec!["t1".into()],
    }
}

fn signed(auth: &InternalAuth, method: &str) -> http::HeaderMap {
    let mut md = MetadataMap::new();
    auth.sign(&mut md, &alice(), method);
    md.into_headers()
}

fn key(id: &str, secret: &[u8]) -> (String, Vec<u8>) {
    (id.to_owned(), secret.to_vec())
}

#[test]
fn a_signed_principal_verifies_with_the_same_secret_only() {
    let auth = InternalAuth::new(b"0123456789abcdef0123456789abcdef");
    let headers = signed(&auth, GET_USER);
    assert_eq!(auth.verify(&headers, GET_USER).unwrap(), alice());

    let other = InternalAuth::new(b"another-secret-another-secret-xx");
    assert_eq!(
        other.verify(&headers, GET_USER).unwrap_err().code(),
        tonic::Code::Unauthenticated
    );
}

#[test]
fn a_captured_principal_replayed_on_another_method_or_service_is_refused() {
    let auth = InternalAuth::new(b"0123456789abcdef0123456789abcdef");
    let headers = signed(&auth, GET_USER);
    for elsewhere in [DELETE_USER, "/nexus.upn.v1.UpnService/GetUser"] {
        assert_eq!(
            auth.verify(&headers, elsewhere).unwrap_err().code(),
            tonic::Code::Unauthenticated,
            "{elsewhere}"
        );
    }
}

#[test]
fn a_tampered_or_missing_principal_is_refused() {
    let auth = InternalAuth::new(b"0123456789abcdef0123456789abcdef");
    assert!(auth.verify(&http::HeaderMap::new(), GET_USER).is_err());

    let mut headers = signed(&auth, GET_USER);
    let mut forged = alice();
    forged.tenants.push("t2".into());
    let forged_json = serde_json::to_vec(&Signed {
        principal: forged,
        exp: i64::MAX,
        mth: GET_USER.to_owned(),
    })
    .unwrap();
    headers.insert(
        PRINCIPAL_HEADER,
        URL_SAFE_NO_PAD.encode(forged_json).parse().unwrap(),
    );
    assert!(auth.verify(&headers, GET_USER).is_err());
}

#[test]
fn an_expired_principal_is_refused() {
    let auth = InternalAuth::new(b"0123456789abcdef0123456789abcdef");
    let json = serde_json::to_vec(&Signed {
        principal: alice(),
        exp: chrono::Utc::now().timestamp() - 1,
        mth: GET_USER.to_owned(),
    })
    .unwrap();
    let value = URL_SAFE_NO_PAD.encode(json);
    let mac = InternalAuth::mac(&auth.keys[0], &value, GET_USER)
        .finalize()
        .into_bytes();
    let mut headers = http::HeaderMap::new();
    headers.insert(PRINCIPAL_HEADER, value.parse().unwrap());
    headers.insert(
        SIGNATURE_HEADER,
        format!("{DEFAULT_KEY_ID}.{}", URL_SAFE_NO_PAD.encode(mac))
            .parse()
            .unwrap(),
    );
    assert!(auth.verify(&headers, GET_USER).is_err());
}

/// Rotation: every component first accepts both keys while the old one
/// signs, then the new one signs while the old is still accepted, then the
/// old one goes. At no step does a call between two components fail.
#[test]
fn keys_rotate_without_a_step_where_calls_fail() {
    let old = key("k1", b"old-secret-old-secret-old-secret");
    let new = key("k2", b"new-secret-new-secret-new-secret");
    let before = InternalAuth::with_keys(vec![old.clone()]).unwrap();
    let both_old_first = InternalAuth::with_keys(vec![old.clone(), new.clone()]).unwrap();
    let both_new_first = InternalAuth::with_keys(vec![new.clone(), old]).unwrap();
    let after = InternalAuth::with_keys(vec![new]).unwrap();
    // Each step's components talk to the previous step's and the next's.
    let steps = [&before, &both_old_first, &both_new_first, &after];
    for pair in steps.windows(2) {
        for (signer, verifier) in [(pair[0], pair[1]), (pair[1], pair[0])] {
            let headers = signed(signer, GET_USER);
            assert_eq!(verifier.verify(&headers, GET_USER).unwrap(), alice());
        }
    }
    // The old key alone no longer verifies once it is gone.
    assert!(after.verify(&signed(&before, GET_USER), GET_USER).is_err());
    // The signature names the signing key.
    let headers = signed(&both_new_first, GET_USER);
    let signature = headers[SIGNATURE_HEADER].to_str().unwrap();
    assert!(signature.starts_with("k2."), "{signature}");
}

#[test]
fn key_sets_need_well_formed_unique_ids() {
    assert!(InternalAuth::with_keys(Vec::new()).is_err());
    assert!(InternalAuth::with_keys(vec![key("a.b", b"x")]).is_err());
    assert!(InternalAuth::with_keys(vec![key("a", b"x"), key("a", b"y")]).is_err());
    assert!(InternalAuth::with_keys(vec![key("a", b"x"), key("b", b"y")]).is_ok());
}

#[test]
fn a_principal_signed_again_soon_reuses_its_signature_for_that_method_only() {
    let auth = InternalAuth::new(b"0123456789abcdef0123456789abcdef");
    let first = signed(&auth, GET_USER);
    let again = signed(&auth, GET_USER);
    assert_eq!(first[SIGNATURE_HEADER], again[SIGNATURE_HEADER]);
    assert_eq!(first[PRINCIPAL_HEADER], again[PRINCIPAL_HEADER]);
    // Another method, or another principal, is signed for itself.
    let other_method = signed(&auth, DELETE_USER);
    assert_ne!(first[SIGNATURE_HEADER], other_method[SIGNATURE_HEADER]);
    assert_eq!(auth.verify(&other_method, DELETE_USER).unwrap(), alice());
    let mut md = MetadataMap::new();
    let bob = Principal {
        subject: "bob".into(),
        ..alice()
    };
    auth.sign(&mut md, &bob, GET_USER);
    let bob_headers = md.into_headers();
    assert_ne!(first[SIGNATURE_HEADER], bob_headers[SIGNATURE_HEADER]);
    assert_eq!(auth.verify(&bob_headers, GET_USER).unwrap(), bob);
    // A pair verified once is still refused on another method.
    assert_eq!(auth.verify(&first, GET_USER).unwrap(), alice());
    assert!(auth.verify(&first, DELETE_USER).is_err());
    assert_eq!(auth.verify(&first, GET_USER).unwrap(), alice());
}
