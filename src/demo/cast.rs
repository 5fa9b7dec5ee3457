//! The simulated Discord server of the demo: who is in it, their roles, and its channels.

use fakes::discord::{FakeGuild, FakeMember};

/// The server's id.
pub const GUILD_ID: u64 = 1_000;
/// The server's name.
pub const GUILD_NAME: &str = "Acme AI";
/// The bot's user and application id.
pub const BOT_ID: u64 = 1_001;
/// What the bot is called in the server.
pub const BOT_NAME: &str = "team-bot";
/// The token the simulated Discord accepts; it works nowhere else.
pub const BOT_TOKEN: &str = "demo-bot-token.simulated-discord.0000000000";

/// Where people run their slash commands.
pub const GENERAL: u64 = 2_000;
/// `discord.approvals_channel_id`.
pub const APPROVALS: u64 = 2_001;
/// `discord.alerts_channel_id`.
pub const ALERTS: u64 = 2_002;
/// `discord.reports_channel_id`.
pub const REPORTS: u64 = 2_003;
/// `discord.audit_channel_id`.
pub const AUDIT: u64 = 2_004;

/// `discord.admin_role_ids`.
pub const ADMIN_ROLE: u64 = 3_000;
/// Holders are in the `pro` tier.
pub const PRO_ROLE: u64 = 3_001;
/// Holders are in the `research` tier.
pub const RESEARCH_ROLE: u64 = 3_002;
/// Holders are in the `shared` tier, which reaches OpenRouter through the bot's gateway.
pub const SHARED_ROLE: u64 = 3_003;

/// Someone in the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Person {
    /// Their Discord user id.
    pub id: u64,
    /// Their username, which is also the member name they ask for.
    pub username: &'static str,
    /// The name Discord shows.
    pub display_name: &'static str,
    /// The roles they hold.
    pub roles: &'static [u64],
}

/// Admin: approves most requests.
pub const DANA: Person = Person {
    id: 4_001,
    username: "dana",
    display_name: "Dana",
    roles: &[ADMIN_ROLE],
};
/// Admin: approves the rest.
pub const ERIK: Person = Person {
    id: 4_002,
    username: "erik",
    display_name: "Erik",
    roles: &[ADMIN_ROLE],
};
/// A member on the default tier who runs into her daily limit.
pub const MIA: Person = Person {
    id: 4_003,
    username: "mia",
    display_name: "Mia",
    roles: &[],
};
/// A member on the pro tier (by role) who leaves the server during the week.
pub const OLU: Person = Person {
    id: 4_004,
    username: "olu",
    display_name: "Olu",
    roles: &[PRO_ROLE],
};
/// A member on the research tier (by role) who joins the story on the second day.
pub const LEE: Person = Person {
    id: 4_005,
    username: "lee",
    display_name: "Lee",
    roles: &[RESEARCH_ROLE],
};
/// Someone whose request is denied.
pub const SAM: Person = Person {
    id: 4_006,
    username: "sam",
    display_name: "Sam",
    roles: &[],
};

/// A member on the shared tier (by role) who joins on the fourth day and calls the gateway
/// with a token instead of holding a key.
pub const INES: Person = Person {
    id: 4_007,
    username: "ines",
    display_name: "Ines",
    roles: &[SHARED_ROLE],
};

/// Everyone in the server but the bot.
pub const PEOPLE: [Person; 7] = [DANA, ERIK, MIA, OLU, LEE, SAM, INES];

/// The server's text channels: id and name (without `#`).
pub const CHANNELS: [(u64, &str); 5] = [
    (GENERAL, "general"),
    (APPROVALS, "key-approvals"),
    (ALERTS, "key-alerts"),
    (REPORTS, "key-reports"),
    (AUDIT, "key-audit"),
];

/// The server's roles besides `@everyone`: id and name. None carries a permission: the bot
/// decides who is an admin from `discord.admin_role_ids`.
pub const ROLES: [(u64, &str); 4] = [
    (ADMIN_ROLE, "Key admins"),
    (PRO_ROLE, "Pro"),
    (RESEARCH_ROLE, "Research"),
    (SHARED_ROLE, "Shared key"),
];

/// The server as the simulated Discord serves it.
pub fn guild() -> FakeGuild {
    let mut guild = FakeGuild::new(GUILD_ID, GUILD_NAME, BOT_ID, BOT_TOKEN);
    guild.bot.username = BOT_NAME.to_string();
    for (id, name) in CHANNELS {
        guild = guild.channel(id, name);
    }
    for (id, name) in ROLES {
        guild = guild.role(id, name, 0);
    }
    for person in PEOPLE {
        let mut member =
            FakeMember::new(person.id, person.username).global_name(person.display_name);
        for role in person.roles {
            member = member.role(*role);
        }
        guild = guild.member(member);
    }
    guild
}

/// The display name of a user id, the bot included.
pub fn display_name(user_id: u64) -> Option<&'static str> {
    if user_id == BOT_ID {
        return Some(BOT_NAME);
    }
    PEOPLE
        .iter()
        .find(|p| p.id == user_id)
        .map(|p| p.display_name)
}

/// The name of a channel, without `#`.
pub fn channel_name(channel_id: u64) -> Option<&'static str> {
    CHANNELS
        .iter()
        .find(|(id, _)| *id == channel_id)
        .map(|(_, name)| *name)
}

/// The name of a role.
pub fn role_name(role_id: u64) -> Option<&'static str> {
    ROLES
        .iter()
        .find(|(id, _)| *id == role_id)
        .map(|(_, name)| *name)
}
