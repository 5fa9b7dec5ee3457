//! Who is acting: the Discord user and member as an interaction describes them.

use poise::serenity_prelude as serenity;

use crate::team::{Caller, DiscordId};

/// The caller from an interaction's user and (in a server) member.
pub fn caller(user: &serenity::User, member: Option<&serenity::Member>) -> Caller {
    let permissions = member.and_then(|m| m.permissions).unwrap_or_default();
    let name = member
        .and_then(|m| m.nick.clone())
        .or_else(|| user.global_name.clone())
        .unwrap_or_else(|| user.name.clone());
    Caller {
        id: DiscordId(user.id.get()),
        name,
        role_ids: member
            .map(|m| m.roles.iter().map(|r| r.get()).collect())
            .unwrap_or_default(),
        manages_server: permissions.manage_guild() || permissions.administrator(),
    }
}

/// The caller of a slash command.
pub fn of_command(ctx: &super::types::Context<'_>) -> Caller {
    match ctx {
        poise::Context::Application(app) => {
            caller(&app.interaction.user, app.interaction.member.as_deref())
        }
        poise::Context::Prefix(prefix) => caller(&prefix.msg.author, None),
    }
}
