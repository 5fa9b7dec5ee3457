//! The store's typed operations, each run on SQLite and (with `TEST_DATABASE_URL`) on PostgreSQL.

mod support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use openrouter_team_bot::money::Usd;
use openrouter_team_bot::openrouter::{ApiKey, KeyHash, Usage};
use openrouter_team_bot::reset::LimitReset;
use openrouter_team_bot::store::{AlertClaim, Backend, StoreError};
use openrouter_team_bot::team::{
    AuditEntry, DiscordId, MemberName, MemberStatus, NewKeyRequest, RequestKind, RequestStatus,
    TeamKey,
};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap()
}

fn name(n: &str) -> MemberName {
    MemberName::parse(n).unwrap()
}

fn api_key(i: usize, daily_cents: i64) -> ApiKey {
    ApiKey {
        hash: KeyHash(format!("{i:064x}")),
        name: format!("team:member{i}:r{i}"),
        label: format!("sk-or-v1-{i:03}...abc"),
        disabled: false,
        limit: Some(Usd::from_dollars(10)),
        limit_remaining: None,
        limit_reset: LimitReset::Daily,
        include_byok_in_limit: false,
        usage: Usage {
            total: Usd::from_micros(daily_cents * 10_000 * 3),
            daily: Usd::from_micros(daily_cents * 10_000),
            weekly: Usd::from_micros(daily_cents * 10_000 * 2),
            monthly: Usd::from_micros(daily_cents * 10_000 * 3),
        },
        created_at: now() - Duration::days(3),
        updated_at: None,
        expires_at: None,
        workspace_id: None,
    }
}

fn request_for(user: u64, member: &str) -> NewKeyRequest {
    NewKeyRequest {
        requester: DiscordId(user),
        member_id: None,
        member_name: member.into(),
        tier: "basic".into(),
        kind: RequestKind::New,
        reason: "prototype work".into(),
        replaces_key_hash: None,
        expires_at: now() + Duration::days(7),
    }
}

on_each_database!(
    the_test_database_is_the_backend_it_claims,
    |db| async move {
        let version = db.store.server_version().await.unwrap();
        match db.store.backend() {
            Backend::Postgres => assert!(version.starts_with("PostgreSQL"), "{version}"),
            Backend::Sqlite => assert!(version.starts_with("SQLite"), "{version}"),
        }
        assert!(db.url.starts_with(match db.store.backend() {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }));
    }
);

on_each_database!(
    members_are_added_found_linked_and_departed_once,
    |db| async move {
        let store = &db.store;
        let alice = store
            .add_member(&name("Alice"), Some(DiscordId(111)), Some("pro"), now())
            .await
            .unwrap();
        assert_eq!(alice.name.as_str(), "alice");
        assert_eq!(alice.tier.as_deref(), Some("pro"));
        assert_eq!(alice.status, MemberStatus::Active);

        let duplicate = store.add_member(&name("alice"), None, None, now()).await;
        assert!(matches!(duplicate, Err(StoreError::Duplicate(_))));
        let same_account = store
            .add_member(&name("bob"), Some(DiscordId(111)), None, now())
            .await;
        assert!(matches!(same_account, Err(StoreError::Duplicate(_))));

        let found = store.member_by_discord_id(DiscordId(111)).await.unwrap();
        assert_eq!(found.as_ref().map(|m| m.id), Some(alice.id));
        assert!(
            store
                .member_by_discord_id(DiscordId(999))
                .await
                .unwrap()
                .is_none()
        );

        let bob = store
            .add_member(&name("bob"), None, None, now())
            .await
            .unwrap();
        assert!(
            store
                .link_member(bob.id, DiscordId(222), now())
                .await
                .unwrap()
        );
        let taken = store.link_member(bob.id, DiscordId(111), now()).await;
        assert!(matches!(taken, Err(StoreError::Duplicate(_))));
        assert!(
            store
                .set_member_tier(bob.id, Some("research"), now())
                .await
                .unwrap()
        );
        assert_eq!(
            store.member(bob.id).await.unwrap().unwrap().tier.as_deref(),
            Some("research")
        );

        assert!(store.mark_departed(alice.id, now()).await.unwrap());
        assert!(
            !store.mark_departed(alice.id, now()).await.unwrap(),
            "a departure is handled once"
        );
        let members = store.members().await.unwrap();
        let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, vec!["bob", "alice"], "active members come first");
        assert!(store.unlink_member(bob.id, now()).await.unwrap());
        assert!(
            store
                .member_by_discord_id(DiscordId(222))
                .await
                .unwrap()
                .is_none()
        );
        assert!(store.delete_member(bob.id).await.unwrap());
    }
);

on_each_database!(
    the_mykey_lookup_of_a_users_latest_request_uses_an_index,
    |db| async move {
        // The query of `Store::latest_request_for`, which every /mykey runs.
        let query =
            "SELECT id FROM key_requests WHERE discord_user_id = 42 ORDER BY id DESC LIMIT 1";
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
        let mut connection = pool.acquire().await.unwrap();
        let plan: Vec<String> = match db.store.backend() {
            Backend::Sqlite => {
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {query}")))
                    .fetch_all(&mut *connection)
                    .await
                    .unwrap();
                rows.iter()
                    .map(|r| sqlx::Row::get::<String, _>(r, "detail"))
                    .collect()
            }
            Backend::Postgres => {
                // An empty table is cheapest to scan; with scans priced out, the plan shows
                // whether an index serves the query at all.
                sqlx::query("SET enable_seqscan = off")
                    .execute(&mut *connection)
                    .await
                    .unwrap();
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN {query}")))
                    .fetch_all(&mut *connection)
                    .await
                    .unwrap();
                rows.iter()
                    .map(|r| sqlx::Row::get::<String, _>(r, 0))
                    .collect()
            }
        };
        let plan = plan.join("\n");
        assert!(plan.contains("key_requests_by_user"), "{plan}");
        assert!(
            !plan.contains("SCAN key_requests\n") && !plan.ends_with("SCAN key_requests"),
            "{plan}"
        );
    }
);

on_each_database!(a_user_has_one_request_in_flight, |db| async move {
    let store = &db.store;
    let first = store
        .create_request(&request_for(7, "carol"), now())
        .await
        .unwrap();
    assert_eq!(first.status, RequestStatus::Pending);
    let second = store.create_request(&request_for(7, "carol"), now()).await;
    assert!(matches!(second, Err(StoreError::Duplicate(_))));
    assert!(
        store
            .deny_request(first.id, DiscordId(1), "not now", now())
            .await
            .unwrap()
    );
    let third = store
        .create_request(&request_for(7, "carol"), now())
        .await
        .unwrap();
    assert_eq!(
        store
            .open_request_for(DiscordId(7))
            .await
            .unwrap()
            .map(|r| r.id),
        Some(third.id)
    );
    let denied = store.request(first.id).await.unwrap().unwrap();
    assert_eq!(denied.decision_note.as_deref(), Some("not now"));
    assert_eq!(denied.decided_by, Some(DiscordId(1)));
});

on_each_database!(two_admins_approving_at_once_approve_once, |db| async move {
    let store = &db.store;
    let request = store
        .create_request(&request_for(8, "dave"), now())
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        store.approve_request(request.id, Some(DiscordId(1)), None, now()),
        store.approve_request(request.id, Some(DiscordId(2)), None, now()),
    );
    assert_eq!([a.unwrap(), b.unwrap()].iter().filter(|w| **w).count(), 1);
    assert!(
        !store
            .deny_request(request.id, DiscordId(2), "late", now())
            .await
            .unwrap()
    );

    let (r1, r2) = tokio::join!(
        store.begin_provisioning(request.id, "team:dave:r1", now()),
        store.begin_provisioning(request.id, "team:dave:r1", now()),
    );
    assert_eq!([r1.unwrap(), r2.unwrap()].iter().filter(|w| **w).count(), 1);
    assert!(store.abort_provisioning(request.id, now()).await.unwrap());
    assert!(
        store
            .begin_provisioning(request.id, "team:dave:r1", now())
            .await
            .unwrap()
    );
    assert!(
        store
            .finish_provisioning(request.id, "hash1", now())
            .await
            .unwrap()
    );
    assert!(
        !store
            .finish_provisioning(request.id, "hash2", now())
            .await
            .unwrap()
    );
    let done = store.request(request.id).await.unwrap().unwrap();
    assert_eq!(done.status, RequestStatus::Fulfilled);
    assert_eq!(done.key_hash.as_deref(), Some("hash1"));
    assert_eq!(done.key_name.as_deref(), Some("team:dave:r1"));
});

on_each_database!(overdue_requests_expire_once, |db| async move {
    let store = &db.store;
    let old = store
        .create_request(&request_for(9, "erin"), now())
        .await
        .unwrap();
    let fresh = store
        .create_request(&request_for(10, "frank"), now())
        .await
        .unwrap();
    store
        .approve_request(fresh.id, Some(DiscordId(1)), None, now())
        .await
        .unwrap();
    let later = now() + Duration::days(8);
    let expired = store.expire_requests(later).await.unwrap();
    let mut ids: Vec<i64> = expired.iter().map(|r| r.id).collect();
    ids.sort();
    assert_eq!(ids, vec![old.id, fresh.id]);
    assert!(store.expire_requests(later).await.unwrap().is_empty());
    assert_eq!(
        store.request(old.id).await.unwrap().unwrap().status,
        RequestStatus::Expired
    );
});

on_each_database!(
    approval_cards_and_dm_failures_are_remembered,
    |db| async move {
        let store = &db.store;
        let request = store
            .create_request(&request_for(11, "gina"), now())
            .await
            .unwrap();
        store
            .set_approval_message(request.id, DiscordId(500), DiscordId(501))
            .await
            .unwrap();
        store.set_request_dm_failed(request.id, true).await.unwrap();
        let stored = store.request(request.id).await.unwrap().unwrap();
        assert_eq!(
            stored.approval_message,
            Some((DiscordId(500), DiscordId(501)))
        );
        assert!(stored.dm_failed);
    }
);

on_each_database!(
    keys_are_saved_and_found_by_member_and_hash,
    |db| async move {
        let store = &db.store;
        let member = store
            .add_member(&name("hana"), Some(DiscordId(12)), None, now())
            .await
            .unwrap();
        let key = TeamKey {
            hash: "h1".into(),
            member_id: Some(member.id),
            request_id: None,
            name: "team:hana:r1".into(),
            label: "sk-or-v1-abc...xyz".into(),
            workspace_id: None,
            disabled: false,
            limit: Some(Usd::from_dollars(10)),
            reset: LimitReset::Weekly,
            usage: Usage::default(),
            guardrail_id: Some("g1".into()),
            created_at: now(),
            expires_at: None,
            synced_at: None,
            deleted_at: None,
            access: openrouter_team_bot::domain::Access::Key,
        };
        store.save_key(&key).await.unwrap();
        assert_eq!(store.key("h1").await.unwrap().as_ref(), Some(&key));
        assert_eq!(
            store.keys_of_member(member.id).await.unwrap(),
            vec![key.clone()]
        );
        assert_eq!(store.keys_named("team:hana:r1").await.unwrap().len(), 1);

        assert!(store.set_key_disabled("h1", true).await.unwrap());
        assert!(
            store
                .set_key_limit("h1", Some(Usd::from_dollars(25)), LimitReset::Monthly)
                .await
                .unwrap()
        );
        assert!(store.set_key_guardrail("h1", None).await.unwrap());
        let changed = store.key("h1").await.unwrap().unwrap();
        assert!(changed.disabled);
        assert_eq!(changed.limit, Some(Usd::from_dollars(25)));
        assert_eq!(changed.reset, LimitReset::Monthly);
        assert_eq!(changed.guardrail_id, None);

        assert!(store.mark_key_deleted("h1", now()).await.unwrap());
        assert!(!store.mark_key_deleted("h1", now()).await.unwrap());
        assert!(store.keys_of_member(member.id).await.unwrap().is_empty());
        assert!(store.set_key_owner("h1", None).await.unwrap());
    }
);

on_each_database!(
    a_sync_stores_every_key_and_a_snapshot_each,
    |db| async move {
        let store = &db.store;
        let keys: Vec<ApiKey> = (0..950).map(|i| api_key(i, i as i64)).collect();
        let summary = store.record_sync(&keys, now()).await.unwrap();
        assert_eq!(summary.keys, 950);
        assert_eq!(summary.vanished, 0);
        assert_eq!(store.live_keys().await.unwrap().len(), 950);
        assert_eq!(store.snapshot_count().await.unwrap(), 950);
        let stored = store.key(keys[42].hash.as_str()).await.unwrap().unwrap();
        assert_eq!(stored.usage, keys[42].usage);
        assert_eq!(stored.member_id, None, "a key nobody owns stays unowned");

        // One key disappears at OpenRouter between syncs.
        let later = now() + Duration::minutes(5);
        let summary = store.record_sync(&keys[1..], later).await.unwrap();
        assert_eq!(summary.vanished, 1);
        assert!(
            store
                .key(keys[0].hash.as_str())
                .await
                .unwrap()
                .unwrap()
                .deleted_at
                .is_some()
        );
        assert_eq!(store.live_keys().await.unwrap().len(), 949);
        let snapshots = store
            .snapshots_between(now(), later + Duration::seconds(1))
            .await
            .unwrap();
        assert_eq!(snapshots.len(), 950 + 949);
    }
);

on_each_database!(
    every_field_of_a_synced_key_is_stored_as_listed_past_one_statement,
    |db| async move {
        let store = &db.store;
        let mut keys: Vec<ApiKey> = (0..2_100).map(|i| api_key(i, 1)).collect();
        let odd = &mut keys[2_050];
        odd.name = "team:zoë \"the quoted\" o'brien:r1\\n".into();
        odd.label = "sk-or-v1-日本...'\"".into();
        odd.workspace_id = Some("0df9e665-d932-5740-b2c7-b52af166bc11".into());
        odd.disabled = true;
        odd.limit = None;
        odd.limit_reset = LimitReset::Monthly;
        odd.usage.total = Usd::from_micros(9_007_199_254_740_993);
        odd.expires_at = Some(now() + Duration::days(30));
        let listed = odd.clone();

        store.record_sync(&keys, now()).await.unwrap();
        assert_eq!(store.live_keys().await.unwrap().len(), 2_100);
        assert_eq!(store.snapshot_count().await.unwrap(), 2_100);
        let stored = store.key(listed.hash.as_str()).await.unwrap().unwrap();
        assert_eq!(stored.name, listed.name);
        assert_eq!(stored.label, listed.label);
        assert_eq!(stored.workspace_id, listed.workspace_id);
        assert!(stored.disabled);
        assert_eq!(stored.limit, None);
        assert_eq!(stored.reset, LimitReset::Monthly);
        assert_eq!(stored.usage, listed.usage);
        assert_eq!(stored.created_at, listed.created_at);
        assert_eq!(stored.expires_at, listed.expires_at);
        assert_eq!(stored.synced_at, Some(now()));
        let plain = store.key(keys[7].hash.as_str()).await.unwrap().unwrap();
        assert!(!plain.disabled);
        assert_eq!(plain.limit, Some(Usd::from_dollars(10)));
        assert_eq!(plain.workspace_id, None);
        assert_eq!(plain.expires_at, None);

        let summary = store
            .record_sync(&keys[2_001..], now() + Duration::minutes(5))
            .await
            .unwrap();
        assert_eq!(summary.vanished, 2_001, "keys in two batches vanish");
        assert_eq!(store.live_keys().await.unwrap().len(), 99);
    }
);

on_each_database!(
    a_key_gone_between_two_syncs_in_the_same_second_is_seen_to_vanish,
    |db| async move {
        let store = &db.store;
        let keys: Vec<ApiKey> = (0..3).map(|i| api_key(i, i as i64)).collect();
        store.record_sync(&keys, now()).await.unwrap();

        let summary = store.record_sync(&keys[1..], now()).await.unwrap();

        assert_eq!(summary.vanished, 1);
        let gone = store.key(keys[0].hash.as_str()).await.unwrap().unwrap();
        assert_eq!(gone.deleted_at, Some(now()));
        assert_eq!(store.live_keys().await.unwrap().len(), 2);
        let summary = store.record_sync(&keys[1..], now()).await.unwrap();
        assert_eq!(summary.vanished, 0, "a key vanishes once");
    }
);

on_each_database!(
    old_snapshots_are_thinned_to_one_per_key_per_day,
    |db| async move {
        let store = &db.store;
        let keys: Vec<ApiKey> = (0..3).map(|i| api_key(i, 1)).collect();
        let start = now() - Duration::days(40);
        for hour in 0..48 {
            store
                .record_sync(&keys, start + Duration::hours(hour))
                .await
                .unwrap();
        }
        store.record_sync(&keys, now()).await.unwrap();
        let removed = store
            .prune_snapshots(now() - Duration::days(35))
            .await
            .unwrap();
        // 48 hourly syncs over 3 UTC days (10:00 to 09:00 two days later) keep one per day.
        assert_eq!(store.snapshot_count().await.unwrap(), 3 * 3 + 3);
        assert_eq!(removed, 3 * 48 - 3 * 3);
    }
);

on_each_database!(the_audit_log_reads_back_newest_first, |db| async move {
    let store = &db.store;
    for (i, action) in ["link_member", "approve_request", "revoke_key"]
        .iter()
        .enumerate()
    {
        store
            .append_audit(&AuditEntry {
                at: now() + Duration::minutes(i as i64),
                actor_id: Some(DiscordId(1)),
                actor_name: "admin".into(),
                action: action.to_string(),
                target: "alice".into(),
                details: format!("step {i}"),
            })
            .await
            .unwrap();
    }
    let recent = store.recent_audit(2).await.unwrap();
    let actions: Vec<&str> = recent.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, vec!["revoke_key", "approve_request"]);
    assert_eq!(recent[0].actor_id, Some(DiscordId(1)));
});

on_each_database!(
    a_job_period_is_claimed_once_even_by_two_instances,
    |db| async move {
        let other = openrouter_team_bot::store::Store::connect(&db.url, 2)
            .await
            .unwrap();
        let (a, b) = tokio::join!(
            db.store
                .claim_job_run("weekly_digest", "2026-W48", "a", now()),
            other.claim_job_run("weekly_digest", "2026-W48", "b", now()),
        );
        assert_eq!([a.unwrap(), b.unwrap()].iter().filter(|w| **w).count(), 1);
        assert_eq!(db.store.job_run_count("weekly_digest").await.unwrap(), 1);
        db.store
            .finish_job_run("weekly_digest", "2026-W48", "posted", Some(123), now())
            .await
            .unwrap();
        assert_eq!(
            db.store
                .last_job_period("weekly_digest")
                .await
                .unwrap()
                .as_deref(),
            Some("2026-W48")
        );
        assert!(
            db.store
                .claim_job_run("sync", "x", "a", now())
                .await
                .unwrap()
        );
        db.store.release_job_run("sync", "x").await.unwrap();
        assert!(
            db.store
                .claim_job_run("sync", "x", "a", now())
                .await
                .unwrap()
        );
        other.close().await;
    }
);

on_each_database!(
    budget_alerts_and_notices_are_claimed_once,
    |db| async move {
        let store = &db.store;
        let window = now() - Duration::hours(10);
        assert!(
            store
                .claim_budget_alert("h", window, 80, now())
                .await
                .unwrap()
        );
        assert!(
            !store
                .claim_budget_alert("h", window, 80, now())
                .await
                .unwrap()
        );
        assert!(
            store
                .claim_budget_alert("h", window, 50, now())
                .await
                .unwrap()
        );
        assert_eq!(
            store.budget_alerts_sent("h", window).await.unwrap(),
            vec![50, 80]
        );
        assert!(
            store
                .claim_notice("credits_low", "team", "2026-11-27", now())
                .await
                .unwrap()
        );
        assert!(
            !store
                .claim_notice("credits_low", "team", "2026-11-27", now())
                .await
                .unwrap()
        );
    }
);

on_each_database!(
    a_batch_of_budget_alerts_is_claimed_once_each_past_one_statement,
    |db| async move {
        let store = &db.store;
        let window = now() - Duration::hours(10);
        let claim = |i: usize, threshold: u8| AlertClaim {
            key_hash: format!("{i:064x}"),
            window_start: window,
            threshold,
        };
        let mut claims: Vec<AlertClaim> = (0..250).map(|i| claim(i, 80)).collect();
        claims.push(claim(7, 80));
        assert!(
            store
                .claim_budget_alert(&claim(3, 80).key_hash, window, 80, now())
                .await
                .unwrap()
        );

        let won = store.claim_budget_alerts(&claims, now()).await.unwrap();
        assert_eq!(won.len(), 249, "250 distinct claims, one already taken");
        assert!(!won.contains(&claim(3, 80)));
        assert!(won.contains(&claim(249, 80)));

        let again = store.claim_budget_alerts(&claims, now()).await.unwrap();
        assert!(again.is_empty(), "claimed twice: {again:?}");
        assert_eq!(
            store
                .budget_alerts_sent(&claim(200, 80).key_hash, window)
                .await
                .unwrap(),
            vec![80]
        );
    }
);

#[tokio::test]
async fn a_database_file_created_on_connecting_or_deleted_later_is_noticed() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("team.db");
    let url = format!("sqlite://{}", path.display());

    let store = openrouter_team_bot::store::Store::connect(&url, 1)
        .await
        .expect("a new SQLite file opens");
    assert_eq!(store.created_file(), Some(path.as_path()));
    assert_eq!(store.vanished_file(), None);
    store.close().await;

    let store = openrouter_team_bot::store::Store::connect(&url, 1)
        .await
        .expect("the SQLite file opens again");
    assert_eq!(store.created_file(), None, "the file existed already");

    std::fs::remove_file(&path).expect("the file is deleted");
    assert_eq!(store.vanished_file(), Some(path.as_path()));
}
