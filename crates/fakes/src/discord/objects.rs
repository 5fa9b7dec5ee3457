//! Discord's JSON objects as the fake sends them: users, members, roles, channels, the guild,
//! the application, commands and messages. Ids are strings and times RFC 3339, as on Discord.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::guild::{FakeBot, FakeChannel, FakeGuild, FakeMember, FakeRole};
use super::record::{Attachment, Message};

/// Discord's user object for a member.
pub fn user(member: &FakeMember) -> Value {
    json!({
        "id": member.user_id.to_string(),
        "username": member.username,
        "global_name": member.global_name,
        "discriminator": "0",
        "avatar": null,
        "bot": member.is_bot,
        "public_flags": 0,
    })
}

/// Discord's user object for the bot.
pub fn bot_user(bot: &FakeBot) -> Value {
    json!({
        "id": bot.user_id.to_string(),
        "username": bot.username,
        "global_name": null,
        "discriminator": "0",
        "avatar": null,
        "bot": true,
        "public_flags": 0,
    })
}

/// The bot as a guild member.
pub fn bot_member(bot: &FakeBot) -> FakeMember {
    FakeMember {
        user_id: bot.user_id,
        username: bot.username.clone(),
        global_name: None,
        role_ids: Vec::new(),
        is_owner: false,
        is_bot: true,
    }
}

/// `GET /users/@me`: the bot's own user, with the fields only the owner sees.
pub fn current_user(bot: &FakeBot) -> Value {
    let mut user = bot_user(bot);
    if let Some(obj) = user.as_object_mut() {
        obj.insert("verified".into(), json!(true));
        obj.insert("mfa_enabled".into(), json!(false));
        obj.insert("flags".into(), json!(0));
        obj.insert("email".into(), Value::Null);
    }
    user
}

/// `GET /oauth2/applications/@me`: the application, owned by the guild's owner.
pub fn application(guild: &FakeGuild, owner: &Value, members_intent_enabled: bool) -> Value {
    json!({
        "id": guild.bot.application_id.to_string(),
        "name": guild.bot.username,
        "icon": null,
        "description": "",
        "bot_public": false,
        "bot_require_code_grant": false,
        "owner": owner,
        "verify_key": "0000000000000000000000000000000000000000000000000000000000000000",
        "team": null,
        "flags": application_flags(members_intent_enabled),
        "bot": bot_user(&guild.bot),
    })
}

/// The application flags: GATEWAY_GUILD_MEMBERS (1 << 14) when the Server Members intent is
/// enabled in the Developer Portal, none otherwise.
pub fn application_flags(members_intent_enabled: bool) -> u64 {
    if members_intent_enabled { 1 << 14 } else { 0 }
}

/// A guild member object; `with_user` is false inside `resolved.members`, where Discord leaves
/// the user out.
pub fn member(member: &FakeMember, with_user: bool) -> Value {
    let mut value = json!({
        "nick": null,
        "avatar": null,
        "roles": member.role_ids.iter().map(u64::to_string).collect::<Vec<_>>(),
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "communication_disabled_until": null,
    });
    if let (true, Some(obj)) = (with_user, value.as_object_mut()) {
        obj.insert("user".into(), user(member));
    }
    value
}

/// A member as the member of an interaction: with the computed `permissions`.
pub fn interaction_member(guild: &FakeGuild, m: &FakeMember) -> Value {
    let mut value = member(m, true);
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "permissions".into(),
            json!(guild.permissions_of(m).to_string()),
        );
    }
    value
}

/// A role object.
pub fn role(role: &FakeRole, position: usize) -> Value {
    json!({
        "id": role.id.to_string(),
        "name": role.name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
        "hoist": false,
        "icon": null,
        "unicode_emoji": null,
        "position": position,
        "permissions": role.permissions.to_string(),
        "managed": false,
        "mentionable": false,
        "flags": 0,
    })
}

/// A guild text channel object.
pub fn text_channel(guild_id: u64, channel: &FakeChannel, position: usize) -> Value {
    json!({
        "id": channel.id.to_string(),
        "type": 0,
        "guild_id": guild_id.to_string(),
        "name": channel.name,
        "position": position,
        "permission_overwrites": [],
        "topic": null,
        "nsfw": false,
        "last_message_id": null,
        "rate_limit_per_user": 0,
        "parent_id": null,
        "flags": 0,
    })
}

/// A DM channel object.
pub fn dm_channel(channel_id: u64, recipient: &FakeMember) -> Value {
    json!({
        "id": channel_id.to_string(),
        "type": 1,
        "last_message_id": null,
        "flags": 0,
        "recipients": [user(recipient)],
    })
}

/// The guild as `GET /guilds/{id}` answers (`with_counts` adds the approximate counts).
pub fn guild(guild: &FakeGuild) -> Value {
    json!({
        "id": guild.id.to_string(),
        "name": guild.name,
        "icon": null,
        "icon_hash": null,
        "splash": null,
        "discovery_splash": null,
        "owner_id": guild.owner_id().to_string(),
        "afk_channel_id": null,
        "afk_timeout": 300,
        "widget_enabled": false,
        "widget_channel_id": null,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": roles(guild),
        "emojis": [],
        "features": [],
        "mfa_level": 0,
        "application_id": null,
        "system_channel_id": null,
        "system_channel_flags": 0,
        "rules_channel_id": null,
        "max_presences": null,
        "max_members": 500000,
        "vanity_url_code": null,
        "description": null,
        "banner": null,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": null,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "nsfw_level": 0,
        "stickers": [],
        "premium_progress_bar_enabled": false,
        "safety_alerts_channel_id": null,
    })
}

/// The guild with the extra fields of GUILD_CREATE: channels, members, and so on.
pub fn guild_create(g: &FakeGuild) -> Value {
    let mut value = guild(g);
    let bot = bot_member(&g.bot);
    let members: Vec<Value> = g
        .members
        .iter()
        .chain(std::iter::once(&bot))
        .map(|m| member(m, true))
        .collect();
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "joined_at".into(),
            json!("2024-01-01T00:00:00.000000+00:00"),
        );
        obj.insert("large".into(), json!(members.len() > 250));
        obj.insert("unavailable".into(), json!(false));
        obj.insert("member_count".into(), json!(members.len()));
        obj.insert("voice_states".into(), json!([]));
        obj.insert("members".into(), Value::Array(members));
        obj.insert("channels".into(), channels(g));
        obj.insert("threads".into(), json!([]));
        obj.insert("presences".into(), json!([]));
        obj.insert("stage_instances".into(), json!([]));
        obj.insert("guild_scheduled_events".into(), json!([]));
    }
    value
}

/// All roles, `@everyone` first.
pub fn roles(guild: &FakeGuild) -> Value {
    Value::Array(
        guild
            .roles
            .iter()
            .enumerate()
            .map(|(i, r)| role(r, i))
            .collect(),
    )
}

/// All text channels.
pub fn channels(guild: &FakeGuild) -> Value {
    Value::Array(
        guild
            .channels
            .iter()
            .enumerate()
            .map(|(i, c)| text_channel(guild.id, c, i))
            .collect(),
    )
}

/// A registered application command: what the bot sent plus the fields Discord adds.
pub fn command(sent: &Value, id: u64, application_id: u64, guild_id: Option<u64>) -> Value {
    let mut value = sent.clone();
    if let Some(obj) = value.as_object_mut() {
        obj.insert("id".into(), json!(id.to_string()));
        obj.insert("application_id".into(), json!(application_id.to_string()));
        obj.insert("version".into(), json!(id.to_string()));
        obj.entry("type").or_insert(json!(1));
        obj.entry("description").or_insert(json!(""));
        obj.entry("default_member_permissions")
            .or_insert(Value::Null);
        obj.entry("nsfw").or_insert(json!(false));
        if let Some(guild_id) = guild_id {
            obj.insert("guild_id".into(), json!(guild_id.to_string()));
        }
    }
    value
}

/// An attachment object, with a URL that does not resolve anywhere.
pub fn attachment(a: &Attachment) -> Value {
    let url = format!(
        "https://cdn.discordapp.com/attachments/0/{}/{}",
        a.id, a.filename
    );
    json!({
        "id": a.id.to_string(),
        "filename": a.filename,
        "description": a.description,
        "content_type": a.content_type,
        "size": a.bytes.len(),
        "url": url,
        "proxy_url": url,
    })
}

/// A message object.
pub fn message(m: &Message, author: &Value, application_id: u64) -> Value {
    let mut value = json!({
        "id": m.id.to_string(),
        "channel_id": m.channel_id.to_string(),
        "author": author,
        "content": m.content,
        "timestamp": timestamp(m.created_at),
        "edited_timestamp": m.edited_at.map(timestamp),
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": m.attachments.iter().map(attachment).collect::<Vec<_>>(),
        "embeds": m.embeds,
        "components": m.components,
        "pinned": false,
        "type": if m.interaction.is_some() { 20 } else { 0 },
        "flags": m.flags,
    });
    if let Some(obj) = value.as_object_mut() {
        if let Some(nonce) = &m.nonce {
            obj.insert("nonce".into(), json!(nonce));
        }
        if m.interaction.is_some() {
            obj.insert("webhook_id".into(), json!(application_id.to_string()));
            obj.insert("application_id".into(), json!(application_id.to_string()));
        }
    }
    value
}

/// Discord's timestamp format.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, false)
}

#[cfg(test)]
mod tests {
    use serenity::model::prelude as discord;

    use super::*;
    use crate::discord::guild::ADMINISTRATOR;

    fn guild() -> FakeGuild {
        FakeGuild::new(100, "team", 200, "token")
            .channel(300, "approvals")
            .role(400, "admins", ADMINISTRATOR)
            .member(
                FakeMember::new(500, "alice")
                    .global_name("Alice")
                    .role(400)
                    .owner(),
            )
    }

    fn parse<T: serde::de::DeserializeOwned>(what: &str, value: Value) -> T {
        match serde_json::from_value(value.clone()) {
            Ok(parsed) => parsed,
            Err(e) => panic!("serenity cannot read the fake's {what}: {e}\n{value:#}"),
        }
    }

    #[test]
    fn serenity_reads_the_guild_objects() {
        let g = guild();
        let created: discord::GuildCreateEvent = parse("GUILD_CREATE", guild_create(&g));
        assert_eq!(created.guild.members.len(), 2);
        assert_eq!(created.guild.channels.len(), 1);
        assert_eq!(created.guild.roles.len(), 2);
        let _: discord::PartialGuild = parse("guild", super::guild(&g));
        let _: discord::Member = parse("member", member(&g.members[0], true));
        let _: Vec<discord::Role> = parse("roles", roles(&g));
        let _: Vec<discord::GuildChannel> = parse("channels", channels(&g));
        let _: discord::PrivateChannel = parse("DM channel", dm_channel(9, &g.members[0]));
    }

    #[test]
    fn serenity_reads_the_bot_and_application_objects() {
        let g = guild();
        let _: discord::CurrentUser = parse("current user", current_user(&g.bot));
        let owner = user(&g.members[0]);
        let app: discord::CurrentApplicationInfo =
            parse("application", application(&g, &owner, true));
        assert_eq!(app.owner.map(|o| o.id.get()), Some(500));
        let sent = json!({"name": "mykey", "description": "Your key", "type": 1, "options": []});
        let _: discord::Command = parse("command", command(&sent, 7, 200, Some(100)));
    }

    #[test]
    fn serenity_reads_messages_with_attachments_and_components() {
        let message = Message {
            id: 1,
            channel_id: 300,
            author_id: 200,
            content: "hi".into(),
            embeds: vec![json!({"title": "t", "type": "rich"})],
            components: vec![json!({"type": 1, "components": [
                {"type": 2, "style": 1, "label": "Go", "custom_id": "go"}]})],
            attachments: vec![Attachment {
                id: 2,
                filename: "chart.png".into(),
                content_type: Some("image/png".into()),
                description: None,
                bytes: vec![1, 2, 3],
            }],
            flags: 64,
            nonce: Some("n1".into()),
            interaction: Some(super::super::record::InteractionId(5)),
            created_at: Utc::now(),
            edited_at: Some(Utc::now()),
            edit_count: 1,
        };
        let author = bot_user(&guild().bot);
        let parsed: discord::Message = parse("message", super::message(&message, &author, 200));
        assert_eq!(parsed.attachments[0].size, 3);
        assert_eq!(parsed.components.len(), 1);
    }
}
