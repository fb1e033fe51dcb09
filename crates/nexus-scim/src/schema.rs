//! SCIM schemas as data (RFC 7643 §7, §8.7): attribute definitions with their type,
//! multiplicity, mutability, returned, uniqueness and case-exactness, and the resource types
//! that combine a core schema with extensions.
//!
//! The definitions are `const` so every rule (filter case-exactness, PATCH mutability,
//! projection) reads one source, and the `/Schemas` discovery documents are generated from the
//! same data rather than maintained beside it.

mod enterprise;
mod group;
mod user;

pub use enterprise::ENTERPRISE_USER;
pub use group::GROUP;
pub use user::USER;

use crate::filter::AttrPath;

pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_USER_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Binary,
    Reference,
    Complex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

/// One attribute definition (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeDef {
    pub name: &'static str,
    pub ty: AttributeType,
    pub multi_valued: bool,
    pub description: &'static str,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub canonical_values: &'static [&'static str],
    pub reference_types: &'static [&'static str],
    pub sub_attributes: &'static [AttributeDef],
}

impl AttributeDef {
    /// A single-valued, optional, case-insensitive, readWrite attribute returned by default.
    pub const fn new(name: &'static str, ty: AttributeType, description: &'static str) -> Self {
        Self {
            name,
            ty,
            multi_valued: false,
            description,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: &[],
            reference_types: &[],
            sub_attributes: &[],
        }
    }

    pub const fn string(name: &'static str, description: &'static str) -> Self {
        Self::new(name, AttributeType::String, description)
    }

    pub const fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }

    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub const fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }

    pub const fn mutability(mut self, mutability: Mutability) -> Self {
        self.mutability = mutability;
        self
    }

    pub const fn returned(mut self, returned: Returned) -> Self {
        self.returned = returned;
        self
    }

    pub const fn unique(mut self, uniqueness: Uniqueness) -> Self {
        self.uniqueness = uniqueness;
        self
    }

    pub const fn canonical(mut self, values: &'static [&'static str]) -> Self {
        self.canonical_values = values;
        self
    }

    pub const fn references(mut self, types: &'static [&'static str]) -> Self {
        self.reference_types = types;
        self
    }

    pub const fn complex(mut self, sub_attributes: &'static [AttributeDef]) -> Self {
        self.ty = AttributeType::Complex;
        self.sub_attributes = sub_attributes;
        self
    }

    /// The sub-attribute with this name, case-insensitively.
    pub fn sub_attribute(&self, name: &str) -> Option<&'static AttributeDef> {
        find(self.sub_attributes, name)
    }
}

/// A schema: its URN, a name and its attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schema {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: &'static [AttributeDef],
}

impl Schema {
    pub fn attribute(&self, name: &str) -> Option<&'static AttributeDef> {
        find(self.attributes, name)
    }
}

/// A resource type: endpoint, core schema and schema extensions (with whether each is required).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceType {
    pub id: &'static str,
    pub name: &'static str,
    pub endpoint: &'static str,
    pub description: &'static str,
    pub schema: &'static Schema,
    pub extensions: &'static [(&'static Schema, bool)],
}

pub const USER_RESOURCE: ResourceType = ResourceType {
    id: "User",
    name: "User",
    endpoint: "/Users",
    description: "User Account",
    schema: &USER,
    extensions: &[(&ENTERPRISE_USER, false)],
};

pub const GROUP_RESOURCE: ResourceType = ResourceType {
    id: "Group",
    name: "Group",
    endpoint: "/Groups",
    description: "Group",
    schema: &GROUP,
    extensions: &[],
};

/// Every resource type served.
pub const RESOURCE_TYPES: &[&ResourceType] = &[&USER_RESOURCE, &GROUP_RESOURCE];

/// Every schema served.
pub const SCHEMAS: &[&Schema] = &[&USER, &GROUP, &ENTERPRISE_USER];

/// The attributes every resource has (RFC 7643 §3.1); `id` and `meta` are server-owned.
pub const COMMON_ATTRIBUTES: &[AttributeDef] = &[
    AttributeDef::string("id", "Unique identifier assigned by the service provider.")
        .case_exact()
        .mutability(Mutability::ReadOnly)
        .returned(Returned::Always)
        .unique(Uniqueness::Server),
    AttributeDef::string(
        "externalId",
        "Identifier assigned by the provisioning client.",
    )
    .case_exact(),
    AttributeDef::string("meta", "Resource metadata.")
        .mutability(Mutability::ReadOnly)
        .complex(&[
            AttributeDef::string("resourceType", "")
                .case_exact()
                .mutability(Mutability::ReadOnly),
            AttributeDef::new("created", AttributeType::DateTime, "")
                .mutability(Mutability::ReadOnly),
            AttributeDef::new("lastModified", AttributeType::DateTime, "")
                .mutability(Mutability::ReadOnly),
            AttributeDef::new("location", AttributeType::Reference, "")
                .case_exact()
                .mutability(Mutability::ReadOnly),
            AttributeDef::string("version", "")
                .case_exact()
                .mutability(Mutability::ReadOnly),
        ]),
];

/// Where a resolved attribute lives in the resource document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// A top-level key of the resource (core schema and common attributes).
    Core,
    /// Inside the object keyed by this extension's URN.
    Extension(&'static Schema),
}

/// An attribute path resolved against a resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub container: Container,
    pub attribute: &'static AttributeDef,
    pub sub_attribute: Option<&'static AttributeDef>,
}

impl ResourceType {
    /// The extension schema with this URN, case-insensitively.
    pub fn extension(&self, urn: &str) -> Option<&'static Schema> {
        self.extensions
            .iter()
            .map(|(s, _)| *s)
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// The extension a whole path designates, when the path is an extension URN itself
    /// (`urn:…:enterprise:2.0:User` is read as URN `urn:…:2.0` + name `User`).
    pub fn extension_named_by(&self, path: &AttrPath) -> Option<&'static Schema> {
        let urn = path.urn.as_deref()?;
        if path.sub_attr.is_some() {
            return None;
        }
        self.extension(&format!("{urn}:{}", path.name))
    }

    /// Resolves a path: core and common attributes by bare name or with the core URN,
    /// extension attributes only with their URN (as RFC 7644 §3.10 requires).
    pub fn resolve(&self, path: &AttrPath) -> Option<Resolved> {
        let (container, attribute) = match path.urn.as_deref() {
            Some(urn) if urn.eq_ignore_ascii_case(self.schema.id) => {
                (Container::Core, self.core_attribute(&path.name)?)
            }
            Some(urn) => {
                let ext = self.extension(urn)?;
                (Container::Extension(ext), ext.attribute(&path.name)?)
            }
            None => (Container::Core, self.core_attribute(&path.name)?),
        };
        let sub_attribute = match &path.sub_attr {
            Some(sub) => Some(attribute.sub_attribute(sub)?),
            None => None,
        };
        Some(Resolved {
            container,
            attribute,
            sub_attribute,
        })
    }

    fn core_attribute(&self, name: &str) -> Option<&'static AttributeDef> {
        self.schema
            .attribute(name)
            .or_else(|| find(COMMON_ATTRIBUTES, name))
    }
}

fn find(attributes: &'static [AttributeDef], name: &str) -> Option<&'static AttributeDef> {
    attributes
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))
}
