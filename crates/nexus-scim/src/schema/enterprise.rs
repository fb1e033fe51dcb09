//! The enterprise User extension (RFC 7643 §4.3), which Entra ID and Okta fill from the
//! directory: employee number, cost centre, organisation, division, department, manager.

use super::AttributeType::Reference;
use super::Mutability::ReadOnly;
use super::{AttributeDef as A, ENTERPRISE_USER_URN, Schema};

pub const ENTERPRISE_USER: Schema = Schema {
    id: ENTERPRISE_USER_URN,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: &[
        A::string(
            "employeeNumber",
            "Numeric or alphanumeric identifier assigned to a person.",
        ),
        A::string("costCenter", "Identifies the name of a cost center."),
        A::string("organization", "Identifies the name of an organization."),
        A::string("division", "Identifies the name of a division."),
        A::string("department", "Identifies the name of a department."),
        A::string("manager", "The User's manager.").complex(&[
            A::string(
                "value",
                "The id of the SCIM resource representing the User's manager.",
            ),
            A::new(
                "$ref",
                Reference,
                "The URI of the SCIM resource representing the manager.",
            )
            .references(&["User"]),
            A::string("displayName", "The displayName of the User's manager.").mutability(ReadOnly),
        ]),
    ],
};
