//! End to end: shared-key mode keeps its secrets. Mia's gateway token, the team's inference key
//! and the gateway's token secret reach no log line at `trace` (the bot's or a library's), no
//! answer a client gets, and not the database, whatever happens to her requests.

mod support;

use std::time::Duration;

use fakes::openrouter::CompletionPlan;
use serde_json::json;
use support::bot::*;
use support::gateway::*;

on_each_database!(
    gateway_tokens_and_the_team_key_never_reach_a_log_an_answer_or_the_database,
    |db| async move {
        let logs = support::logs::capture();
        let h = Harness::start_with(db, guild_with_shared_mia(), &shared_tier("0.05", "")).await;
        let (client, revealed) = h.mia_gets_token().await;
        let token = client.token.clone();
        assert!(revealed.contains(&token), "the token is shown once, to Mia");
        let team_key = h.openrouter.regular_key();
        let mut answers = Vec::new();

        // Served, streamed, hung up, refused upstream and over budget.
        answers.push(
            client
                .chat(&hello("openai/gpt-4o-mini"))
                .await
                .text()
                .await
                .unwrap(),
        );
        let mut streamed = hello("openai/gpt-4o");
        streamed["stream"] = json!(true);
        answers.push(client.chat(&streamed).await.text().await.unwrap());
        h.openrouter.plan_next_completion(CompletionPlan {
            completion_tokens: 200,
            tokens_per_chunk: 1,
            chunk_delay: Duration::from_millis(2),
            ..CompletionPlan::new()
        });
        hang_up_after(client.chat(&streamed).await, 3).await;
        h.openrouter.plan_next_completion(CompletionPlan {
            status: Some((500, None)),
            ..CompletionPlan::new()
        });
        answers.push(
            client
                .chat(&hello("openai/gpt-4o-mini"))
                .await
                .text()
                .await
                .unwrap(),
        );
        h.openrouter.plan_completions(CompletionPlan {
            completion_tokens: 1000,
            tokens_per_chunk: 1000,
            ..CompletionPlan::new()
        });
        for _ in 0..6 {
            answers.push(
                client
                    .chat(&hello("openai/gpt-4o"))
                    .await
                    .text()
                    .await
                    .unwrap(),
            );
        }
        assert!(
            answers.iter().any(|a| a.contains("resets at")),
            "the budget ran out: {answers:?}"
        );

        // A token one character off, and Mia's own after it was revoked.
        let mut wrong = token.clone();
        wrong.pop();
        wrong.push(if token.ends_with('a') { 'b' } else { 'a' });
        let stranger = Client::new(client.base_url.clone(), wrong.clone());
        answers.push(
            stranger
                .chat(&hello("openai/gpt-4o-mini"))
                .await
                .text()
                .await
                .unwrap(),
        );
        h.runs(
            fakes::discord::SlashCommand::new(DANA, "keys")
                .subcommand("revoke")
                .user("user", MIA),
        )
        .await;
        answers.push(
            client
                .chat(&hello("openai/gpt-4o-mini"))
                .await
                .text()
                .await
                .unwrap(),
        );
        answers.push(client.get("/models").await.text().await.unwrap());

        let secrets = [
            token.as_str(),
            wrong.as_str(),
            team_key.as_str(),
            openrouter_team_bot::stage::TOKEN_SECRET,
        ];
        for answer in &answers {
            for secret in &secrets {
                assert!(
                    !answer.contains(secret),
                    "an answer carries a secret: {answer}"
                );
            }
        }
        for message in h
            .discord
            .messages_in(ALERTS)
            .into_iter()
            .chain(h.discord.messages_in(APPROVALS))
        {
            assert!(
                !message.text().contains(&token),
                "a channel shows the token"
            );
        }
        let (_discord, _openrouter, db) = h.stop().await;
        support::logs::assert_hidden(&logs.text(), &secrets, "the gateway");
        for secret in &secrets[..2] {
            assert!(
                !support::db::contains_text(&db, secret).await,
                "the database holds a token"
            );
        }
    }
);
