//! SCIM filters (RFC 7644 §3.4.2.2): the syntax tree, parsing, evaluation and the translation of
//! simple filters into a lookup key.
//!
//! Parsing is a hand-written tokenizer ([`lexer`]) and recursive-descent parser ([`parser`]):
//! the grammar is small, the error positions matter to clients, and a grammar crate would be a
//! heavier dependency than the ~300 lines it replaces. `and` binds tighter than `or`, `not`
//! takes a parenthesised filter, operators and attribute names are case-insensitive, literals
//! are JSON (strings with escapes, numbers, `true`, `false`, `null`).

mod eval;
mod lexer;
mod lookup;
mod parser;

use std::fmt;

use serde_json::Value;

pub(crate) use eval::element_matches;
pub use lookup::LookupKey;
pub(crate) use parser::parse_patch_path;

use crate::ScimError;

/// `[schema URN ":"] attribute ["." sub-attribute]`, as written by the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URN prefix, without the trailing `:`.
    pub urn: Option<String>,
    pub name: String,
    pub sub_attr: Option<String>,
}

impl AttrPath {
    /// An unqualified path (`name` or `name.sub`), handy for callers and tests.
    pub fn new(name: &str, sub_attr: Option<&str>) -> Self {
        Self {
            urn: None,
            name: name.to_owned(),
            sub_attr: sub_attr.map(str::to_owned),
        }
    }

    /// Parses one attribute path, e.g. a `sortBy` value or an entry of `attributes`.
    pub fn parse(input: &str) -> Result<Self, ScimError> {
        parser::parse_attr_path(input.trim())
            .map_err(|e| ScimError::invalid_path(format!("{} in attribute path", e.message)))
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// The attribute operators of RFC 7644 table 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    /// Reads an operator keyword, case-insensitively.
    pub fn from_keyword(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "co" => Self::Co,
            "sw" => Self::Sw,
            "ew" => Self::Ew,
            "gt" => Self::Gt,
            "ge" => Self::Ge,
            "lt" => Self::Lt,
            "le" => Self::Le,
            _ => return None,
        })
    }

    pub fn keyword(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Co => "co",
            Self::Sw => "sw",
            Self::Ew => "ew",
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Lt => "lt",
            Self::Le => "le",
        }
    }
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attrPath op value`; `value` is a JSON string, number, boolean or null.
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: Value,
    },
    /// `attrPath pr`
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `attrPath [ filter ]`: the inner filter names sub-attributes of `path`.
    ValuePath {
        path: AttrPath,
        filter: Box<Filter>,
    },
}

impl Filter {
    /// Parses a filter; errors are `invalidFilter` with the position where parsing stopped.
    pub fn parse(input: &str) -> Result<Self, ScimError> {
        parser::parse_filter(input).map_err(|e| ScimError::invalid_filter(e.position, e.message))
    }
}

/// Renders the filter with every `and`/`or` parenthesised, so the structure is visible.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Compare { path, op, value } => write!(f, "{path} {} {value}", op.keyword()),
            Self::Present(path) => write!(f, "{path} pr"),
            Self::And(a, b) => write!(f, "({a} and {b})"),
            Self::Or(a, b) => write!(f, "({a} or {b})"),
            Self::Not(inner) => write!(f, "not ({inner})"),
            Self::ValuePath { path, filter } => write!(f, "{path}[{filter}]"),
        }
    }
}
