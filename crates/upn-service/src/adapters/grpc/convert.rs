//! Conversions between `nexus.upn.v1` messages and domain types.

use nexus_proto::common::v1 as common;
use nexus_proto::upn::v1 as pb;

use crate::domain::{CustomUpn, UpnPatch};

use nexus_platform::time::to_timestamp as timestamp;

impl From<CustomUpn> for common::CustomUpn {
    fn from(u: CustomUpn) -> Self {
        Self {
            id: u.id,
            user_id: u.user_id.into_string(),
            created: Some(timestamp(u.created)),
            modified: Some(timestamp(u.modified)),
            created_by: u.created_by,
            modified_by: u.modified_by,
            client_upn_key: u.client_upn_key,
            custom_upn_value: u.custom_upn_value,
            version: u.version,
        }
    }
}

fn nullable(v: Option<&common::NullableString>) -> Option<Option<String>> {
    v.map(|n| n.value.clone())
}

/// Absent fields stay unchanged; a `NullableString` without a value clears.
pub fn upn_patch(r: &pb::UpdateCustomUpnRequest) -> UpnPatch {
    UpnPatch {
        client_upn_key: nullable(r.client_upn_key.as_ref()),
        custom_upn_value: nullable(r.custom_upn_value.as_ref()),
    }
}
