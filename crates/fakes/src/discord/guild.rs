//! The guild a test sets up for the fake: the bot, its channels, roles and members, and the
//! permission arithmetic Discord applies to them.

/// Discord's permission bit for Administrator: holders get every permission.
pub const ADMINISTRATOR: u64 = 1 << 3;
/// Discord's permission bit for Manage Server (`MANAGE_GUILD`).
pub const MANAGE_GUILD: u64 = 1 << 5;
/// Every permission bit Discord defines today (as of API v10), granted to owners and admins.
pub const ALL_PERMISSIONS: u64 = (1 << 51) - 1;
/// What `@everyone` may do in a fresh guild: create invites, react, view channels, send
/// messages, embed links, attach files, read history, change nickname, use application commands.
pub const DEFAULT_EVERYONE_PERMISSIONS: u64 = (1 << 0)
    | (1 << 6)
    | (1 << 10)
    | (1 << 11)
    | (1 << 14)
    | (1 << 15)
    | (1 << 16)
    | (1 << 26)
    | (1 << 31);

/// The bot's own account and application.
#[derive(Clone, Debug)]
pub struct FakeBot {
    /// The token the bot must present (without the `Bot ` prefix).
    pub token: String,
    /// The bot user's id.
    pub user_id: u64,
    /// The bot user's name.
    pub username: String,
    /// The application id (in Discord it usually equals the bot user's id).
    pub application_id: u64,
}

/// A text channel of the guild.
#[derive(Clone, Debug)]
pub struct FakeChannel {
    /// Channel id.
    pub id: u64,
    /// Channel name, without `#`.
    pub name: String,
}

/// A role of the guild.
#[derive(Clone, Debug)]
pub struct FakeRole {
    /// Role id (the `@everyone` role has the guild's id).
    pub id: u64,
    /// Role name.
    pub name: String,
    /// Permission bits.
    pub permissions: u64,
}

/// A member of the guild.
#[derive(Clone, Debug)]
pub struct FakeMember {
    /// The user's id.
    pub user_id: u64,
    /// The unique username (`alice`).
    pub username: String,
    /// The display name (`Alice A.`), if set.
    pub global_name: Option<String>,
    /// Ids of the roles the member holds (besides `@everyone`).
    pub role_ids: Vec<u64>,
    /// Whether the member owns the guild (owners have every permission).
    pub is_owner: bool,
    /// Whether the user is a bot account.
    pub is_bot: bool,
}

impl FakeMember {
    /// A member with a username, no display name, no roles.
    pub fn new(user_id: u64, username: impl Into<String>) -> Self {
        FakeMember {
            user_id,
            username: username.into(),
            global_name: None,
            role_ids: Vec::new(),
            is_owner: false,
            is_bot: false,
        }
    }

    /// Sets the display name.
    pub fn global_name(mut self, name: impl Into<String>) -> Self {
        self.global_name = Some(name.into());
        self
    }

    /// Adds a role.
    pub fn role(mut self, role_id: u64) -> Self {
        self.role_ids.push(role_id);
        self
    }

    /// Makes the member the guild's owner.
    pub fn owner(mut self) -> Self {
        self.is_owner = true;
        self
    }
}

/// The guild the fake serves: built by the test, then handed to `FakeDiscord::start`.
#[derive(Clone, Debug)]
pub struct FakeGuild {
    /// Guild id.
    pub id: u64,
    /// Guild name.
    pub name: String,
    /// The bot and its application.
    pub bot: FakeBot,
    /// Text channels.
    pub channels: Vec<FakeChannel>,
    /// Roles, `@everyone` included (added by [`FakeGuild::new`]).
    pub roles: Vec<FakeRole>,
    /// Members, the bot excluded (the fake adds the bot itself).
    pub members: Vec<FakeMember>,
}

impl FakeGuild {
    /// A guild with the given id and name, an `@everyone` role with Discord's default
    /// permissions, and a bot whose user and application id are `bot_id`.
    pub fn new(id: u64, name: impl Into<String>, bot_id: u64, token: impl Into<String>) -> Self {
        FakeGuild {
            id,
            name: name.into(),
            bot: FakeBot {
                token: token.into(),
                user_id: bot_id,
                username: "team-bot".to_string(),
                application_id: bot_id,
            },
            channels: Vec::new(),
            roles: vec![FakeRole {
                id,
                name: "@everyone".to_string(),
                permissions: DEFAULT_EVERYONE_PERMISSIONS,
            }],
            members: Vec::new(),
        }
    }

    /// Adds a text channel.
    pub fn channel(mut self, id: u64, name: impl Into<String>) -> Self {
        self.channels.push(FakeChannel {
            id,
            name: name.into(),
        });
        self
    }

    /// Adds a role.
    pub fn role(mut self, id: u64, name: impl Into<String>, permissions: u64) -> Self {
        self.roles.push(FakeRole {
            id,
            name: name.into(),
            permissions,
        });
        self
    }

    /// Adds a member.
    pub fn member(mut self, member: FakeMember) -> Self {
        self.members.push(member);
        self
    }

    /// The id of the guild's owner: the member marked as owner, else the bot.
    pub fn owner_id(&self) -> u64 {
        self.members
            .iter()
            .find(|m| m.is_owner)
            .map_or(self.bot.user_id, |m| m.user_id)
    }

    /// The guild-wide permissions of a member, as Discord computes them: `@everyone` plus every
    /// held role; owners and Administrators get everything.
    pub fn permissions_of(&self, member: &FakeMember) -> u64 {
        if member.is_owner {
            return ALL_PERMISSIONS;
        }
        let bits = self
            .roles
            .iter()
            .filter(|role| role.id == self.id || member.role_ids.contains(&role.id))
            .fold(0, |bits, role| bits | role.permissions);
        if bits & ADMINISTRATOR != 0 {
            ALL_PERMISSIONS
        } else {
            bits
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_and_administrators_hold_every_permission() {
        let guild = FakeGuild::new(1, "team", 2, "t").role(10, "admin", ADMINISTRATOR);
        let owner = FakeMember::new(5, "olga").owner();
        let admin = FakeMember::new(6, "adam").role(10);
        let plain = FakeMember::new(7, "pia");
        assert_eq!(guild.permissions_of(&owner), ALL_PERMISSIONS);
        assert_eq!(guild.permissions_of(&admin), ALL_PERMISSIONS);
        assert_eq!(guild.permissions_of(&plain), DEFAULT_EVERYONE_PERMISSIONS);
        assert_eq!(guild.permissions_of(&plain) & MANAGE_GUILD, 0);
    }
}
