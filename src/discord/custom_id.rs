//! The `custom_id`s on buttons and modals. An id is only a pointer (`req:approve:42`): every click
//! re-reads the row and re-checks who clicked.

/// Discord's limit on a `custom_id`, in characters; every id this bot makes is shorter.
const ID_MAX: usize = 100;

/// What a button or modal asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `/mykey`'s "Request a key" button: opens the request form.
    OpenRequestForm,
    /// The request form was submitted.
    SubmitRequest,
    Approve(i64),
    /// "Deny" on a card: opens the reason form.
    OpenDenyForm(i64),
    SubmitDeny(i64),
    Cancel(i64),
    Reveal(i64),
    Rotate,
    /// "Revoke" on `/mykey`: asks for confirmation.
    AskRevoke,
    ConfirmRevoke,
    /// A page of a long list.
    Page {
        list: ListKind,
        page: u32,
    },
    /// "Request top-up" on a budget alert: opens the top-up form for this key.
    OpenTopUpForm(String),
    SubmitTopUp(String),
    ApproveTopUp(i64),
    DenyTopUp(i64),
}

/// The lists that can be paged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Requests,
}

impl Action {
    /// The `custom_id` for this action (always well under Discord's 100 characters).
    pub fn id(&self) -> String {
        match self {
            Action::OpenRequestForm => "mykey:request".into(),
            Action::SubmitRequest => "mykey:request_form".into(),
            Action::Approve(id) => format!("req:approve:{id}"),
            Action::OpenDenyForm(id) => format!("req:deny:{id}"),
            Action::SubmitDeny(id) => format!("req:deny_form:{id}"),
            Action::Cancel(id) => format!("req:cancel:{id}"),
            Action::Reveal(id) => format!("req:reveal:{id}"),
            Action::Rotate => "key:rotate".into(),
            Action::AskRevoke => "key:revoke".into(),
            Action::ConfirmRevoke => "key:revoke_confirm".into(),
            Action::Page {
                list: ListKind::Requests,
                page,
            } => format!("page:requests:{page}"),
            Action::OpenTopUpForm(hash) => format!("topup:request:{hash}"),
            Action::SubmitTopUp(hash) => format!("topup:form:{hash}"),
            Action::ApproveTopUp(id) => format!("topup:approve:{id}"),
            Action::DenyTopUp(id) => format!("topup:deny:{id}"),
        }
    }

    /// Reads a `custom_id`; `None` for ids this bot did not make (or no longer makes).
    pub fn parse(custom_id: &str) -> Option<Action> {
        if custom_id.len() > ID_MAX {
            return None;
        }
        let mut parts = custom_id.split(':');
        let (a, b, c) = (parts.next()?, parts.next()?, parts.next());
        if parts.next().is_some() {
            return None;
        }
        let number = || c.and_then(|n| n.parse::<i64>().ok()).filter(|n| *n > 0);
        Some(match (a, b) {
            ("mykey", "request") if c.is_none() => Action::OpenRequestForm,
            ("mykey", "request_form") if c.is_none() => Action::SubmitRequest,
            ("req", "approve") => Action::Approve(number()?),
            ("req", "deny") => Action::OpenDenyForm(number()?),
            ("req", "deny_form") => Action::SubmitDeny(number()?),
            ("req", "cancel") => Action::Cancel(number()?),
            ("req", "reveal") => Action::Reveal(number()?),
            ("key", "rotate") if c.is_none() => Action::Rotate,
            ("key", "revoke") if c.is_none() => Action::AskRevoke,
            ("key", "revoke_confirm") if c.is_none() => Action::ConfirmRevoke,
            ("page", "requests") => Action::Page {
                list: ListKind::Requests,
                page: c?.parse().ok()?,
            },
            ("topup", "request") => Action::OpenTopUpForm(key_hash(c?)?),
            ("topup", "form") => Action::SubmitTopUp(key_hash(c?)?),
            ("topup", "approve") => Action::ApproveTopUp(number()?),
            ("topup", "deny") => Action::DenyTopUp(number()?),
            _ => return None,
        })
    }
}

/// A key hash as it may appear in an id: letters and digits only.
fn key_hash(text: &str) -> Option<String> {
    (!text.is_empty() && text.len() <= 80 && text.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_from_its_id() {
        let actions = [
            Action::OpenRequestForm,
            Action::SubmitRequest,
            Action::Approve(42),
            Action::OpenDenyForm(42),
            Action::SubmitDeny(42),
            Action::Cancel(7),
            Action::Reveal(9_223_372_036_854_775_807),
            Action::Rotate,
            Action::AskRevoke,
            Action::ConfirmRevoke,
            Action::Page {
                list: ListKind::Requests,
                page: 3,
            },
            Action::OpenTopUpForm("ab".repeat(32)),
            Action::SubmitTopUp("ab".repeat(32)),
            Action::ApproveTopUp(5),
            Action::DenyTopUp(5),
        ];
        for action in actions {
            let id = action.id();
            assert!(id.len() <= ID_MAX);
            assert_eq!(Action::parse(&id), Some(action.clone()), "{id}");
        }
    }

    #[test]
    fn foreign_or_tampered_ids_are_ignored() {
        for id in [
            "",
            "req:approve",
            "req:approve:x",
            "req:approve:-1",
            "req:approve:1:2",
            "req:approve:abc",
            "req:approve:99999999999999999999",
            "other:thing",
            "mykey:request:1",
            "topup:request:not-a-hash",
        ] {
            assert_eq!(Action::parse(id), None, "{id}");
        }
        let long = format!("topup:request:{}", "a".repeat(1000));
        assert_eq!(Action::parse(&long), None);
    }
}
