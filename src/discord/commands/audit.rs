//! `/audit`: the latest admin and lifecycle actions.

use crate::discord::types::{BotError, Context};
use crate::discord::{caller, pages, render};

/// The latest admin and lifecycle actions (admins only).
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn audit(
    ctx: Context<'_>,
    #[description = "How many entries (default 20, at most 500)"]
    #[min = 1]
    #[max = 500]
    count: Option<i64>,
) -> Result<(), BotError> {
    let caller = caller::of_command(&ctx);
    let entries = ctx
        .data()
        .team
        .recent_audit(&caller, count.unwrap_or(20))
        .await?;
    let lines: Vec<String> = entries
        .iter()
        .map(|e| {
            let actor = e
                .actor_id
                .map(|id| format!("<@{id}>"))
                .unwrap_or_else(|| e.actor_name.clone());
            let details = if e.details.is_empty() {
                String::new()
            } else {
                format!(": {}", e.details)
            };
            format!(
                "{} · `{}` · {} · by {actor}{details}",
                render::when(e.at),
                e.action,
                e.target
            )
        })
        .collect();
    super::send_list(
        ctx,
        pages::List {
            title: "Audit log",
            lines: &lines,
            empty: "Nothing has happened yet.",
            color: render::BLUE,
        },
        "audit-log.txt",
    )
    .await
}
