//! Least privilege over gRPC: an internal caller presents its own bearer JWT
//! to a service, and each method group answers a token holding its scope
//! (the scope of the matching REST route) and refuses one holding every
//! other scope with PERMISSION_DENIED; a call without credentials, or with a
//! gateway-signed principal replayed on another method, is UNAUTHENTICATED.

use nexus_platform::InternalAuth;
use nexus_proto::identity::v1 as id;
use nexus_proto::identity::v1::identity_service_client::IdentityServiceClient;
use nexus_proto::tenant_access::v1 as ta;
use nexus_proto::tenant_access::v1::tenant_access_service_client::TenantAccessServiceClient;
use nexus_proto::upn::v1 as upn;
use nexus_proto::upn::v1::upn_service_client::UpnServiceClient;
use tonic::Code;
use tonic::transport::Channel;

use crate::helpers::{Backend, TEST_SUBJECT, TestApp, create_user};

fn token(app: &TestApp, scopes: &[String]) -> String {
    nexus::dev::token(
        &app.settings.data_dir,
        &nexus::dev::TokenRequest {
            subject: TEST_SUBJECT.to_owned(),
            scopes: scopes.to_vec(),
            tenants: vec!["acme".to_owned()],
            ttl_secs: 600,
        },
    )
    .unwrap()
}

/// Every scope a service knows but `scope`.
fn all_but(scope: &str) -> Vec<String> {
    let mut all = nexus_platform::scope::all_names();
    all.push(nexus_platform::scope::TENANT_ACCESS_READ.to_owned());
    all.push(nexus_platform::scope::TENANT_ACCESS_WRITE.to_owned());
    all.retain(|s| s != scope);
    all
}

fn with_token<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

async fn channel(addr: Option<std::net::SocketAddr>) -> Channel {
    Channel::from_shared(format!("http://{}", addr.unwrap()))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

/// The code of a call's answer: `Ok` for an answer, else the status code.
fn code<T>(answer: Result<tonic::Response<T>, tonic::Status>) -> Code {
    answer.map_or_else(|s| s.code(), |_| Code::Ok)
}

/// One method group: its scope, and a call of one of its methods with a
/// token, answered with `allowed` when the token holds the scope.
struct Group {
    scope: &'static str,
    allowed: Code,
}

#[tokio::test]
async fn every_grpc_method_group_needs_its_own_scope() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let user = create_user(&app, "grpc-scoped@example.com").await;
    let doomed = create_user(&app, "grpc-doomed@example.com").await;
    let running = app.running.as_ref().unwrap();
    let mut identity = IdentityServiceClient::new(channel(running.identity_addr).await);
    let mut upns = UpnServiceClient::new(channel(running.upn_addr).await);
    let mut tenants = TenantAccessServiceClient::new(channel(running.tenant_access_addr).await);

    let groups = [
        Group {
            scope: "users:read",
            allowed: Code::Ok,
        },
        Group {
            scope: "users:write",
            allowed: Code::Ok,
        },
        Group {
            scope: "users:delete",
            allowed: Code::Ok,
        },
        // No such link: refused by the use case, past authorization.
        Group {
            scope: "identities:write",
            allowed: Code::NotFound,
        },
        Group {
            scope: "users:sync",
            allowed: Code::InvalidArgument,
        },
        Group {
            scope: "custom-upns:write",
            allowed: Code::NotFound,
        },
        Group {
            scope: "roles:admin",
            allowed: Code::Ok,
        },
        Group {
            scope: "idp-tenants:admin",
            allowed: Code::Ok,
        },
        Group {
            scope: "organizations:admin",
            allowed: Code::Ok,
        },
        Group {
            scope: "tenant.access:read",
            allowed: Code::Ok,
        },
        Group {
            scope: "tenant.access:write",
            allowed: Code::InvalidArgument,
        },
    ];
    for group in &groups {
        for (scopes, want) in [
            (vec![group.scope.to_owned()], group.allowed),
            (all_but(group.scope), Code::PermissionDenied),
        ] {
            let t = token(&app, &scopes);
            let got = match group.scope {
                "users:read" => code(
                    identity
                        .get_user(with_token(
                            id::GetUserRequest {
                                user_id: user.clone(),
                            },
                            &t,
                        ))
                        .await,
                ),
                "users:write" => code(
                    identity
                        .put_attribute(with_token(
                            id::PutAttributeRequest {
                                user_id: user.clone(),
                                name: "team".to_owned(),
                                value: Some("blue".to_owned()),
                                expires: None,
                            },
                            &t,
                        ))
                        .await,
                ),
                "users:delete" => code(
                    identity
                        .delete_user(with_token(
                            id::DeleteUserRequest {
                                user_id: doomed.clone(),
                                expected_version: None,
                            },
                            &t,
                        ))
                        .await,
                ),
                "identities:write" => code(
                    identity
                        .unlink_identity(with_token(
                            id::UnlinkIdentityRequest {
                                user_id: user.clone(),
                                idp_tenant_id: 999_999,
                            },
                            &t,
                        ))
                        .await,
                ),
                "users:sync" => code(
                    identity
                        .sync_user(with_token(
                            id::SyncUserRequest {
                                user_id: user.clone(),
                                ..Default::default()
                            },
                            &t,
                        ))
                        .await,
                ),
                "custom-upns:write" => code(
                    upns.delete_custom_upn(with_token(
                        upn::DeleteCustomUpnRequest {
                            user_id: user.clone(),
                            id: "0190a0f0-0000-7000-8000-000000000000".to_owned(),
                            expected_version: None,
                        },
                        &t,
                    ))
                    .await,
                ),
                "roles:admin" => code(
                    identity
                        .list_roles(with_token(id::ListRolesRequest::default(), &t))
                        .await,
                ),
                "idp-tenants:admin" => code(
                    identity
                        .list_idp_tenants(with_token(id::ListIdpTenantsRequest::default(), &t))
                        .await,
                ),
                "organizations:admin" => code(
                    identity
                        .list_organizations(with_token(id::ListOrganizationsRequest::default(), &t))
                        .await,
                ),
                "tenant.access:read" => code(
                    tenants
                        .list_tenant_users(with_token(
                            ta::ListTenantUsersRequest {
                                tenant_id: "acme".to_owned(),
                                ..Default::default()
                            },
                            &t,
                        ))
                        .await,
                ),
                _ => code(
                    tenants
                        .attach_tenant_user(with_token(
                            ta::AttachTenantUserRequest {
                                tenant_id: "acme".to_owned(),
                                ..Default::default()
                            },
                            &t,
                        ))
                        .await,
                ),
            };
            assert_eq!(got, want, "{} with {scopes:?}", group.scope);
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn calls_without_credentials_or_with_a_replayed_principal_are_unauthenticated() {
    const SECRET: &str = "grpc-scopes-internal-auth-secret-32+bytes";
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.internal_auth.secret = Some(secrecy::SecretString::from(SECRET));
    })
    .await
    else {
        return;
    };
    let user = create_user(&app, "grpc-replay@example.com").await;
    let running = app.running.as_ref().unwrap();
    let mut identity = IdentityServiceClient::new(channel(running.identity_addr).await);

    let bare = identity
        .get_user(id::GetUserRequest {
            user_id: user.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(bare.code(), Code::Unauthenticated);

    let bad = identity
        .get_user(with_token(
            id::GetUserRequest {
                user_id: user.clone(),
            },
            "not-a-jwt",
        ))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::Unauthenticated);
    assert_eq!(bad.message(), "malformed token");

    // A principal signed for GetUser answers GetUser, and nothing else.
    let principal = nexus_domain::Principal {
        subject: "gateway-user".into(),
        ..nexus_domain::Principal::default()
    };
    let mut signed = tonic::Request::new(id::GetUserRequest {
        user_id: user.clone(),
    });
    InternalAuth::new(SECRET.as_bytes()).sign(
        signed.metadata_mut(),
        &principal,
        "/nexus.identity.v1.IdentityService/GetUser",
    );
    let captured = signed.metadata().clone();
    assert!(identity.get_user(signed).await.is_ok());

    let mut replayed = tonic::Request::new(id::DeleteUserRequest {
        user_id: user.clone(),
        expected_version: None,
    });
    *replayed.metadata_mut() = captured;
    let refused = identity.delete_user(replayed).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    // The user is still there.
    let mut check = tonic::Request::new(id::GetUserRequest { user_id: user });
    InternalAuth::new(SECRET.as_bytes()).sign(
        check.metadata_mut(),
        &principal,
        "/nexus.identity.v1.IdentityService/GetUser",
    );
    assert!(identity.get_user(check).await.is_ok());
    app.stop().await;
}
