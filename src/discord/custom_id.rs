//! The `custom_id`s on buttons and modals. An id is only a pointer (`req:approve:42`): every click
//! re-reads the row and re-checks who clicked.

/// What a button or modal asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

/// The lists that can be paged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Requests,
}

impl Action {
    /// The `custom_id` for this action (always well under Discord's 100 characters).
    pub fn id(self) -> String {
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
        }
    }

    /// Reads a `custom_id`; `None` for ids this bot did not make.
    pub fn parse(custom_id: &str) -> Option<Action> {
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
            _ => return None,
        })
    }
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
        ];
        for action in actions {
            let id = action.id();
            assert!(id.len() <= 100);
            assert_eq!(Action::parse(&id), Some(action), "{id}");
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
            "other:thing",
        ] {
            assert_eq!(Action::parse(id), None, "{id}");
        }
    }
}
