//! Free-text reasons (why a key is wanted, why a request was denied, why a top-up is needed),
//! bounded here whatever a client sends, so every message that carries one fits Discord.

use super::TeamError;

/// The most characters a reason may have. The forms allow no more, and with it every card, DM
/// and list that shows a reason stays well within Discord's limits (1,024 characters a field,
/// 4,096 a description, 6,000 a message).
pub const REASON_MAX_CHARS: usize = 500;

/// A member's reason, trimmed; refused when longer than the forms allow, so they can shorten it
/// rather than have an admin decide on a cut-off text.
pub fn members_reason(text: &str) -> Result<&str, TeamError> {
    let text = text.trim();
    if text.chars().count() > REASON_MAX_CHARS {
        return Err(TeamError::user(format!(
            "Please keep the reason to {REASON_MAX_CHARS} characters or fewer."
        )));
    }
    Ok(text)
}

/// An admin's reason for a decision, trimmed and cut to [`REASON_MAX_CHARS`] with an ellipsis:
/// the decision stands whatever the length of its reason.
pub fn decision_reason(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= REASON_MAX_CHARS {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(REASON_MAX_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_members_reason_up_to_the_limit_is_kept_and_a_longer_one_refused() {
        let at_limit = "é".repeat(REASON_MAX_CHARS);
        assert_eq!(
            members_reason(&format!("  {at_limit} \n")).ok(),
            Some(at_limit.as_str())
        );
        let refused = members_reason(&"x".repeat(REASON_MAX_CHARS + 1)).unwrap_err();
        assert_eq!(
            refused.for_user(),
            "Please keep the reason to 500 characters or fewer."
        );
    }

    #[test]
    fn a_decision_reason_is_cut_to_the_limit_with_an_ellipsis() {
        assert_eq!(
            decision_reason(" Use the shared key "),
            "Use the shared key"
        );
        let at_limit = "x".repeat(REASON_MAX_CHARS);
        assert_eq!(decision_reason(&at_limit), at_limit);
        let cut = decision_reason(&"é".repeat(5000));
        assert_eq!(cut.chars().count(), REASON_MAX_CHARS);
        assert!(cut.ends_with("é…"), "{cut}");
    }
}
