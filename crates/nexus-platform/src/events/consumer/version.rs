//! The plausibility check of an event's version against a copy's: versions
//! grow by one per change, so an event far above the copy's version is a
//! producer's fault (or a corrupt message), not a change to apply.

use super::HandlerError;

/// The default bound of [`check_version_jump`]: `events.max_version_jump`.
pub const DEFAULT_MAX_VERSION_JUMP: u64 = 1_000;

/// Refuses an event at version `incoming` when the copy holds `held` and the
/// event is more than `bound` versions above it (0: no bound). A copy that
/// holds nothing yet accepts any version.
///
/// # Errors
/// [`HandlerError::Refused`], naming both versions: the event is
/// dead-lettered with that reason.
pub fn check_version_jump(
    held: Option<i64>,
    incoming: u64,
    bound: u64,
) -> Result<(), HandlerError> {
    let Some(held) = held.and_then(|h| u64::try_from(h).ok()) else {
        return Ok(());
    };
    if bound == 0 || incoming <= held.saturating_add(bound) {
        return Ok(());
    }
    Err(HandlerError::Refused(format!(
        "version {incoming} jumps more than {bound} above the copy's version {held}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_far_above_the_copy_is_refused() {
        assert!(check_version_jump(None, 1_000_000, 10).is_ok());
        assert!(check_version_jump(Some(5), 15, 10).is_ok());
        assert!(check_version_jump(Some(5), 3, 10).is_ok());
        let refused = check_version_jump(Some(5), 16, 10).unwrap_err();
        assert!(
            matches!(&refused, HandlerError::Refused(r) if r.contains("16") && r.contains('5'))
        );
        assert!(check_version_jump(Some(5), u64::MAX, 0).is_ok());
    }
}
