//! The config file exactly as written: one struct per table, unknown keys refused.

use indexmap::IndexMap;
use secrecy::SecretString;
use serde::Deserialize;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub discord: Option<DiscordFile>,
    #[serde(default)]
    pub openrouter: OpenRouterFile,
    #[serde(default)]
    pub database: DatabaseFile,
    pub default_tier: Option<String>,
    #[serde(default)]
    pub tiers: IndexMap<String, TierFile>,
    #[serde(default)]
    pub alerts: AlertsFile,
    #[serde(default)]
    pub sync: SyncFile,
    #[serde(default)]
    pub reports: ReportsFile,
    #[serde(default)]
    pub lifecycle: LifecycleFile,
    pub gateway: Option<super::gateway::GatewayFile>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DiscordFile {
    pub token: Option<SecretString>,
    pub guild_id: Option<u64>,
    #[serde(default)]
    pub admin_role_ids: Vec<u64>,
    pub approvals_channel_id: Option<u64>,
    pub alerts_channel_id: Option<u64>,
    pub reports_channel_id: Option<u64>,
    pub audit_channel_id: Option<u64>,
    pub api_base_url: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct OpenRouterFile {
    pub management_key: Option<SecretString>,
    pub base_url: Option<String>,
    pub workspace_id: Option<String>,
    pub key_name_prefix: Option<String>,
    pub timeout: Option<String>,
    pub max_attempts: Option<u32>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DatabaseFile {
    pub url: Option<String>,
    pub max_connections: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierFile {
    pub limit_usd: Option<f64>,
    pub limit_reset: Option<String>,
    pub allowed_models: Option<Vec<String>>,
    #[serde(default)]
    pub auto_approve: bool,
    #[serde(default)]
    pub role_ids: Vec<u64>,
    pub access: Option<String>,
    pub fallback_model: Option<String>,
    pub max_output_tokens: Option<u64>,
    pub max_in_flight_per_member: Option<u32>,
    pub requests_per_minute_per_member: Option<u32>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AlertsFile {
    pub thresholds: Option<Vec<i64>>,
    pub credits_floor_usd: Option<f64>,
    pub runway_days: Option<i64>,
    pub spike_factor: Option<f64>,
    pub spike_min_usd: Option<f64>,
    pub top_up_max_usd: Option<f64>,
    pub pace: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SyncFile {
    pub interval: Option<String>,
    pub page_concurrency: Option<usize>,
    pub snapshot_retention_days: Option<i64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReportsFile {
    pub weekly: Option<String>,
    pub timezone: Option<String>,
    pub catch_up_grace: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LifecycleFile {
    pub on_member_leave: Option<String>,
    pub request_expiry_days: Option<i64>,
    pub key_expiry_days: Option<i64>,
    pub max_key_age_days: Option<i64>,
    pub disable_overdue: Option<bool>,
    pub idle_key_days: Option<i64>,
    pub disable_idle: Option<bool>,
    pub idle_grace_days: Option<i64>,
}
