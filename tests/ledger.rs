//! The gateway's ledger and budget leases in the database, on SQLite and PostgreSQL: a row is
//! settled once, spend sums exactly, and gateways sharing a database never lease more than a
//! window's limit between them.

mod support;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use openrouter_team_bot::domain::{Access, CostSource, GatewayRequest, Outcome, TeamKey};
use openrouter_team_bot::money::{NanoUsd, Usd};
use openrouter_team_bot::reset::LimitReset;

const TOKEN: &str = "gw_0123456789abcdef";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap()
}

fn token() -> TeamKey {
    TeamKey {
        hash: TOKEN.into(),
        member_id: None,
        request_id: None,
        name: "team:mia:r1".into(),
        label: "ortb_...abcd".into(),
        workspace_id: None,
        disabled: false,
        limit: Some(Usd::from_dollars(1)),
        reset: LimitReset::Daily,
        usage: Default::default(),
        guardrail_id: None,
        created_at: now() - TimeDelta::days(2),
        expires_at: None,
        synced_at: None,
        deleted_at: None,
        access: Access::Gateway,
    }
}

fn held(id: &str, instance: &str, hold: i64, at: DateTime<Utc>) -> GatewayRequest {
    GatewayRequest {
        id: id.into(),
        key_hash: TOKEN.into(),
        member_id: 1,
        tier: "shared".into(),
        requested_model: "openai/gpt-4o".into(),
        served_model: "openai/gpt-4o".into(),
        outcome: Outcome::Served,
        hold: NanoUsd::from_nanos(hold),
        cost: None,
        cost_source: None,
        prompt_tokens: None,
        completion_tokens: None,
        generation_id: Some(format!("gen-{id}")),
        http_status: Some(200),
        streamed: true,
        instance: instance.into(),
        started_at: at,
        settled_at: None,
    }
}

fn settled(mut row: GatewayRequest, cost: i64) -> GatewayRequest {
    row.cost = Some(NanoUsd::from_nanos(cost));
    row.cost_source = Some(CostSource::Answer);
    row.settled_at = Some(row.started_at);
    row
}

on_each_database!(
    a_row_is_settled_once_and_spend_sums_exactly,
    |db| async move {
        let store = &db.store;
        store.save_key(&token()).await.unwrap();
        let today = LimitReset::Daily.window_at(now()).start;
        let yesterday = now() - TimeDelta::days(1);
        store
            .write_ledger(&[
                held("a", "gw-1", 5_000, now()),
                held("b", "gw-1", 7_000, now()),
                settled(held("old", "gw-1", 9_000, yesterday), 3),
            ])
            .await
            .unwrap();
        let spend = store.ledger_spend(TOKEN, today).await.unwrap();
        assert_eq!((spend.settled.nanos(), spend.held.nanos()), (0, 12_000));

        store
            .write_ledger(&[settled(held("a", "gw-1", 5_000, now()), 1_234)])
            .await
            .unwrap();
        // A late copy of the held row (a retried batch) does not undo the settlement, nor does
        // a second settlement change it.
        store
            .write_ledger(&[
                held("a", "gw-1", 5_000, now()),
                settled(held("b", "gw-1", 7_000, now()), 1),
            ])
            .await
            .unwrap();
        store
            .write_ledger(&[settled(held("a", "gw-1", 5_000, now()), 999_999)])
            .await
            .unwrap();
        let a = store.ledger_row("a").await.unwrap().unwrap();
        assert_eq!(a.cost, Some(NanoUsd::from_nanos(1_234)));
        let spend = store.ledger_spend(TOKEN, today).await.unwrap();
        assert_eq!((spend.settled.nanos(), spend.held.nanos()), (1_235, 0));

        // Spend in micro-dollars, as a key's usage: a cheap request never rounds to nothing.
        let usage = store.ledger_usage(TOKEN, now()).await.unwrap();
        assert_eq!(
            usage.daily,
            Usd::from_micros(2),
            "1,235 nano-dollars round up"
        );
        assert_eq!(usage.total, Usd::from_micros(2), "{usage:?}");
    }
);

on_each_database!(
    gateways_sharing_a_database_never_lease_past_the_limit,
    |db| async move {
        let store = &db.store;
        store.save_key(&token()).await.unwrap();
        let window = LimitReset::Daily.window_at(now()).start;
        let limit = NanoUsd::from_nanos(1_000);
        let grab = |instance: &'static str, want: i64| {
            let store = store.clone();
            async move {
                store
                    .grab_lease(
                        TOKEN,
                        window,
                        instance,
                        limit,
                        NanoUsd::from_nanos(want),
                        now(),
                    )
                    .await
                    .unwrap()
            }
        };
        // Eight gateways each want 300 of 1,000, all at once.
        let names = ["g1", "g2", "g3", "g4", "g5", "g6", "g7", "g8"];
        let leases = futures_util::future::join_all(names.iter().map(|n| grab(n, 300))).await;
        let granted: i64 = leases.iter().map(|l| l.amount.nanos()).sum();
        assert_eq!(
            granted, 1_000,
            "all of it, and not a nano-dollar more: {leases:?}"
        );

        // A gateway that stopped beating may have forwarded requests whose rows never reached
        // the database: its lease stays reserved, so no one can spend it again.
        let g1_spent = leases[0].amount.nanos().min(120);
        store
            .write_ledger(&[settled(held("x", "g1", g1_spent, now()), g1_spent)])
            .await
            .unwrap();
        let later = now() + TimeDelta::minutes(5);
        for alive in &names[1..] {
            store.gateway_beat(alive, now(), later).await.unwrap();
        }
        let released = store
            .release_stopped_instances("g2", later - TimeDelta::minutes(1))
            .await
            .unwrap();
        assert_eq!(released, 1, "g1 stopped beating");
        let more = grab("g2", 1_000).await;
        assert_eq!(
            more.amount.nanos() + more.others.nanos(),
            1_000,
            "still all of it, and not more: {more:?}"
        );
        assert_eq!(
            more.amount.nanos(),
            leases[1].amount.nanos(),
            "nothing came free: {more:?}"
        );

        // A clean stop has written every row: what g3 leased beyond its requests goes back.
        store.release_leases_of("g3").await.unwrap();
        let after = grab("g2", 1_000).await;
        assert_eq!(
            after.amount.nanos(),
            more.amount.nanos() + leases[2].amount.nanos(),
            "g2 took what g3 gave back: {after:?}"
        );
    }
);

on_each_database!(
    a_short_lease_grows_before_a_requests_output_is_cut,
    |db| async move {
        use openrouter_team_bot::money::UnitPrice;
        use openrouter_team_bot::team::budget_hold::{ModelPrices, RequestSize};
        use openrouter_team_bot::team::shared_key::{Budgets, TokenLimit};

        let store = &db.store;
        store.save_key(&token()).await.unwrap();
        let budgets = Budgets::new(store.clone(), "g1".into());
        // $2.50 per million input tokens, $10 per million output tokens; $0.40 a day.
        let prices = ModelPrices {
            prompt: UnitPrice::from_picos(2_500_000),
            completion: UnitPrice::from_picos(10_000_000),
            request: UnitPrice::FREE,
            context_length: Some(128_000),
            max_output_tokens: Some(16_384),
        };
        let limit = TokenLimit {
            limit: Some(NanoUsd::from_nanos(400_000_000)),
            reset: LimitReset::Daily,
        };
        let size = |asked: Option<u64>| RequestSize {
            input_tokens: 100,
            asked_output_tokens: asked,
            tier_output_cap: Some(10_000),
        };

        // A small request leases an eighth of the budget, far more than it holds.
        let small = budgets
            .hold(TOKEN, limit, &prices, &size(Some(20)), now())
            .await
            .unwrap()
            .unwrap();
        assert!(small.amount.nanos() < 1_000_000, "{small:?}");
        // A big one does not fit what is left of that lease, but fits the budget: the lease
        // grows and the request keeps its whole output cap.
        let big = budgets
            .hold(TOKEN, limit, &prices, &size(None), now())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(big.output_cap, Some(10_000), "{big:?}");
        assert_eq!(big.amount.nanos(), 100 * 2_500 + 10_000 * 10_000);
    }
);
