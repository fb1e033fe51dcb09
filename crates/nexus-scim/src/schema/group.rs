//! The core Group schema (RFC 7643 §4.2, §8.7.1): a display name and members that point at
//! Users or Groups by id.

use super::AttributeType::Reference;
use super::Mutability::Immutable;
use super::{AttributeDef as A, GROUP_URN, Schema, Uniqueness};

pub const GROUP: Schema = Schema {
    id: GROUP_URN,
    name: "Group",
    description: "Group",
    attributes: &[
        A::string("displayName", "A human-readable name for the Group.")
            .required()
            .unique(Uniqueness::Server),
        A::string("members", "A list of members of the Group.")
            .complex(&[
                A::string("value", "Identifier of the member of this Group.")
                    .case_exact()
                    .mutability(Immutable),
                A::new("$ref", Reference, "The URI of the member resource.")
                    .references(&["User", "Group"])
                    .mutability(Immutable),
                A::string("display", "A human-readable name for the member."),
                A::string("type", "The type of the member.")
                    .canonical(&["User", "Group"])
                    .mutability(Immutable),
            ])
            .multi(),
    ],
};
