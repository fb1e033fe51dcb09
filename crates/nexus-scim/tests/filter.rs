//! Filters through the public interface: parsing (RFC 7644 §3.4.2.2 examples, precedence,
//! escaping, errors), evaluation over resources, and lookup keys.

use nexus_scim::ScimType;
use nexus_scim::filter::{AttrPath, CompareOp, Filter, LookupKey};
use nexus_scim::schema::{GROUP_RESOURCE, USER_RESOURCE};
use serde_json::{Value, json};

fn parse(input: &str) -> Filter {
    match Filter::parse(input) {
        Ok(filter) => filter,
        Err(e) => unreachable!("{input:?} should parse: {e}"),
    }
}

fn shape(input: &str) -> String {
    parse(input).to_string()
}

fn error_detail(input: &str) -> String {
    let Err(error) = Filter::parse(input) else {
        unreachable!("{input:?} should not parse")
    };
    assert_eq!(error.status, 400);
    assert_eq!(error.scim_type, Some(ScimType::InvalidFilter));
    error.detail
}

#[test]
fn every_example_filter_of_rfc_7644_parses() {
    let examples = [
        r#"userName eq "bjensen""#,
        r#"name.familyName co "O'Malley""#,
        r#"userName sw "J""#,
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
        "title pr",
        r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
        r#"title pr and userType eq "Employee""#,
        r#"title pr or userType eq "Intern""#,
        r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
        r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
        r#"userType eq "Employee" and (emails.type eq "work")"#,
        r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
        r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
    ];
    for example in examples {
        assert!(Filter::parse(example).is_ok(), "{example}");
    }
}

#[test]
fn and_binds_tighter_than_or() {
    assert_eq!(shape("a pr or b pr and c pr"), "(a pr or (b pr and c pr))");
    assert_eq!(shape("a pr and b pr or c pr"), "((a pr and b pr) or c pr)");
    assert_eq!(
        shape("(a pr or b pr) and c pr"),
        "((a pr or b pr) and c pr)"
    );
    assert_eq!(shape("a pr or b pr or c pr"), "((a pr or b pr) or c pr)");
}

#[test]
fn not_applies_to_the_group_only() {
    assert_eq!(shape("not (a pr) and b pr"), "(not (a pr) and b pr)");
    assert_eq!(shape("not(a pr or b pr)"), "not ((a pr or b pr))");
}

#[test]
fn operators_keywords_and_literals_are_case_insensitive() {
    assert_eq!(
        shape(r#"userName EQ "x" AND active Eq TRUE Or x Pr"#),
        shape(r#"userName eq "x" and active eq true or x pr"#)
    );
    let Filter::Compare { op, value, .. } = parse("nickName eq Null") else {
        unreachable!()
    };
    assert_eq!((op, value), (CompareOp::Eq, Value::Null));
}

#[test]
fn string_literals_follow_json_escaping() {
    let Filter::Compare { value, .. } =
        parse(r#"displayName eq "a \"quoted\" \\ back\/slash \u00e9\ud83d\ude00\n""#)
    else {
        unreachable!()
    };
    assert_eq!(value, json!("a \"quoted\" \\ back/slash é😀\n"));
}

#[test]
fn numbers_are_json_numbers() {
    let Filter::Compare { value, .. } = parse("x eq -12.5e2") else {
        unreachable!()
    };
    assert_eq!(value.as_f64(), Some(-1250.0));
    let Filter::Compare { value, .. } = parse("x gt 42") else {
        unreachable!()
    };
    assert_eq!(value, json!(42));
}

#[test]
fn attribute_paths_keep_the_urn_and_the_sub_attribute() {
    let Filter::Present(path) =
        parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr")
    else {
        unreachable!()
    };
    assert_eq!(
        path.urn.as_deref(),
        Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
    );
    assert_eq!(path.name, "manager");
    assert_eq!(path.sub_attr.as_deref(), Some("value"));
    let Filter::Present(path) = parse("members.$ref pr") else {
        unreachable!()
    };
    assert_eq!(path, AttrPath::new("members", Some("$ref")));
}

#[test]
fn syntax_errors_are_invalid_filter_with_a_position() {
    assert!(error_detail(r#"userName eq"#).contains("position 11"));
    assert!(error_detail(r#"userName zz "x""#).contains("position 9"));
    assert!(error_detail(r#"userName eq "x" and"#).contains("position 19"));
    assert!(error_detail(r#"(userName eq "x""#).contains("expected ')'"));
    assert!(error_detail(r#"userName eq "open"#).contains("unterminated"));
    assert!(error_detail(r#"a eq "\q""#).contains("invalid escape"));
    assert!(error_detail(r#"a eq "\ud83d""#).contains("surrogate"));
    assert!(error_detail(r#"emails[value[x pr]]"#).contains("nested"));
    assert!(error_detail("1abc pr").contains("invalid number"));
    assert!(error_detail("userName eq \"x\" userName pr").contains("expected 'and', 'or'"));
    assert!(error_detail("").contains("empty"));
    assert!(error_detail("a eq 'single'").contains("unexpected character"));
    assert!(error_detail(r#"userName eq "x" and not"#).contains("expected an operator"));
}

fn barbara() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "Bjensen",
        "userName": "bjensen@example.com",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "title": "Tour Guide",
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "meta": {"lastModified": "2011-05-13T04:42:34Z"},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "department": "Tour Operations", "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}
        }
    })
}

fn user_matches(filter: &str) -> bool {
    match parse(filter).matches(&barbara(), &USER_RESOURCE) {
        Ok(matched) => matched,
        Err(e) => unreachable!("{filter}: {e}"),
    }
}

#[test]
fn evaluation_respects_case_exactness_from_the_schema() {
    assert!(user_matches(r#"USERNAME eq "BJensen@Example.com""#));
    assert!(user_matches(r#"emails.value eq "BABS@JENSEN.ORG""#));
    assert!(user_matches(r#"externalId eq "Bjensen""#));
    assert!(!user_matches(r#"externalId eq "bjensen""#));
    assert!(!user_matches(
        r#"id eq "2819C223-7F76-453A-919D-413861904646""#
    ));
}

#[test]
fn evaluation_of_every_operator() {
    assert!(user_matches(r#"name.familyName co "ens""#));
    assert!(user_matches(r#"userName sw "bJ""#));
    assert!(user_matches(r#"userName ew ".COM""#));
    assert!(user_matches(r#"title ne "Manager""#));
    assert!(!user_matches(r#"title ne "tour guide""#));
    assert!(user_matches("title pr"));
    assert!(!user_matches("nickName pr"));
    assert!(user_matches("nickName eq null"));
    assert!(user_matches(r#"userName gt "a" and userName lt "c""#));
    assert!(user_matches(
        r#"name.givenName ge "barbara" and name.givenName le "Barbara""#
    ));
    assert!(user_matches("active eq true"));
    assert!(!user_matches("active eq false"));
    assert!(user_matches(r#"active eq "True""#));
}

#[test]
fn date_times_compare_as_instants() {
    assert!(user_matches(
        r#"meta.lastModified gt "2011-05-13T04:00:00Z""#
    ));
    assert!(user_matches(
        r#"meta.lastModified eq "2011-05-13T06:42:34+02:00""#
    ));
    assert!(!user_matches(
        r#"meta.lastModified lt "2011-05-13T06:00:00+02:00""#
    ));
}

#[test]
fn multi_valued_and_value_filters() {
    assert!(user_matches(r#"emails co "jensen.org""#));
    assert!(user_matches(
        r#"emails[type eq "work" and value co "@example.com"]"#
    ));
    assert!(!user_matches(
        r#"emails[type eq "home" and value co "@example.com"]"#
    ));
    assert!(user_matches(r#"emails[not (type eq "work")]"#));
    assert!(user_matches(
        r#"emails.type eq "home" and not (emails.type eq "other")"#
    ));
}

#[test]
fn extension_attributes_need_their_urn() {
    assert!(user_matches(
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "tour operations""#
    ));
    assert!(user_matches(
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value sw "2611""#
    ));
    assert!(!user_matches(r#"department eq "Tour Operations""#));
}

#[test]
fn precedence_changes_the_result() {
    // false or (true and false) = false; (false or true) and false = false; but
    // false or true and true = true only when `and` groups first.
    assert!(user_matches(
        r#"title eq "x" or title pr and active eq true"#
    ));
    assert!(!user_matches(
        r#"(title eq "x" or title pr) and active eq false"#
    ));
    assert!(user_matches(
        r#"title pr or title eq "x" and active eq false"#
    ));
}

#[test]
fn ordering_a_boolean_is_an_invalid_filter() {
    let Err(error) = parse("active gt true").matches(&barbara(), &USER_RESOURCE) else {
        unreachable!()
    };
    assert_eq!(error.scim_type, Some(ScimType::InvalidFilter));
}

#[test]
fn group_members_match_by_exact_value() {
    let group =
        json!({"displayName": "Tour Guides", "members": [{"value": "abc", "display": "Babs"}]});
    assert!(
        parse(r#"members[value eq "abc"]"#)
            .matches(&group, &GROUP_RESOURCE)
            .unwrap_or(false)
    );
    assert!(
        !parse(r#"members eq "ABC""#)
            .matches(&group, &GROUP_RESOURCE)
            .unwrap_or(true)
    );
    assert!(
        parse(r#"displayName eq "tour guides""#)
            .matches(&group, &GROUP_RESOURCE)
            .unwrap_or(false)
    );
}

#[test]
fn simple_filters_become_lookup_keys() {
    let key = |f: &str| parse(f).lookup_key();
    assert_eq!(
        key(r#"userName eq "Babs""#),
        Some(LookupKey::UserName("Babs".into()))
    );
    assert_eq!(
        key(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "b""#),
        Some(LookupKey::UserName("b".into()))
    );
    assert_eq!(
        key(r#"externalId eq "00u1""#),
        Some(LookupKey::ExternalId("00u1".into()))
    );
    assert_eq!(
        key(r#"emails.value eq "a@x.io""#),
        Some(LookupKey::Email("a@x.io".into()))
    );
    assert_eq!(
        key(r#"emails[value eq "a@x.io"]"#),
        Some(LookupKey::Email("a@x.io".into()))
    );
    assert_eq!(key(r#"id eq "u1""#), Some(LookupKey::Id("u1".into())));
    assert_eq!(
        key(r#"displayName eq "Admins""#),
        Some(LookupKey::DisplayName("Admins".into()))
    );
    assert_eq!(
        key(r#"members.value eq "u-1""#),
        Some(LookupKey::MemberValue("u-1".into()))
    );
    assert_eq!(
        key(r#"members[value eq "u-1"]"#),
        Some(LookupKey::MemberValue("u-1".into()))
    );
    assert_eq!(key(r#"members.display eq "u-1""#), None);
    assert_eq!(key(r#"userName ne "b""#), None);
    assert_eq!(key(r#"userName eq "b" and active eq true"#), None);
    assert_eq!(key(r#"emails.type eq "work""#), None);
    assert_eq!(key("userName eq 12"), None);
}

#[test]
fn the_rendered_form_parses_back_to_the_same_filter() {
    for input in [
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
        r#"emails[type eq "work" and not (value ew "@x.io")] or name.givenName sw "A\"b""#,
        "meta.created ge 12.5 or active eq false and x eq null",
    ] {
        let once = parse(input);
        assert_eq!(parse(&once.to_string()), once, "{input}");
    }
}

#[test]
fn schemas_can_be_filtered_on() {
    assert!(user_matches(
        r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#
    ));
    assert!(!user_matches(
        r#"schemas eq "urn:ietf:params:scim:schemas:core:2.0:Group""#
    ));
}

#[test]
fn hostile_nesting_and_length_are_invalid_filters_not_a_stack_overflow() {
    let nested = format!("{}userName pr{}", "(".repeat(100), ")".repeat(100));
    let error = Filter::parse(&nested).unwrap_err();
    assert_eq!(error.scim_type, Some(ScimType::InvalidFilter));
    assert!(error.detail.contains("nested deeper"), "{}", error.detail);

    let huge = format!("{}userName pr{}", "(".repeat(50_000), ")".repeat(50_000));
    let error = Filter::parse(&huge).unwrap_err();
    assert!(error.detail.contains("tokens"), "{}", error.detail);

    let chain = vec!["userName pr"; 2000].join(" and ");
    let error = Filter::parse(&chain).unwrap_err();
    assert_eq!(error.scim_type, Some(ScimType::InvalidFilter));

    let within = format!("{}userName pr{}", "(".repeat(32), ")".repeat(32));
    assert!(Filter::parse(&within).is_ok());
}
