//! The team's rules over time: how long requests wait, when keys expire, age or idle, and what
//! happens to a member's keys when they leave (the `[lifecycle]` settings, checked).

/// What happens to a member's keys when they leave the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnMemberLeave {
    Disable,
    Delete,
    Ignore,
}

/// `[lifecycle]`.
#[derive(Debug, Clone, PartialEq)]
pub struct LifecycleSettings {
    /// What happens to the keys of a member who leaves.
    pub on_member_leave: OnMemberLeave,
    /// Pending requests and unrevealed approvals expire after this many days.
    pub request_expiry_days: i64,
    /// New keys expire at OpenRouter after this many days; `None`: never.
    pub key_expiry_days: Option<i64>,
    /// Members are reminded to rotate keys older than this; `None`: never.
    pub max_key_age_days: Option<i64>,
    /// Keys past `max_key_age_days` are disabled after a final notice.
    pub disable_overdue: bool,
    /// Keys without spend for this many days are idle.
    pub idle_key_days: i64,
    /// Idle keys are disabled after a notice and `idle_grace_days`.
    pub disable_idle: bool,
    /// Days between the notice and disabling an idle or overdue key.
    pub idle_grace_days: i64,
}
