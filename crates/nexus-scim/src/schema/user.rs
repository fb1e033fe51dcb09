//! The core User schema (RFC 7643 §4.1, §8.7.1). `userName` is unique and compared
//! case-insensitively, as Entra ID and Okta expect of a login name.

use super::AttributeType::{Binary, Boolean, Reference};
use super::Mutability::{ReadOnly, WriteOnly};
use super::{AttributeDef as A, Returned, Schema, USER_URN, Uniqueness};

const TYPES_CONTACT: &[&str] = &["work", "home", "other"];

/// `value`, `display`, `type`, `primary` — the shape of most multi-valued attributes.
const fn plural(value: A, types: &'static [&'static str]) -> [A; 4] {
    [
        value,
        A::string(
            "display",
            "A human-readable name, primarily used for display purposes.",
        ),
        A::string("type", "A label indicating the attribute's function.").canonical(types),
        A::new(
            "primary",
            Boolean,
            "Indicates the preferred value for this attribute.",
        ),
    ]
}

const NAME: &[A] = &[
    A::string("formatted", "The full name, formatted for display."),
    A::string("familyName", "The family name of the User."),
    A::string("givenName", "The given name of the User."),
    A::string("middleName", "The middle name(s) of the User."),
    A::string("honorificPrefix", "The honorific prefix(es) of the User."),
    A::string("honorificSuffix", "The honorific suffix(es) of the User."),
];

const EMAILS: &[A] = &plural(
    A::string("value", "Email address for the User."),
    TYPES_CONTACT,
);
const PHONE_NUMBERS: &[A] = &plural(
    A::string("value", "Phone number of the User."),
    &["work", "home", "mobile", "fax", "pager", "other"],
);
const IMS: &[A] = &plural(
    A::string("value", "Instant messaging address for the User."),
    &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
);
const PHOTOS: &[A] = &plural(
    A::new("value", Reference, "URL of a photo of the User.").references(&["external"]),
    &["photo", "thumbnail"],
);
const ENTITLEMENTS: &[A] = &plural(A::string("value", "The value of an entitlement."), &[]);
const ROLES: &[A] = &plural(A::string("value", "The value of a role."), &[]);
const CERTIFICATES: &[A] = &plural(
    A::new("value", Binary, "The value of an X.509 certificate."),
    &[],
);

const ADDRESSES: &[A] = &[
    A::string(
        "formatted",
        "The full mailing address, formatted for display.",
    ),
    A::string("streetAddress", "The full street address component."),
    A::string("locality", "The city or locality component."),
    A::string("region", "The state or region component."),
    A::string("postalCode", "The zip code or postal code component."),
    A::string("country", "The country name component."),
    A::string("type", "A label indicating the attribute's function.").canonical(TYPES_CONTACT),
    A::new(
        "primary",
        Boolean,
        "Indicates the preferred mailing address.",
    ),
];

const GROUPS: &[A] = &[
    A::string("value", "The identifier of the User's group.").mutability(ReadOnly),
    A::new(
        "$ref",
        Reference,
        "The URI of the corresponding Group resource.",
    )
    .references(&["User", "Group"])
    .mutability(ReadOnly),
    A::string("display", "A human-readable name.").mutability(ReadOnly),
    A::string("type", "How the group membership was derived.")
        .canonical(&["direct", "indirect"])
        .mutability(ReadOnly),
];

pub const USER: Schema = Schema {
    id: USER_URN,
    name: "User",
    description: "User Account",
    attributes: &[
        A::string(
            "userName",
            "Unique identifier for the User, used to authenticate.",
        )
        .required()
        .unique(Uniqueness::Server),
        A::string("name", "The components of the user's real name.").complex(NAME),
        A::string("displayName", "The name of the User, suitable for display."),
        A::string("nickName", "The casual way to address the user."),
        A::new(
            "profileUrl",
            Reference,
            "A fully qualified URL to the User's online profile.",
        )
        .references(&["external"]),
        A::string("title", "The user's title, such as \"Vice President\"."),
        A::string(
            "userType",
            "The relationship between the organization and the user.",
        ),
        A::string(
            "preferredLanguage",
            "The User's preferred written or spoken language.",
        ),
        A::string("locale", "The User's default location for localization."),
        A::string(
            "timezone",
            "The User's time zone in the IANA Time Zone database format.",
        ),
        A::new("active", Boolean, "The User's administrative status."),
        A::string("password", "The User's cleartext password, used to set it.")
            .mutability(WriteOnly)
            .returned(Returned::Never),
        A::string("emails", "Email addresses for the user.")
            .complex(EMAILS)
            .multi(),
        A::string("phoneNumbers", "Phone numbers for the User.")
            .complex(PHONE_NUMBERS)
            .multi(),
        A::string("ims", "Instant messaging addresses for the User.")
            .complex(IMS)
            .multi(),
        A::string("photos", "URLs of photos of the User.")
            .complex(PHOTOS)
            .multi(),
        A::string("addresses", "A physical mailing address for this User.")
            .complex(ADDRESSES)
            .multi(),
        A::string("groups", "A list of groups to which the user belongs.")
            .complex(GROUPS)
            .multi()
            .mutability(ReadOnly),
        A::string("entitlements", "A list of entitlements for the User.")
            .complex(ENTITLEMENTS)
            .multi(),
        A::string("roles", "A list of roles for the User.")
            .complex(ROLES)
            .multi(),
        A::string(
            "x509Certificates",
            "A list of certificates issued to the User.",
        )
        .complex(CERTIFICATES)
        .multi(),
    ],
};
