//! The SCIM User ↔ Nexus user mapping through the public interface, with request bodies in
//! the shapes Entra ID and Okta send on create.

use chrono::{TimeZone, Utc};
use nexus_scim::ScimType;
use nexus_scim::mapping::{NexusUser, UserAttribute, from_scim, is_scim_attribute, to_scim};
use nexus_scim::patch::{PatchRequest, apply_patch};
use nexus_scim::response::etag;
use nexus_scim::schema::USER_RESOURCE;
use serde_json::{Value, json};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn mapped(resource: &Value) -> NexusUser {
    match from_scim(resource) {
        Ok(user) => user,
        Err(e) => unreachable!("should map: {e}"),
    }
}

fn entra_create() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@contoso.com",
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@contoso.com"}],
        "meta": {"resourceType": "User"},
        "name": {"familyName": "familyName", "givenName": "givenName"},
        "displayName": "Test User",
        ENTERPRISE: {"department": "Sales", "employeeNumber": "42", "manager": {"value": "m-1"}}
    })
}

#[test]
fn an_entra_create_maps_onto_the_nexus_user() {
    let user = mapped(&entra_create());
    assert_eq!(
        user.username,
        "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@contoso.com"
    );
    assert_eq!(
        user.email_address.as_deref(),
        Some("Test_User_fd0ea19b@contoso.com")
    );
    assert_eq!(
        (user.given_name.as_deref(), user.family_name.as_deref()),
        (Some("givenName"), Some("familyName"))
    );
    assert_eq!(user.display_name.as_deref(), Some("Test User"));
    assert!(user.is_active);
    assert_eq!(
        user.attribute("scim.externalId"),
        Some("0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef")
    );
    assert_eq!(user.attribute("scim.department"), Some("Sales"));
    assert_eq!(user.attribute("scim.employeeNumber"), Some("42"));
    assert_eq!(user.attribute("scim.manager"), Some("m-1"));
    assert!(user.attributes.iter().all(|a| is_scim_attribute(&a.name)));
}

#[test]
fn an_okta_create_with_string_active_and_no_primary_email_maps() {
    let okta = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "isabella.hernandez@example.com",
        "name": {"givenName": "Isabella", "familyName": "Hernandez"},
        "emails": [{"value": "home@example.com", "type": "home"}, {"value": "isabella@example.com", "type": "work"}],
        "displayName": "Isabella Hernandez",
        "locale": "en-US",
        "active": "False",
        "password": "not stored here"
    });
    let user = mapped(&okta);
    assert_eq!(user.email_address.as_deref(), Some("isabella@example.com"));
    assert!(!user.is_active);
    assert!(user.attributes.is_empty());
}

#[test]
fn a_user_round_trips_through_scim() {
    let user = NexusUser {
        id: "0192e4f0-0000-7000-8000-000000000001".into(),
        username: "ada".into(),
        email_address: Some("ada@example.com".into()),
        given_name: Some("Ada".into()),
        family_name: Some("Lovelace".into()),
        display_name: Some("Ada Lovelace".into()),
        nickname: Some("Countess".into()),
        language: Some("en-GB".into()),
        phone_number: Some("+44 20 0000".into()),
        is_active: false,
        attributes: vec![
            UserAttribute {
                name: "scim.externalId".into(),
                value: "00u1".into(),
            },
            UserAttribute {
                name: "scim.costCenter".into(),
                value: "4130".into(),
            },
            UserAttribute {
                name: "scim.manager".into(),
                value: "m-7".into(),
            },
        ],
        created: None,
        modified: None,
    };
    let scim = to_scim(&user, "https://nexus.example.com/scim/v2");
    assert_eq!(scim["name"]["formatted"], "Ada Lovelace");
    assert_eq!(
        scim[ENTERPRISE]["manager"]["$ref"],
        "https://nexus.example.com/scim/v2/Users/m-7"
    );
    assert_eq!(
        scim["meta"]["location"],
        "https://nexus.example.com/scim/v2/Users/0192e4f0-0000-7000-8000-000000000001"
    );
    let mut back = mapped(&scim);
    back.attributes.sort_by(|a, b| a.name.cmp(&b.name));
    let mut expected = user;
    expected.attributes.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(back, expected);
}

#[test]
fn meta_carries_dates_and_a_version_that_follows_changes() {
    let mut user = NexusUser {
        id: "u1".into(),
        username: "ada".into(),
        is_active: true,
        ..NexusUser::default()
    };
    user.created = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).single();
    user.modified = user.created;
    let first = to_scim(&user, "https://h/scim/v2");
    assert_eq!(first["meta"]["created"], "2026-01-02T03:04:05.000Z");
    assert_eq!(first["meta"]["resourceType"], "User");
    assert!(first.get(ENTERPRISE).is_none());
    user.display_name = Some("Ada".into());
    let second = to_scim(&user, "https://h/scim/v2");
    assert_ne!(first["meta"]["version"], second["meta"]["version"]);
    assert_eq!(second["meta"]["version"], etag(&second).as_str());
}

#[test]
fn an_entra_patch_ends_in_the_user_entra_expects() {
    let existing = NexusUser {
        id: "u1".into(),
        username: "ada".into(),
        is_active: true,
        ..NexusUser::default()
    };
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "ada@contoso.com"},
            {"op": "Replace", "path": format!("{ENTERPRISE}:manager"), "value": "m-2"},
            {"op": "Add", "value": {"name.givenName": "Ada", "name.familyName": "Byron"}}
        ]
    });
    let request = PatchRequest::from_json(&body);
    let patched = request
        .and_then(|r| apply_patch(&to_scim(&existing, "https://h/scim/v2"), &r, &USER_RESOURCE));
    let user = patched.and_then(|p| from_scim(&p)).unwrap_or_default();
    assert!(!user.is_active);
    assert_eq!(user.email_address.as_deref(), Some("ada@contoso.com"));
    assert_eq!(
        (user.given_name.as_deref(), user.family_name.as_deref()),
        (Some("Ada"), Some("Byron"))
    );
    assert_eq!(user.attribute("scim.manager"), Some("m-2"));
    assert_eq!(user.username, "ada");
}

#[test]
fn documents_without_a_user_name_or_with_wrong_types_are_invalid_values() {
    for body in [
        json!({"name": {"givenName": "x"}}),
        json!({"userName": "  "}),
        json!({"userName": "a", "active": 1}),
        json!({"userName": "a", "emails": "a@x.io"}),
        json!({"userName": "a", "displayName": ["x"]}),
    ] {
        assert_eq!(
            from_scim(&body).err().and_then(|e| e.scim_type),
            Some(ScimType::InvalidValue),
            "{body}"
        );
    }
    assert_eq!(
        from_scim(&json!([])).err().and_then(|e| e.scim_type),
        Some(ScimType::InvalidSyntax)
    );
}
