//! Listing Groups: a filter that names one indexed key (`displayName eq`, `externalId eq`,
//! `id eq`, `members.value eq` — what provisioning clients send) is a lookup in identity;
//! any other filter is evaluated over every group, up to [`SCAN_LIMIT`] groups
//! ([`MEMBER_SCAN_LIMIT`] when it reads members, as each group's members are then read).
//! The matches are sorted, paged and projected; members are read only for the groups of
//! the page, and only when the answer shows them (Entra ID lists with
//! `excludedAttributes=members`).

use std::collections::HashMap;

use futures::future::try_join_all;
use nexus_proto::identity::v1 as pb;
use nexus_scim::filter::{AttrPath, Filter, LookupKey};
use nexus_scim::group::group_to_scim;
use nexus_scim::projection::{project, sort_resources};
use nexus_scim::response::list_response;
use nexus_scim::schema::{GROUP_RESOURCE, GROUP_URN};
use serde_json::Value;

use super::Failure;
use super::group_directory::{GroupLookup, Groups, group_id, nexus_group};
use super::request::{ListQuery, Params};

/// The most groups a filter without an indexed key is evaluated over.
pub const SCAN_LIMIT: usize = 10_000;
/// The most groups a filter on members without an indexed key is evaluated over.
pub const MEMBER_SCAN_LIMIT: usize = 1_000;

/// Whether the answer shows `members`, given `attributes` and `excludedAttributes`.
pub fn shows_members(attributes: &[AttrPath], excluded: &[AttrPath]) -> bool {
    let names_members = |p: &AttrPath| {
        p.name.eq_ignore_ascii_case("members")
            && p.urn
                .as_deref()
                .is_none_or(|u| u.eq_ignore_ascii_case(GROUP_URN))
    };
    if attributes.is_empty() {
        !excluded
            .iter()
            .any(|p| names_members(p) && p.sub_attr.is_none())
    } else {
        attributes.iter().any(names_members)
    }
}

/// A group as answered: a member's `display` only when `attributes` names
/// `members.display`. It is the member's user's name, derived rather than stored, so a
/// client's own `display` does not survive a round trip; by default only what does is
/// shown (as the served schema says, `returned: request`).
pub fn present_group(mut document: Value, attributes: &[AttrPath]) -> Value {
    let asked = attributes.iter().any(|p| {
        p.name.eq_ignore_ascii_case("members")
            && p.sub_attr
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("display"))
    });
    if asked {
        return document;
    }
    for member in document
        .get_mut("members")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(member) = member.as_object_mut() {
            member.remove("display");
        }
    }
    document
}

/// The list response of `GET /Groups`.
pub async fn list_groups(
    groups: &Groups<'_>,
    params: &Params,
    base: &str,
) -> Result<Value, Failure> {
    let query = ListQuery::from_params(params)?;
    let with_members = shows_members(&query.attributes, &query.excluded);

    let key = query.filter.as_ref().and_then(Filter::lookup_key);
    let reads_members = query.filter.is_some()
        && key.is_none()
        && params
            .get("filter")
            .is_some_and(|f| f.to_ascii_lowercase().contains("members"));
    // Identity answers a member lookup exactly; the documents it is evaluated on lack members.
    let answered = matches!(key, Some(LookupKey::MemberValue(_)));
    let mut candidates = candidates(groups, key, reads_members).await?;
    if reads_members {
        candidates = with_their_members(groups, candidates).await?;
    }
    let mut matches = Vec::with_capacity(candidates.len());
    for group in &candidates {
        let document = group_to_scim(&nexus_group(group), base, true);
        let keep = match &query.filter {
            Some(filter) if !answered => filter.matches(&document, &GROUP_RESOURCE)?,
            _ => true,
        };
        if keep {
            matches.push(document);
        }
    }
    if let Some(sort_by) = &query.sort_by {
        sort_resources(&mut matches, sort_by, query.order, &GROUP_RESOURCE);
    }
    let by_id: HashMap<String, &pb::DirectoryGroup> =
        candidates.iter().map(|g| (g.id.to_string(), g)).collect();
    let chosen: Vec<pb::DirectoryGroup> = query
        .page
        .slice(&matches)
        .iter()
        .filter_map(|d| d["id"].as_str().and_then(|id| by_id.get(id)))
        .map(|g| (*g).clone())
        .collect();
    let chosen = if with_members && !reads_members {
        with_their_members(groups, chosen).await?
    } else {
        chosen
    };
    let resources = chosen
        .iter()
        .map(|g| {
            let document = group_to_scim(&nexus_group(g), base, with_members);
            let document = present_group(document, &query.attributes);
            project(
                &document,
                &GROUP_RESOURCE,
                &query.attributes,
                &query.excluded,
            )
        })
        .collect();
    Ok(list_response(
        resources,
        matches.len(),
        query.page.start_index,
    ))
}

/// The groups a filter can match: the lookup's answer, or every group up to the bound.
async fn candidates(
    groups: &Groups<'_>,
    key: Option<LookupKey>,
    reads_members: bool,
) -> Result<Vec<pb::DirectoryGroup>, Failure> {
    let lookup = match key {
        Some(LookupKey::Id(id)) => {
            if group_id(&id).is_none() {
                return Ok(Vec::new());
            }
            return match groups.get(&id, false).await {
                Ok(group) => Ok(vec![group]),
                Err(Failure(e)) if e.status == 404 => Ok(Vec::new()),
                Err(e) => Err(e),
            };
        }
        Some(LookupKey::DisplayName(name)) => GroupLookup {
            display_name: Some(name),
            ..GroupLookup::default()
        },
        Some(LookupKey::ExternalId(id)) => GroupLookup {
            external_id: Some(id),
            ..GroupLookup::default()
        },
        Some(LookupKey::MemberValue(id)) => GroupLookup {
            member_id: Some(id),
            ..GroupLookup::default()
        },
        _ => GroupLookup::default(),
    };
    let bound = if reads_members {
        MEMBER_SCAN_LIMIT
    } else {
        SCAN_LIMIT
    };
    groups.all(&lookup, bound).await
}

/// The groups read again with their members.
async fn with_their_members(
    groups: &Groups<'_>,
    list: Vec<pb::DirectoryGroup>,
) -> Result<Vec<pb::DirectoryGroup>, Failure> {
    try_join_all(list.iter().map(|g| {
        let id = g.id.to_string();
        async move { groups.get(&id, true).await }
    }))
    .await
}
