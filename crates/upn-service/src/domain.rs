//! The custom UPN aggregate and its rules. Pure: no I/O here.

pub mod custom_upn;
pub mod error;
pub mod events;

pub use custom_upn::{
    CustomUpn, MAX_CLIENT_UPN_KEY_LEN, MAX_CUSTOM_UPN_VALUE_LEN, NewCustomUpn, UpnPatch,
    check_client_upn_key, check_custom_upn_value,
};
pub use error::{ConflictRule, UpnError};
pub use events::UpnEvent;
