//! Who may do what. Admin rights are checked here on every admin action, whatever Discord showed.

use super::DiscordId;

/// The person acting, as Discord describes them at the moment they act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub id: DiscordId,
    /// A display name for audit lines and cards.
    pub name: String,
    pub role_ids: Vec<u64>,
    /// Holds the Manage Server permission (or is the server owner or an administrator).
    pub manages_server: bool,
}

/// Whether `caller` is an admin: holds one of `admin_role_ids`, or, when that list is empty,
/// may manage the server.
pub fn is_admin(caller: &Caller, admin_role_ids: &[u64]) -> bool {
    if admin_role_ids.is_empty() {
        caller.manages_server
    } else {
        caller.role_ids.iter().any(|r| admin_role_ids.contains(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(roles: &[u64], manages: bool) -> Caller {
        Caller {
            id: DiscordId(1),
            name: "x".into(),
            role_ids: roles.to_vec(),
            manages_server: manages,
        }
    }

    #[test]
    fn admin_roles_decide_when_configured() {
        assert!(is_admin(&caller(&[5], false), &[5, 6]));
        assert!(
            !is_admin(&caller(&[7], true), &[5, 6]),
            "Manage Server alone is not enough when roles are configured"
        );
    }

    #[test]
    fn manage_server_decides_without_admin_roles() {
        assert!(is_admin(&caller(&[], true), &[]));
        assert!(!is_admin(&caller(&[5], false), &[]));
    }
}
