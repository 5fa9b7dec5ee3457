//! End to end: shared-key mode. Mia's tier gives gateway access; she gets a token through
//! `/mykey` and calls the gateway as she would call OpenRouter, while the fake OpenRouter sees
//! the team's key, the team's attribution and Mia's pseudonym, and the ledger records every
//! request at the cost OpenRouter charged.

mod support;

use std::time::Duration;

use chrono::{TimeZone, Utc};
use fakes::discord::SlashCommand;
use fakes::openrouter::{Caller, CompletionPlan, FakeOpenRouter};
use futures_util::StreamExt;
use openrouter_team_bot::domain::gateway_request::{CostSource, GatewayRequest, Outcome};
use serde_json::{Value, json};
use support::bot::*;
use support::gateway::*;

/// Mia's ledger rows once `count` of them are settled.
async fn settled_rows(h: &Harness, hash: &str, count: usize) -> Vec<GatewayRequest> {
    let since = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    until("the ledger rows to settle", || async {
        let rows = h.store().ledger_of_key(hash, since).await.unwrap();
        (rows.len() == count && rows.iter().all(GatewayRequest::is_settled)).then_some(rows)
    })
    .await
}

/// The body the fake received for its `n`th completion.
fn upstream_body(fake: &FakeOpenRouter, n: usize) -> Value {
    fake.completion_requests()[n].body.clone()
}

/// An error answer's message, checking OpenAI's shape on the way.
async fn error_message(response: reqwest::Response) -> String {
    let body: Value = response.json().await.unwrap();
    let error = &body["error"];
    assert!(
        error["type"].is_string() && !error["code"].is_null(),
        "{body}"
    );
    error["message"].as_str().unwrap().to_string()
}

on_each_database!(
    a_member_on_a_shared_key_tier_is_served_attributed_and_charged,
    |db| async {
        let h = Harness::start_with(db, guild_with_shared_mia(), &shared_tier("5.0", "")).await;
        let (client, revealed) = h.mia_gets_token().await;
        assert!(revealed.contains(PUBLIC_URL), "{revealed}");
        assert!(
            h.discord.dms_to(MIA).iter().any(|m| m
                .embed_text()
                .starts_with("Your gateway token was approved")),
            "the approval speaks of a token"
        );
        assert!(
            h.openrouter.keys().is_empty(),
            "no key is created at OpenRouter"
        );
        let hash = h.mia_token_hash().await;
        assert!(hash.starts_with("gw_") && !hash.contains(&client.token));

        // A plain request: the answer comes back as OpenRouter wrote it.
        let mut body = hello("openai/gpt-4o-mini");
        body["temperature"] = json!(0.5);
        body["user"] = json!("mia@acme.example");
        let response = client.chat(&body).await;
        assert_eq!(response.status(), 200);
        let first_generation = generation_id(&response);
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["id"], json!(first_generation));
        assert_eq!(answer["usage"]["completion_tokens"], json!(20));

        let upstream = &h.openrouter.completion_requests()[0];
        assert_eq!(upstream.caller, Caller::Regular, "the team's inference key");
        assert_eq!(upstream.referer.as_deref(), Some("https://acme.example"));
        assert_eq!(upstream.title.as_deref(), Some("Acme AI"));
        let pseudonym = upstream.body["user"].as_str().unwrap().to_string();
        assert!(pseudonym.starts_with("member-"), "{pseudonym}");
        assert!(!pseudonym.contains(&MIA.to_string()));
        assert_eq!(upstream.body["metadata"]["member"], json!(pseudonym));
        assert_eq!(upstream.body["temperature"], json!(0.5));
        assert_eq!(upstream.body["messages"], body["messages"]);
        assert_eq!(
            upstream.body["max_tokens"],
            json!(1000),
            "the tier's output cap"
        );

        // A model the tier does not allow is served by the fallback, and says so.
        let response = client.chat(&hello("anthropic/claude-sonnet-4")).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["x-gateway-model-downgraded"],
            "requested=anthropic/claude-sonnet-4; served=openai/gpt-4o-mini"
        );
        assert_eq!(
            upstream_body(&h.openrouter, 1)["model"],
            json!("openai/gpt-4o-mini")
        );
        assert_eq!(upstream_body(&h.openrouter, 1)["user"], json!(pseudonym));

        // A stream comes through as it was sent, keep-alive comment and all.
        let mut streamed = hello("openai/gpt-4o");
        streamed["stream"] = json!(true);
        let response = client.chat(&streamed).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        let text = response.text().await.unwrap();
        assert!(text.starts_with(": OPENROUTER PROCESSING\n\n"), "{text}");
        assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
        assert_eq!(text.matches("data: ").count(), 4 + 1 + 1);

        // Every request has its row, at what OpenRouter charged.
        let rows = settled_rows(&h, &hash, 3).await;
        let generations = h.openrouter.generations();
        for row in &rows {
            let generation = generations
                .iter()
                .find(|g| Some(&g.id) == row.generation_id.as_ref())
                .expect("each row names its generation");
            assert_eq!(row.cost.unwrap().nanos(), generation.cost_nanos);
            assert_eq!(row.cost_source, Some(CostSource::Answer));
            assert_eq!(row.completion_tokens, Some(generation.completion_tokens));
            assert!(row.hold.nanos() >= generation.cost_nanos);
        }
        // Rows of one second come in no particular order; OpenRouter's ids do.
        let mut rows = rows;
        rows.sort_by(|a, b| a.generation_id.cmp(&b.generation_id));
        assert_eq!(rows[0].generation_id, Some(first_generation));
        assert_eq!(rows[0].outcome, Outcome::Served);
        assert_eq!(rows[1].outcome, Outcome::Downgraded);
        assert_eq!(rows[1].requested_model, "anthropic/claude-sonnet-4");
        assert_eq!(rows[1].served_model, "openai/gpt-4o-mini");
        assert!(rows[2].streamed && !rows[0].streamed);

        // The model list shows only what the tier allows.
        let list: Value = client.get("/models").await.json().await.unwrap();
        let mut ids: Vec<&str> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        ids.sort();
        assert_eq!(
            ids,
            [
                "meta-llama/llama-3.1-8b-instruct:free",
                "openai/gpt-4o",
                "openai/gpt-4o-mini"
            ]
        );

        // /budget reads the ledger, its models too: each model's settled cost, summed per UTC
        // day and rounded up to the micro-dollar as the ledger reports a day.
        let budget = h.runs(SlashCommand::new(MIA, "budget")).await;
        let text = budget.text();
        assert!(text.contains("live from the gateway's ledger"), "{text}");
        let mut per_day: std::collections::BTreeMap<(String, String), i64> = Default::default();
        for row in &rows {
            let day = row.started_at.date_naive().to_string();
            *per_day.entry((row.served_model.clone(), day)).or_default() +=
                row.cost.unwrap().nanos();
        }
        let mut per_model: std::collections::BTreeMap<String, i64> = Default::default();
        for ((model, _), nanos) in per_day {
            *per_model.entry(model).or_default() += (nanos + 999) / 1000;
        }
        assert_eq!(per_model.len(), 2, "gpt-4o and gpt-4o-mini served");
        for (model, micros) in &per_model {
            let line = format!(
                "`{model}`: {} (",
                openrouter_team_bot::money::Usd::from_micros(*micros)
            );
            assert!(text.contains(&line), "{line} in {text}");
        }
        assert!(text.contains("Top models since <t:"), "{text}");
        assert!(
            !text.contains("completed UTC day"),
            "the ledger has every request: {text}"
        );

        // A revoked token is refused with words a person can act on.
        let revoked = h
            .runs(
                SlashCommand::new(DANA, "keys")
                    .subcommand("revoke")
                    .user("user", MIA),
            )
            .await;
        assert!(revoked.text().contains("Revoked"), "{}", revoked.text());
        let response = client.chat(&hello("openai/gpt-4o-mini")).await;
        assert_eq!(response.status(), 401);
        let message = error_message(response).await;
        assert!(message.contains("/mykey"), "{message}");
        assert_eq!(h.openrouter.completion_requests().len(), 3);
    }
);

on_each_database!(
    concurrent_requests_never_spend_more_than_the_budget,
    |db| async {
        let h = Harness::start_with(
            db,
            guild_with_shared_mia(),
            &shared_tier("0.05", "max_in_flight_per_member = 16"),
        )
        .await;
        let (client, _) = h.mia_gets_token().await;
        let hash = h.mia_token_hash().await;
        // Each answer uses the whole output cap and takes a moment, so all of them overlap.
        h.openrouter.plan_completions(CompletionPlan {
            completion_tokens: 5000,
            tokens_per_chunk: 5000,
            chunk_delay: Duration::from_millis(50),
            ..CompletionPlan::new()
        });
        let client = &client;
        let answers = futures_util::future::join_all((0..12).map(|_| async move {
            let response = client.chat(&hello("openai/gpt-4o")).await;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            let body: Value = response.json().await.unwrap();
            (status, retry_after, body)
        }))
        .await;

        let refused: Vec<_> = answers.iter().filter(|(s, _, _)| *s == 429).collect();
        let served = answers.iter().filter(|(s, _, _)| *s == 200).count();
        assert!(served >= 4, "{answers:?}");
        assert!(!refused.is_empty(), "{answers:?}");
        assert_eq!(served + refused.len(), 12, "{answers:?}");
        for (_, retry_after, body) in &refused {
            let message = body["error"]["message"].as_str().unwrap();
            assert!(
                message.contains("today's budget resets at 2026-11-26 00:00 UTC"),
                "{message}"
            );
            assert!(retry_after.is_some());
        }
        for request in h.openrouter.completion_requests() {
            let cap = request.body["max_tokens"].as_u64().expect("a cap is set");
            assert!(cap <= 1000, "the tier's cap: {cap}");
        }

        let rows = settled_rows(&h, &hash, 12).await;
        let spent: i64 = rows.iter().map(|r| r.cost.unwrap().nanos()).sum();
        assert!(
            spent <= 50_000_000,
            "spent {spent} nano-dollars of 50,000,000"
        );
        let charged: i64 = h
            .openrouter
            .generations()
            .iter()
            .map(|g| g.cost_nanos)
            .sum();
        assert_eq!(spent, charged);

        // The breach shows as a budget alert, as for a key.
        h.tick().await;
        let alerts = h.budget_alerts();
        assert!(
            alerts
                .iter()
                .any(|a| a.embed_text().contains("mia (<@20>)")),
            "{:?}",
            alerts.iter().map(|a| a.embed_text()).collect::<Vec<_>>()
        );
    }
);

on_each_database!(
    a_client_that_hangs_up_mid_stream_is_charged_what_openrouter_charged,
    |db| async {
        let h = Harness::start_with(db, guild_with_shared_mia(), &shared_tier("5.0", "")).await;
        let (client, _) = h.mia_gets_token().await;
        let hash = h.mia_token_hash().await;
        h.openrouter.set_generation_delay(Duration::from_millis(50));
        h.openrouter.plan_next_completion(CompletionPlan {
            completion_tokens: 1000,
            tokens_per_chunk: 1,
            chunk_delay: Duration::from_millis(5),
            ..CompletionPlan::new()
        });
        let mut body = hello("openai/gpt-4o");
        body["stream"] = json!(true);
        let response = client.chat(&body).await;
        let id = generation_id(&response);
        hang_up_after(response, 3).await;

        let rows = settled_rows(&h, &hash, 1).await;
        let generation = h.openrouter.generation(&id).expect("OpenRouter served it");
        assert!(generation.cancelled);
        assert!(generation.completion_tokens < 1000);
        assert_eq!(rows[0].cost_source, Some(CostSource::Generation));
        assert_eq!(rows[0].cost.unwrap().nanos(), generation.cost_nanos);
        assert_eq!(rows[0].generation_id.as_deref(), Some(id.as_str()));
    }
);

on_each_database!(
    refused_and_malformed_requests_cost_nothing_and_reach_nobody,
    |db| async {
        let h = Harness::start_with(
            db,
            guild_with_shared_mia(),
            &shared_tier(
                "5.0",
                "on_disallowed_model = \"refuse\"\nmax_body_bytes = 4096",
            ),
        )
        .await;
        let (client, _) = h.mia_gets_token().await;

        let refused = client.chat(&hello("openai/o1-pro")).await;
        assert_eq!(refused.status(), 403);
        let message = error_message(refused).await;
        assert!(
            message.contains("openai/o1-pro") && message.contains("openai/gpt-4o-mini"),
            "{message}"
        );

        let mut huge = hello("openai/gpt-4o-mini");
        huge["messages"][0]["content"] = json!("x".repeat(5000));
        assert_eq!(client.chat(&huge).await.status(), 413);

        let broken = client
            .chat_raw(b"{\"model\": \"openai/gpt-4o".to_vec())
            .await;
        assert_eq!(broken.status(), 400);
        let no_messages = client.chat(&json!({"model": "openai/gpt-4o-mini"})).await;
        assert_eq!(no_messages.status(), 400);
        assert!(error_message(no_messages).await.contains("messages"));
        let no_model = client.chat(&json!({"messages": []})).await;
        assert!(error_message(no_model).await.contains("model"));

        let stranger = Client::new(client.base_url.clone(), format!("ortb_{}", "x".repeat(40)));
        let unknown = stranger.chat(&hello("openai/gpt-4o-mini")).await;
        assert_eq!(unknown.status(), 401);
        assert!(!error_message(unknown).await.is_empty());

        assert!(
            h.openrouter.completion_requests().is_empty(),
            "nothing reached OpenRouter"
        );
        // One row for each refusal of Mia's (the stranger has no row): all free.
        let hash = h.mia_token_hash().await;
        let rows = settled_rows(&h, &hash, 5).await;
        assert!(
            rows.iter().all(|r| r.cost.unwrap().nanos() == 0),
            "{rows:?}"
        );
        let outcomes: Vec<Outcome> = rows.iter().map(|r| r.outcome).collect();
        assert_eq!(
            outcomes
                .iter()
                .filter(|o| **o == Outcome::RefusedModel)
                .count(),
            1
        );
        assert_eq!(
            outcomes
                .iter()
                .filter(|o| **o == Outcome::BadRequest)
                .count(),
            4
        );
    }
);

on_each_database!(
    openrouter_errors_reach_the_client_unchanged_and_are_settled,
    |db| async {
        let h = Harness::start_with(db, guild_with_shared_mia(), &shared_tier("5.0", "")).await;
        let (client, _) = h.mia_gets_token().await;
        let hash = h.mia_token_hash().await;

        h.openrouter.plan_next_completion(CompletionPlan {
            status: Some((429, Some("7".into()))),
            ..CompletionPlan::new()
        });
        let limited = client.chat(&hello("openai/gpt-4o-mini")).await;
        assert_eq!(limited.status(), 429);
        assert_eq!(limited.headers()["retry-after"], "7");
        let body: Value = limited.json().await.unwrap();
        assert_eq!(
            body,
            json!({"error": {"code": 429, "message": "Rate limit exceeded: free-models-per-min"}})
        );

        h.openrouter.plan_next_completion(CompletionPlan {
            error_after_chunks: Some(2),
            ..CompletionPlan::new()
        });
        h.openrouter.set_generation_delay(Duration::from_millis(20));
        let mut body = hello("openai/gpt-4o");
        body["stream"] = json!(true);
        let response = client.chat(&body).await;
        let id = generation_id(&response);
        let text = response.text().await.unwrap();
        assert!(text.contains("\"error\":{\"code\":502"), "{text}");

        let rows = settled_rows(&h, &hash, 2).await;
        let (refused, cut_row): (Vec<_>, Vec<_>) =
            rows.iter().partition(|r| r.generation_id.is_none());
        assert_eq!(refused[0].outcome, Outcome::UpstreamError);
        assert_eq!(refused[0].http_status, Some(429));
        assert_eq!(refused[0].cost.unwrap().nanos(), 0);
        let cut = h.openrouter.generation(&id).unwrap();
        assert_eq!(cut_row[0].generation_id.as_deref(), Some(id.as_str()));
        assert_eq!(cut_row[0].cost.unwrap().nanos(), cut.cost_nanos);
        assert_eq!(h.openrouter.completion_requests().len(), 2, "never retried");
    }
);

on_each_database!(a_member_who_leaves_loses_gateway_access, |db| async {
    let h = Harness::start_with(db, guild_with_shared_mia(), &shared_tier("5.0", "")).await;
    let (client, _) = h.mia_gets_token().await;
    assert_eq!(
        client.chat(&hello("openai/gpt-4o-mini")).await.status(),
        200
    );
    let hash = h.mia_token_hash().await;
    assert!(h.discord.member_leaves(MIA));
    until("the departure to disable the token", || async {
        let key = h.store().key(&hash).await.unwrap().unwrap();
        key.disabled.then_some(())
    })
    .await;
    let response = client.chat(&hello("openai/gpt-4o-mini")).await;
    assert_eq!(response.status(), 401);
    let message = error_message(response).await;
    assert!(message.contains("disabled"), "{message}");
    assert_eq!(h.openrouter.completion_requests().len(), 1);
});

on_each_database!(
    holds_of_a_killed_bot_are_settled_from_openrouter_at_the_next_start,
    |db| async {
        let mut h = Harness::start_with(db, guild_with_shared_mia(), &shared_tier("5.0", "")).await;
        let (client, _) = h.mia_gets_token().await;
        let hash = h.mia_token_hash().await;
        h.openrouter.set_generation_delay(Duration::ZERO);
        h.openrouter.plan_completions(CompletionPlan {
            completion_tokens: 1000,
            tokens_per_chunk: 1,
            chunk_delay: Duration::from_millis(20),
            ..CompletionPlan::new()
        });
        // One plain request, whose answer takes a while, and three streams.
        h.openrouter.plan_next_completion(CompletionPlan {
            chunk_delay: Duration::from_millis(100),
            ..CompletionPlan::new()
        });
        let plain = {
            let client = client.clone();
            tokio::spawn(async move {
                match client.try_chat(&hello("openai/gpt-4o")).await {
                    Ok(answer) => answer.bytes().await.map(|_| ()),
                    Err(cut) => Err(cut),
                }
            })
        };
        until("the plain request to reach OpenRouter", || async {
            (h.openrouter.completion_requests().len() == 1).then_some(())
        })
        .await;
        let mut body = hello("openai/gpt-4o");
        body["stream"] = json!(true);
        let mut streams = Vec::new();
        for _ in 0..3 {
            let response = client.chat(&body).await;
            let mut stream = response.bytes_stream();
            stream.next().await.unwrap().unwrap();
            streams.push(stream);
        }
        // The held rows are written with their generation ids before the bot dies.
        let since = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        until("four held rows", || async {
            let rows = h.store().ledger_of_key(&hash, since).await.unwrap();
            (rows.len() == 4 && rows.iter().all(|r| r.generation_id.is_some())).then_some(())
        })
        .await;

        h.crash().await;
        drop(streams);
        assert!(
            plain.await.unwrap().is_err(),
            "the plain answer was cut by the crash"
        );
        h.advance(chrono::Duration::minutes(2));
        let h = h.restart().await;

        let rows = settled_rows(&h, &hash, 4).await;
        let generations = h.openrouter.generations();
        assert_eq!(generations.len(), 4);
        assert_eq!(rows.iter().filter(|r| !r.streamed).count(), 1);
        for row in &rows {
            assert_eq!(row.cost_source, Some(CostSource::Generation), "{row:?}");
        }
        let settled: i64 = rows.iter().map(|r| r.cost.unwrap().nanos()).sum();
        let charged: i64 = generations.iter().map(|g| g.cost_nanos).sum();
        assert_eq!(settled, charged);
    }
);

on_each_database!(
    an_admin_moves_members_between_personal_keys_and_the_gateway,
    |db| async {
        let h = Harness::start_with(db, guild_with_shared_mia(), &shared_tier("5.0", "")).await;
        let (client, _) = h.mia_gets_token().await;
        assert_eq!(
            client.chat(&hello("openai/gpt-4o-mini")).await.status(),
            200
        );

        // To a tier of personal keys: the token stops at once and Mia is told what to run.
        let moved = h
            .runs(
                SlashCommand::new(DANA, "team")
                    .subcommand("tier")
                    .user("user", MIA)
                    .string("tier", "basic"),
            )
            .await;
        let text = moved.text();
        assert!(
            text.contains("gateway token was retired") && text.contains("/mykey"),
            "{text}"
        );
        let told = h
            .discord
            .wait_for_dm(MIA, |m| m.embed_text().contains("Your tier is now basic"))
            .await;
        assert!(
            told.embed_text()
                .contains("gives you a personal key instead")
                && told.embed_text().contains("Run `/mykey`"),
            "{}",
            told.embed_text()
        );
        let refused = client.chat(&hello("openai/gpt-4o-mini")).await;
        assert_eq!(refused.status(), 401);
        assert!(error_message(refused).await.contains("/mykey"));
        assert_eq!(h.openrouter.completion_requests().len(), 1);

        // To the gateway's tier: Olu's key is deleted at OpenRouter, and he is told too.
        h.story().member_gets_key(OLU, "olu").await;
        assert_eq!(h.openrouter.keys().len(), 1);
        let moved = h
            .runs(
                SlashCommand::new(DANA, "team")
                    .subcommand("tier")
                    .user("user", OLU)
                    .string("tier", "shared"),
            )
            .await;
        assert!(moved.text().contains("key was retired"), "{}", moved.text());
        assert!(h.openrouter.keys().is_empty(), "the key is gone");
        let told = h
            .discord
            .wait_for_dm(OLU, |m| m.embed_text().contains("Your tier is now shared"))
            .await;
        assert!(
            told.embed_text().contains("shared key (gateway) instead"),
            "{}",
            told.embed_text()
        );
    }
);

/// The threshold of each budget alert ("50", "80", "100").
fn levels(alerts: &[fakes::discord::Message]) -> Vec<String> {
    alerts
        .iter()
        .filter_map(|m| {
            let text = m.embed_text();
            let (before, _) = text.split_once("% threshold")?;
            Some(before.rsplit(' ').next()?.to_string())
        })
        .collect()
}

on_each_database!(
    a_shared_key_members_spend_is_alerted_and_shows_in_the_digest,
    |db| async {
        let h = Harness::start_with(db, guild_with_shared_mia(), &shared_tier("0.05", "")).await;
        let (client, _) = h.mia_gets_token().await;
        let hash = h.mia_token_hash().await;
        // Each answer writes the tier's whole output cap: about a fifth of the budget.
        h.openrouter.plan_completions(CompletionPlan {
            completion_tokens: 1000,
            tokens_per_chunk: 1000,
            ..CompletionPlan::new()
        });
        let mut statuses = Vec::new();
        for n in 1..=7 {
            statuses.push(client.chat(&hello("openai/gpt-4o")).await.status().as_u16());
            settled_rows(&h, &hash, n).await;
            h.advance(chrono::Duration::minutes(5));
            h.tick().await;
        }
        assert_eq!(
            statuses,
            [200, 200, 200, 200, 200, 429, 429],
            "the fifth answer is capped to what is left, then nothing fits"
        );

        // The ledger's spend crosses 50 and 80 %; the refusal is the 100 % mark.
        let alerts = h.budget_alerts();
        assert_eq!(
            levels(&alerts),
            ["50", "80", "100"],
            "{:?}",
            alerts.iter().map(|a| a.embed_text()).collect::<Vec<_>>()
        );
        let last = alerts[2].embed_text();
        assert!(
            last.starts_with("Budget alert: mia at the end of its limit (99% used)")
                && last.contains("the gateway refuses them"),
            "{last}"
        );
        let dms: Vec<String> = h
            .discord
            .dms_to(MIA)
            .into_iter()
            .map(|m| m.embed_text())
            .filter(|text| text.starts_with("Your budget"))
            .collect();
        assert_eq!(dms.len(), 3, "each alert is also sent to Mia");
        assert!(
            dms[2].contains("You have used 99% of your $0.05 daily limit: the gateway refuses your requests until the limit resets <t:"),
            "{}",
            dms[2]
        );

        // The week's digest lists Mia on the shared key, with the ledger's top model.
        h.clock
            .set(Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 20).unwrap());
        h.tick().await;
        h.tick().await;
        let posted = h.discord.messages_in(REPORTS);
        assert!(
            posted
                .iter()
                .any(|m| m.embed_text().starts_with("Weekly digest")),
            "the digest is posted"
        );
        let text: String = posted.iter().map(|m| m.embed_text() + "\n").collect();
        let line = text
            .lines()
            .find(|l| l.contains("`mia`") && !l.contains("`team:mia:r1`"))
            .unwrap_or_else(|| panic!("no member line for Mia in {text}"));
        assert!(
            line.contains("shared key") && line.contains("`openai/gpt-4o`"),
            "{line}"
        );
        // Stopped at 99 % by the gateway, she is at her limit as the alert said.
        let section = text
            .split("At or over limit")
            .nth(1)
            .unwrap_or_else(|| panic!("no At or over limit section in {text}"));
        let listed = section
            .lines()
            .find(|l| l.contains("mia"))
            .unwrap_or_else(|| panic!("Mia is not at her limit in {section}"));
        assert!(
            listed.contains("99% of $0.05 per day")
                && listed.contains("stopped at the limit by the gateway"),
            "{listed}"
        );
    }
);

on_each_database!(
    the_responses_api_is_served_and_charged_streamed_or_not,
    |db| async {
        let h = Harness::start_with(db, guild_with_shared_mia(), &shared_tier("5.0", "")).await;
        let (client, _) = h.mia_gets_token().await;
        let hash = h.mia_token_hash().await;
        let mut body = json!({"model": "anthropic/claude-sonnet-4", "input": "Tell me a joke"});

        let plain = client.respond(&body).await;
        assert_eq!(plain.status(), 200);
        assert_eq!(
            plain.headers()["x-gateway-model-downgraded"],
            "requested=anthropic/claude-sonnet-4; served=openai/gpt-4o-mini"
        );
        let answer: Value = plain.json().await.unwrap();
        assert_eq!(answer["object"], json!("response"));

        body["stream"] = json!(true);
        let streamed = client.respond(&body).await;
        assert_eq!(streamed.headers()["content-type"], "text/event-stream");
        let text = streamed.text().await.unwrap();
        assert!(text.contains("\"type\":\"response.completed\""), "{text}");

        let upstream = h.openrouter.completion_requests();
        assert!(upstream.iter().all(|r| r.path.ends_with("/responses")));
        assert_eq!(upstream[1].body["input"], json!("Tell me a joke"));
        assert_eq!(upstream[1].body["max_output_tokens"], json!(1000));
        let rows = settled_rows(&h, &hash, 2).await;
        let generations = h.openrouter.generations();
        for row in &rows {
            let generation = generations
                .iter()
                .find(|g| Some(&g.id) == row.generation_id.as_ref())
                .expect("each row names its generation");
            assert_eq!(row.cost.unwrap().nanos(), generation.cost_nanos);
            assert_eq!(row.cost_source, Some(CostSource::Answer), "{row:?}");
        }
        assert_eq!(rows.iter().filter(|r| r.streamed).count(), 1);
    }
);

on_each_database!(
    one_member_cannot_take_the_whole_key_and_the_operator_sees_it,
    |db| async {
        let h = Harness::start_with(
            db,
            guild_with_shared_mia(),
            &shared_tier(
                "5.0",
                "max_in_flight_per_member = 2\nrequests_per_minute_per_member = 4",
            ),
        )
        .await;
        let (client, _) = h.mia_gets_token().await;

        // Two slow streams are running: a third request has to wait its turn.
        h.openrouter.plan_completions(CompletionPlan {
            completion_tokens: 20,
            tokens_per_chunk: 1,
            chunk_delay: Duration::from_millis(20),
            ..CompletionPlan::new()
        });
        let mut streamed = hello("openai/gpt-4o-mini");
        streamed["stream"] = json!(true);
        let first = client.chat(&streamed).await;
        let second = client.chat(&streamed).await;
        let third = client.chat(&hello("openai/gpt-4o-mini")).await;
        assert_eq!(third.status(), 429);
        assert_eq!(third.headers()["retry-after"], "1");
        let message = error_message(third).await;
        assert!(message.contains("2 requests running"), "{message}");
        first.text().await.unwrap();
        second.text().await.unwrap();

        // Four a minute: two more, then the fifth waits.
        h.openrouter.plan_completions(CompletionPlan::new());
        for _ in 0..2 {
            let answer = client.chat(&hello("openai/gpt-4o-mini")).await;
            assert_eq!(answer.status(), 200);
        }
        let fifth = client.chat(&hello("openai/gpt-4o-mini")).await;
        assert_eq!(fifth.status(), 429);
        let wait: u64 = fifth.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        let message = error_message(fifth).await;
        assert!(
            message.contains("4 requests in the last minute"),
            "{message}"
        );
        assert_eq!(h.openrouter.completion_requests().len(), 4);

        // The operator's view: health without a token, and the counts in Prometheus' format.
        let operator = Client::new(client.base_url.replace("/api/v1", ""), String::new());
        let health: Value = operator.get("/healthz").await.json().await.unwrap();
        assert_eq!(health["status"], json!("ok"));
        assert!(health["models"].as_u64().unwrap() > 0, "{health}");
        let metrics = operator.get("/metrics").await.text().await.unwrap();
        for line in [
            "gateway_requests_total{status=\"200\",model=\"openai/gpt-4o-mini\"} 4",
            "gateway_requests_total{status=\"429\",model=\"\"} 2",
            "gateway_refusals_total{reason=\"throttled\"} 2",
            "gateway_holds_outstanding 0",
        ] {
            assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
        }
        assert!(
            metrics.contains("gateway_overhead_seconds_count 4"),
            "{metrics}"
        );
    }
);

on_each_database!(
    an_openrouter_that_cannot_be_reached_is_a_502_that_costs_nothing,
    |db| async {
        let h = Harness::start_with(db, guild_with_shared_mia(), &shared_tier("5.0", "")).await;
        let (client, _) = h.mia_gets_token().await;
        let hash = h.mia_token_hash().await;
        h.openrouter.plan_next_completion(CompletionPlan {
            drop_after_chunks: Some(0),
            ..CompletionPlan::new()
        });
        let answer = client.chat(&hello("openai/gpt-4o-mini")).await;
        assert_eq!(answer.status(), 502);
        let message = error_message(answer).await;
        assert!(message.contains("OpenRouter"), "{message}");
        let rows = settled_rows(&h, &hash, 1).await;
        assert_eq!(rows[0].outcome, Outcome::Unreachable);
        assert_eq!(rows[0].cost.unwrap().nanos(), 0);
        assert_eq!(
            client.chat(&hello("openai/gpt-4o-mini")).await.status(),
            200,
            "the next request is served"
        );
    }
);

on_each_database!(
    fields_the_policy_does_not_read_reach_openrouter_byte_for_byte,
    |db| async {
        let h = Harness::start_with(db, guild_with_shared_mia(), &shared_tier("5.0", "")).await;
        let (client, _) = h.mia_gets_token().await;
        let messages = r#""messages" :[ {"role":"user","content":"caf\u00e9 \ud83d\ude00  "} ]"#;
        let extras = r#""temperature":0.50, "logit_bias":{"50256":-100},"provider":{"order":["openai"],"allow_fallbacks":false}"#;
        let body = format!(r#"{{"model":"openai/gpt-4o-mini", {messages}, {extras}}}"#);
        let answer = client.chat_raw(body.into_bytes()).await;
        assert_eq!(answer.status(), 200);

        let upstream = &h.openrouter.completion_requests()[0];
        let sent = String::from_utf8(upstream.raw_body.clone()).unwrap();
        for part in [
            r#"[ {"role":"user","content":"caf\u00e9 \ud83d\ude00  "} ]"#,
            r#"0.50"#,
            r#"{"50256":-100}"#,
            r#"{"order":["openai"],"allow_fallbacks":false}"#,
        ] {
            assert!(sent.contains(part), "{part} in {sent}");
        }
    }
);
