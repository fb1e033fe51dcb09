//! The user aggregate: who a person is to Nexus, and the rules for creating one.

use chrono::{DateTime, Utc};
use nexus_domain::{BoundedText, EmailAddress, UserId, ValidationError};

/// Longest accepted length of the user's name fields and free-text fields.
pub const MAX_NAME_LEN: usize = 255;

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email_address: EmailAddress,
    pub username: String,
    pub given_name: String,
    pub family_name: String,
    pub display_name: String,
    pub nickname: Option<String>,
    pub picture: Option<String>,
    pub language: Option<String>,
    pub phone_number: Option<String>,
    pub user_type: Option<String>,
    pub owner_id: Option<UserId>,
    pub recovery_email_address: Option<EmailAddress>,
    pub is_active: bool,
    pub email_verified: bool,
    pub email_verify_sent_date: Option<DateTime<Utc>>,
    pub email_verification_status_type: Option<String>,
    pub is_mfa_disabled: bool,
    pub mfa_enrollment_status: Option<String>,
    pub authentication_method: Option<String>,
    pub organization_id: Option<i32>,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    pub created_by: String,
    pub modified_by: String,
    pub last_login: Option<DateTime<Utc>>,
    /// Incremented by every change; events carry it.
    pub version: u64,
}

/// What a caller gives to create a user, before validation.
#[derive(Debug, Clone, Default)]
pub struct NewUserInput {
    pub email_address: String,
    pub username: String,
    pub given_name: String,
    pub family_name: String,
    pub display_name: String,
    pub nickname: Option<String>,
    pub picture: Option<String>,
    pub language: Option<String>,
    pub phone_number: Option<String>,
    pub user_type: Option<String>,
    pub owner_id: Option<String>,
    pub recovery_email_address: Option<String>,
    pub is_active: Option<bool>,
}

/// A validated request to create a user.
#[derive(Debug, Clone)]
pub struct NewUser(NewUserFields);

#[derive(Debug, Clone)]
struct NewUserFields {
    email_address: EmailAddress,
    username: String,
    given_name: String,
    family_name: String,
    display_name: String,
    nickname: Option<String>,
    picture: Option<String>,
    language: Option<String>,
    phone_number: Option<String>,
    user_type: Option<String>,
    owner_id: Option<UserId>,
    recovery_email_address: Option<EmailAddress>,
    is_active: bool,
}

fn text(field: &str, raw: &str, min: usize) -> Result<String, ValidationError> {
    BoundedText::parse(field, raw, min, MAX_NAME_LEN).map(BoundedText::into_string)
}

fn optional_text(field: &str, raw: Option<&str>) -> Result<Option<String>, ValidationError> {
    raw.map(|v| text(field, v, 0)).transpose()
}

impl NewUser {
    /// Checks every field; the first broken rule is returned, naming its field.
    ///
    /// # Errors
    /// A [`ValidationError`] naming the field (contract names, camelCase).
    pub fn new(input: &NewUserInput) -> Result<Self, ValidationError> {
        Ok(Self(NewUserFields {
            email_address: EmailAddress::parse("emailAddress", &input.email_address)?,
            username: text("username", &input.username, 1)?,
            given_name: text("givenName", &input.given_name, 0)?,
            family_name: text("familyName", &input.family_name, 0)?,
            display_name: text("displayName", &input.display_name, 0)?,
            nickname: optional_text("nickname", input.nickname.as_deref())?,
            picture: input
                .picture
                .as_deref()
                .map(|p| BoundedText::parse("picture", p, 0, 2048).map(BoundedText::into_string))
                .transpose()?,
            language: optional_text("language", input.language.as_deref())?,
            phone_number: optional_text("phoneNumber", input.phone_number.as_deref())?,
            user_type: optional_text("type", input.user_type.as_deref())?,
            owner_id: input
                .owner_id
                .as_deref()
                .map(|o| UserId::parse(o).map_err(|e| ValidationError::new("ownerId", e.message)))
                .transpose()?,
            recovery_email_address: input
                .recovery_email_address
                .as_deref()
                .map(|e| EmailAddress::parse("recoveryEmailAddress", e))
                .transpose()?,
            is_active: input.is_active.unwrap_or(true),
        }))
    }
}

impl User {
    /// A new user at version 1, created by `actor` at `now`.
    pub fn create(new: NewUser, id: UserId, now: DateTime<Utc>, actor: &str) -> Self {
        let f = new.0;
        Self {
            id,
            email_address: f.email_address,
            username: f.username,
            given_name: f.given_name,
            family_name: f.family_name,
            display_name: f.display_name,
            nickname: f.nickname,
            picture: f.picture,
            language: f.language,
            phone_number: f.phone_number,
            user_type: f.user_type,
            owner_id: f.owner_id,
            recovery_email_address: f.recovery_email_address,
            is_active: f.is_active,
            email_verified: false,
            email_verify_sent_date: None,
            email_verification_status_type: None,
            is_mfa_disabled: false,
            mfa_enrollment_status: None,
            authentication_method: None,
            organization_id: None,
            created: now,
            modified: now,
            created_by: actor.to_owned(),
            modified_by: actor.to_owned(),
            last_login: None,
            version: 1,
        }
    }
}

/// A partial update of a user (from a JSON merge patch): `None` keeps a
/// field; `Some(None)` clears a nullable one (name fields become empty).
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub email_address: Option<String>,
    pub username: Option<String>,
    pub given_name: Option<Option<String>>,
    pub family_name: Option<Option<String>>,
    pub display_name: Option<Option<String>>,
    pub nickname: Option<Option<String>>,
    pub picture: Option<Option<String>>,
    pub language: Option<Option<String>>,
    pub phone_number: Option<Option<String>>,
    pub user_type: Option<Option<String>>,
    pub owner_id: Option<Option<String>>,
    pub recovery_email_address: Option<Option<String>>,
    pub is_active: Option<bool>,
    pub email_verified: Option<bool>,
    pub is_mfa_disabled: Option<bool>,
    pub mfa_enrollment_status: Option<Option<String>>,
    pub authentication_method: Option<Option<String>>,
    pub email_verification_status_type: Option<Option<String>>,
    /// Must name an existing organization (checked by storage).
    pub organization_id: Option<Option<i32>>,
}

fn patch_text(
    field: &str,
    target: &mut String,
    value: Option<&Option<String>>,
) -> Result<(), ValidationError> {
    if let Some(v) = value {
        *target = text(field, v.as_deref().unwrap_or_default(), 0)?;
    }
    Ok(())
}

fn patch_optional(
    field: &str,
    target: &mut Option<String>,
    value: Option<&Option<String>>,
) -> Result<(), ValidationError> {
    if let Some(v) = value {
        *target = optional_text(field, v.as_deref())?;
    }
    Ok(())
}

impl User {
    /// Applies `patch`; when anything changed, bumps the version and records who
    /// and when. Returns whether anything changed. Checks everything before
    /// changing anything.
    ///
    /// # Errors
    /// The first broken rule, naming its field; a user may not own itself.
    pub fn apply(
        &mut self,
        patch: &UserPatch,
        now: DateTime<Utc>,
        actor: &str,
    ) -> Result<bool, ValidationError> {
        let mut next = self.clone();
        if let Some(email) = &patch.email_address {
            next.email_address = EmailAddress::parse("emailAddress", email)?;
        }
        if let Some(username) = &patch.username {
            next.username = text("username", username, 1)?;
        }
        patch_text("givenName", &mut next.given_name, patch.given_name.as_ref())?;
        patch_text(
            "familyName",
            &mut next.family_name,
            patch.family_name.as_ref(),
        )?;
        patch_text(
            "displayName",
            &mut next.display_name,
            patch.display_name.as_ref(),
        )?;
        patch_optional("nickname", &mut next.nickname, patch.nickname.as_ref())?;
        if let Some(p) = &patch.picture {
            next.picture = p
                .as_deref()
                .map(|v| BoundedText::parse("picture", v, 0, 2048).map(BoundedText::into_string))
                .transpose()?;
        }
        patch_optional("language", &mut next.language, patch.language.as_ref())?;
        patch_optional(
            "phoneNumber",
            &mut next.phone_number,
            patch.phone_number.as_ref(),
        )?;
        patch_optional("type", &mut next.user_type, patch.user_type.as_ref())?;
        patch_optional(
            "mfaEnrollmentStatus",
            &mut next.mfa_enrollment_status,
            patch.mfa_enrollment_status.as_ref(),
        )?;
        patch_optional(
            "authenticationMethod",
            &mut next.authentication_method,
            patch.authentication_method.as_ref(),
        )?;
        patch_optional(
            "email-verification-status-type",
            &mut next.email_verification_status_type,
            patch.email_verification_status_type.as_ref(),
        )?;
        if let Some(owner) = &patch.owner_id {
            next.owner_id = owner
                .as_deref()
                .map(|o| UserId::parse(o).map_err(|e| ValidationError::new("ownerId", e.message)))
                .transpose()?;
            if next.owner_id.as_ref() == Some(&self.id) {
                return Err(ValidationError::new("ownerId", "a user cannot own itself"));
            }
        }
        if let Some(r) = &patch.recovery_email_address {
            next.recovery_email_address = r
                .as_deref()
                .map(|e| EmailAddress::parse("recoveryEmailAddress", e))
                .transpose()?;
        }
        if let Some(v) = patch.is_active {
            next.is_active = v;
        }
        if let Some(v) = patch.email_verified {
            next.email_verified = v;
        }
        if let Some(v) = patch.is_mfa_disabled {
            next.is_mfa_disabled = v;
        }
        if let Some(v) = patch.organization_id {
            next.organization_id = v;
        }
        if next == *self {
            return Ok(false);
        }
        next.version += 1;
        next.modified = now;
        next.modified_by = actor.to_owned();
        *self = next;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> NewUserInput {
        NewUserInput {
            email_address: "ann@example.com".into(),
            username: "ann".into(),
            given_name: "Ann".into(),
            family_name: "Lee".into(),
            display_name: "Ann Lee".into(),
            ..NewUserInput::default()
        }
    }

    #[test]
    fn a_valid_input_creates_an_active_user_at_version_one() {
        let now = Utc::now();
        let user = User::create(
            NewUser::new(&input()).unwrap(),
            UserId::parse("u1").unwrap(),
            now,
            "admin",
        );
        assert_eq!(
            (user.version, user.is_active, user.created, user.modified),
            (1, true, now, now)
        );
        assert_eq!(
            (user.created_by.as_str(), user.modified_by.as_str()),
            ("admin", "admin")
        );
    }

    #[test]
    fn a_patch_changes_only_what_it_names_and_clears_nulls() {
        let now = Utc::now();
        let mut user = User::create(
            NewUser::new(&input()).unwrap(),
            UserId::parse("u1").unwrap(),
            now,
            "a",
        );
        let before = user.clone();
        let patch = UserPatch {
            nickname: Some(Some("annie".into())),
            ..UserPatch::default()
        };
        assert!(user.apply(&patch, now, "b").unwrap());
        assert_eq!(
            (
                user.version,
                user.nickname.as_deref(),
                user.given_name.as_str()
            ),
            (2, Some("annie"), "Ann")
        );
        let clear = UserPatch {
            nickname: Some(None),
            given_name: Some(None),
            ..UserPatch::default()
        };
        assert!(user.apply(&clear, now, "b").unwrap());
        assert_eq!(
            (user.nickname.as_deref(), user.given_name.as_str()),
            (None, "")
        );
        assert!(!user.apply(&UserPatch::default(), now, "c").unwrap());
        assert_eq!(user.modified_by, "b");

        let mut untouched = before.clone();
        let bad = UserPatch {
            nickname: Some(Some("ok".into())),
            email_address: Some("bad".into()),
            ..UserPatch::default()
        };
        assert_eq!(
            untouched.apply(&bad, now, "b").unwrap_err().field,
            "emailAddress"
        );
        assert_eq!(untouched, before);
        let own = UserPatch {
            owner_id: Some(Some("u1".into())),
            ..UserPatch::default()
        };
        assert_eq!(
            untouched.apply(&own, now, "b").unwrap_err().field,
            "ownerId"
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        type Spoil = fn(&mut NewUserInput);
        let cases: [(&str, Spoil); 5] = [
            ("emailAddress", |i| i.email_address = "nope".into()),
            ("username", |i| i.username = String::new()),
            ("givenName", |i| i.given_name = "x".repeat(256)),
            ("ownerId", |i| i.owner_id = Some("a b".into())),
            ("recoveryEmailAddress", |i| {
                i.recovery_email_address = Some("@x".into());
            }),
        ];
        for (field, spoil) in cases {
            let mut bad = input();
            spoil(&mut bad);
            assert_eq!(NewUser::new(&bad).unwrap_err().field, field);
        }
    }
}
