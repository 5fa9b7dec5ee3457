//! What the fake answers: its state (keys, guardrails, assignments, activity, faults, the request
//! log) and one function per endpoint, written to the official spec's shapes and status codes.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{
    Caller, DEFAULT_WORKSPACE_ID, Endpoint, FakeAssignment, FakeConfig, FakeGuardrail, FakeKey,
    Fault, KeySeed, OWNER_USER_ID, RecordedRequest,
};
use crate::money::Usd;
use crate::openrouter::wire;
use crate::openrouter::{ActivityRow, KEYS_PAGE_SIZE, KeyHash, Usage};
use crate::reset::LimitReset;

/// An answer: a status and a JSON body.
pub(crate) struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    fn ok(status: u16, body: impl Serialize) -> Reply {
        match serde_json::to_value(body) {
            Ok(body) => Reply { status, body },
            Err(e) => Reply::error(500, format!("the fake could not write its answer: {e}")),
        }
    }

    /// OpenRouter's error shape: `{"error": {"code": status, "message": ...}}`.
    pub fn error(status: u16, message: impl Into<String>) -> Reply {
        Reply {
            status,
            body: json!({"error": {"code": status, "message": message.into()}}),
        }
    }
}

/// A request, routed and parsed.
pub(crate) struct Incoming {
    pub endpoint: Option<Endpoint>,
    /// The `{hash}` or `{id}` in the path.
    param: Option<String>,
    query: Vec<(String, String)>,
    pub body: Option<Value>,
    body_error: Option<String>,
    pub caller: Caller,
}

impl Incoming {
    pub fn new(
        method: &axum::http::Method,
        path: Option<&str>,
        query: Option<&str>,
        body: Option<Result<Value, String>>,
        caller: Caller,
    ) -> Incoming {
        let segments: Vec<&str> = path
            .unwrap_or("")
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        let (endpoint, param) = match path {
            Some(_) => route(method.as_str(), &segments),
            None => (None, None),
        };
        let query = query
            .and_then(|q| format!("/?{q}").parse::<axum::http::Uri>().ok())
            .and_then(|uri| axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&uri).ok())
            .map(|q| q.0)
            .unwrap_or_default();
        let (body, body_error) = match body {
            None => (None, None),
            Some(Ok(value)) => (Some(value), None),
            Some(Err(e)) => (None, Some(e)),
        };
        Incoming {
            endpoint,
            param,
            query,
            body,
            body_error,
            caller,
        }
    }

    fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    fn param(&self) -> &str {
        self.param.as_deref().unwrap_or("")
    }

    /// The body as a JSON object, or the 400 the real API gives for anything else.
    fn object(&self) -> Result<&Map<String, Value>, Reply> {
        if let Some(error) = &self.body_error {
            return Err(Reply::error(400, format!("Invalid JSON body: {error}")));
        }
        match &self.body {
            Some(Value::Object(map)) => Ok(map),
            Some(_) => Err(Reply::error(400, "The request body must be a JSON object")),
            None => Err(Reply::error(400, "A JSON request body is required")),
        }
    }
}

fn route(method: &str, segments: &[&str]) -> (Option<Endpoint>, Option<String>) {
    let param = |i: usize| segments.get(i).map(|s| s.to_string());
    let endpoint = match (method, segments) {
        ("GET", ["key"]) => Endpoint::CurrentKey,
        ("GET", ["keys"]) => Endpoint::ListKeys,
        ("POST", ["keys"]) => Endpoint::CreateKey,
        ("GET", ["keys", _]) => Endpoint::GetKey,
        ("PATCH", ["keys", _]) => Endpoint::UpdateKey,
        ("DELETE", ["keys", _]) => Endpoint::DeleteKey,
        ("GET", ["credits"]) => Endpoint::Credits,
        ("GET", ["activity"]) => Endpoint::Activity,
        ("GET", ["guardrails"]) => Endpoint::ListGuardrails,
        ("POST", ["guardrails"]) => Endpoint::CreateGuardrail,
        ("PATCH", ["guardrails", _]) => Endpoint::UpdateGuardrail,
        ("GET", ["guardrails", _, "assignments", "keys"]) => Endpoint::ListKeyAssignments,
        ("POST", ["guardrails", _, "assignments", "keys"]) => Endpoint::AssignKeys,
        ("POST", ["guardrails", _, "assignments", "keys", "remove"]) => Endpoint::UnassignKeys,
        _ => return (None, None),
    };
    (Some(endpoint), param(1))
}

/// A fault waiting for requests to its endpoint; `remaining: None` is forever.
pub(crate) struct PlannedFault {
    endpoint: Endpoint,
    remaining: Option<usize>,
    fault: Fault,
}

impl PlannedFault {
    pub fn new(endpoint: Endpoint, remaining: Option<usize>, fault: Fault) -> PlannedFault {
        PlannedFault {
            endpoint,
            remaining,
            fault,
        }
    }
}

/// Deterministic ids: a counter run through SplitMix64, so they look random but repeat exactly.
struct IdSource {
    counter: u64,
}

impl IdSource {
    fn next(&mut self) -> u64 {
        self.counter = self.counter.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.counter;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// 64 lowercase hex digits, the shape of a key hash and of a key's secret part.
    fn hex64(&mut self) -> String {
        (0..4).map(|_| format!("{:016x}", self.next())).collect()
    }

    /// A version-4-shaped UUID.
    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }
}

/// A key and its plaintext (the plaintext stays inside the fake).
struct StoredKey {
    key: FakeKey,
    secret: String,
}

/// Everything the fake holds.
pub(crate) struct State {
    pub config: FakeConfig,
    pub now: Option<DateTime<Utc>>,
    ids: IdSource,
    keys: Vec<StoredKey>,
    pub guardrails: Vec<FakeGuardrail>,
    pub assignments: Vec<FakeAssignment>,
    pub activity: Vec<(KeyHash, ActivityRow)>,
    pub faults: Vec<PlannedFault>,
    pub requests: Vec<RecordedRequest>,
}

impl State {
    pub fn new(config: FakeConfig) -> State {
        State {
            config,
            now: None,
            ids: IdSource { counter: 0 },
            keys: Vec::new(),
            guardrails: Vec::new(),
            assignments: Vec::new(),
            activity: Vec::new(),
            faults: Vec::new(),
            requests: Vec::new(),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.now.unwrap_or_else(Utc::now)
    }

    /// Who a bearer token belongs to.
    pub fn caller(&self, token: Option<&str>) -> Caller {
        let Some(token) = token else {
            return Caller::Missing;
        };
        if token == self.config.management_key {
            Caller::Management
        } else if token == self.config.regular_key {
            Caller::Regular
        } else if let Some(stored) = self.keys.iter().find(|k| k.secret == token) {
            Caller::IssuedKey(stored.key.hash.clone())
        } else {
            Caller::Unknown
        }
    }

    /// The next fault planned for `endpoint`, used up by this request.
    pub fn take_fault(&mut self, endpoint: Endpoint) -> Option<Fault> {
        let index = self.faults.iter().position(|f| f.endpoint == endpoint)?;
        let planned = &mut self.faults[index];
        let fault = planned.fault.clone();
        if let Some(remaining) = planned.remaining.as_mut() {
            *remaining -= 1;
            if *remaining == 0 {
                self.faults.remove(index);
            }
        }
        Some(fault)
    }

    pub fn keys(&self) -> Vec<FakeKey> {
        self.keys.iter().map(|k| k.key.clone()).collect()
    }

    pub fn key_mut(&mut self, hash: &KeyHash) -> Option<&mut FakeKey> {
        self.keys
            .iter_mut()
            .find(|k| &k.key.hash == hash)
            .map(|k| &mut k.key)
    }

    fn key(&self, hash: &str) -> Option<&FakeKey> {
        self.keys
            .iter()
            .map(|k| &k.key)
            .find(|k| k.hash.as_str() == hash)
    }

    pub fn add_key(&mut self, seed: KeySeed) -> &FakeKey {
        let hash = KeyHash(self.ids.hex64());
        let secret = format!("sk-or-v1-{}", self.ids.hex64());
        let key = FakeKey {
            hash,
            name: seed.name,
            label: mask(&secret),
            disabled: seed.disabled,
            limit: seed.limit,
            limit_reset: seed.limit_reset,
            include_byok_in_limit: false,
            usage: seed.usage,
            byok_usage: Usage::default(),
            created_at: self.now(),
            updated_at: None,
            expires_at: seed.expires_at,
            creator_user_id: Some(OWNER_USER_ID.to_string()),
            workspace_id: seed
                .workspace_id
                .unwrap_or_else(|| DEFAULT_WORKSPACE_ID.to_string()),
        };
        self.keys.push(StoredKey { key, secret });
        &self.keys[self.keys.len() - 1].key
    }

    pub fn add_guardrail(&mut self, name: &str, allowed_models: Option<Vec<String>>) -> String {
        let id = self.ids.uuid();
        self.guardrails.push(FakeGuardrail {
            id: id.clone(),
            name: name.to_string(),
            description: None,
            allowed_models,
            limit_usd: None,
            reset_interval: None,
            include_byok_in_budgets: false,
            created_at: self.now(),
            updated_at: None,
            workspace_id: DEFAULT_WORKSPACE_ID.to_string(),
        });
        id
    }

    /// The answer to a request that passed the fault plan.
    pub fn answer(&mut self, request: &Incoming) -> Reply {
        let Some(endpoint) = request.endpoint else {
            return Reply::error(404, "Not Found");
        };
        match (&request.caller, endpoint) {
            (Caller::Missing, _) => return Reply::error(401, "Missing Authentication header"),
            (Caller::Unknown, _) => return Reply::error(401, "User not found."),
            (Caller::Regular | Caller::IssuedKey(_), Endpoint::CurrentKey) => {}
            (Caller::Regular | Caller::IssuedKey(_), _) => {
                return Reply::error(
                    403,
                    "Only management keys can perform this operation. Create one in your OpenRouter settings.",
                );
            }
            (Caller::Management, _) => {}
        }
        let result = match endpoint {
            Endpoint::CurrentKey => Ok(self.current_key(&request.caller)),
            Endpoint::ListKeys => self.list_keys(request),
            Endpoint::CreateKey => self.create_key(request),
            Endpoint::GetKey => self.get_key(request),
            Endpoint::UpdateKey => self.update_key(request),
            Endpoint::DeleteKey => self.delete_key(request),
            Endpoint::Credits => Ok(self.credits()),
            Endpoint::Activity => self.activity(request),
            Endpoint::ListGuardrails => self.list_guardrails(request),
            Endpoint::CreateGuardrail => self.create_guardrail(request),
            Endpoint::UpdateGuardrail => self.update_guardrail(request),
            Endpoint::ListKeyAssignments => self.list_assignments(request),
            Endpoint::AssignKeys => self.assign_keys(request),
            Endpoint::UnassignKeys => self.unassign_keys(request),
        };
        result.unwrap_or_else(|refusal| refusal)
    }

    fn current_key(&self, caller: &Caller) -> Reply {
        let mut info = wire::CurrentKeyInfo {
            label: String::new(),
            limit: None,
            limit_remaining: None,
            limit_reset: None,
            include_byok_in_limit: false,
            usage: Usd::ZERO,
            usage_daily: Usd::ZERO,
            usage_weekly: Usd::ZERO,
            usage_monthly: Usd::ZERO,
            byok_usage: Usd::ZERO,
            byok_usage_daily: Usd::ZERO,
            byok_usage_weekly: Usd::ZERO,
            byok_usage_monthly: Usd::ZERO,
            is_free_tier: false,
            is_management_key: Some(false),
            is_provisioning_key: Some(false),
            creator_user_id: Some(OWNER_USER_ID.to_string()),
            expires_at: None,
            rate_limit: wire::RateLimit::default(),
        };
        match caller {
            Caller::Management => {
                info.label = mask(&self.config.management_key);
                info.is_management_key = Some(true);
                info.is_provisioning_key = Some(true);
            }
            Caller::IssuedKey(hash) => {
                if let Some(key) = self.key(hash.as_str()) {
                    let w = wire_key(key);
                    info.label = w.label;
                    info.limit = w.limit;
                    info.limit_remaining = w.limit_remaining;
                    info.limit_reset = w.limit_reset;
                    info.include_byok_in_limit = w.include_byok_in_limit;
                    info.usage = w.usage;
                    info.usage_daily = w.usage_daily;
                    info.usage_weekly = w.usage_weekly;
                    info.usage_monthly = w.usage_monthly;
                    info.expires_at = w.expires_at;
                }
            }
            _ => info.label = mask(&self.config.regular_key),
        }
        Reply::ok(200, wire::Data { data: info })
    }

    fn list_keys(&self, request: &Incoming) -> Result<Reply, Reply> {
        let offset = query_number(request, "offset", 0)?;
        let include_disabled = match request.query("include_disabled") {
            None | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(other) => {
                return Err(Reply::error(
                    400,
                    format!("include_disabled must be true or false, not {other:?}"),
                ));
            }
        };
        let workspace = request
            .query("workspace_id")
            .unwrap_or(DEFAULT_WORKSPACE_ID);
        let page: Vec<wire::Key> = self
            .keys
            .iter()
            .map(|k| &k.key)
            .filter(|k| k.workspace_id == workspace && (include_disabled || !k.disabled))
            .skip(offset)
            .take(KEYS_PAGE_SIZE)
            .map(wire_key)
            .collect();
        Ok(Reply::ok(200, wire::Data { data: page }))
    }

    fn create_key(&mut self, request: &Incoming) -> Result<Reply, Reply> {
        let body = request.object()?;
        let name = match string_field(body, "name")? {
            Field::Value(name) if !name.trim().is_empty() => name,
            _ => return Err(Reply::error(400, "name is required")),
        };
        let limit = amount_field(body, "limit")?.value();
        let limit_reset = reset_field(body, "limit_reset")?
            .value()
            .unwrap_or(LimitReset::Never);
        let expires_at = match string_field(body, "expires_at")? {
            Field::Value(text) => {
                let at = DateTime::parse_from_rfc3339(&text)
                    .map_err(|_| Reply::error(400, "expires_at must be an ISO 8601 date-time"))?
                    .with_timezone(&Utc);
                if at <= self.now() {
                    return Err(Reply::error(400, "expires_at must be in the future"));
                }
                Some(at)
            }
            _ => None,
        };
        let include_byok_in_limit = bool_field(body, "include_byok_in_limit")?
            .value()
            .unwrap_or(false);
        let workspace_id = string_field(body, "workspace_id")?.value();
        let creator = string_field(body, "creator_user_id")?.value();

        let hash = self
            .add_key(KeySeed {
                name,
                disabled: false,
                limit,
                limit_reset,
                usage: Usage::default(),
                workspace_id,
                expires_at,
            })
            .hash
            .clone();
        let stored = self
            .keys
            .iter_mut()
            .find(|k| k.key.hash == hash)
            .ok_or_else(|| Reply::error(500, "the key vanished"))?;
        stored.key.include_byok_in_limit = include_byok_in_limit;
        if creator.is_some() {
            stored.key.creator_user_id = creator;
        }
        Ok(Reply::ok(
            201,
            wire::CreatedKeyBody {
                data: wire_key(&stored.key),
                key: stored.secret.clone(),
            },
        ))
    }

    fn get_key(&self, request: &Incoming) -> Result<Reply, Reply> {
        let key = self.key(request.param()).ok_or_else(key_not_found)?;
        Ok(Reply::ok(
            200,
            wire::Data {
                data: wire_key(key),
            },
        ))
    }

    fn update_key(&mut self, request: &Incoming) -> Result<Reply, Reply> {
        if self.key(request.param()).is_none() {
            return Err(key_not_found());
        }
        let body = request.object()?;
        let name = string_field(body, "name")?;
        if let Field::Null = name {
            return Err(Reply::error(400, "name cannot be null"));
        }
        if let Field::Value(name) = &name
            && name.trim().is_empty()
        {
            return Err(Reply::error(400, "name cannot be empty"));
        }
        let disabled = bool_field(body, "disabled")?;
        let limit = amount_field(body, "limit")?;
        let limit_reset = reset_field(body, "limit_reset")?;
        let include_byok = bool_field(body, "include_byok_in_limit")?;
        let now = self.now();
        let hash = KeyHash(request.param().to_string());
        let key = self.key_mut(&hash).ok_or_else(key_not_found)?;
        if let Field::Value(name) = name {
            key.name = name;
        }
        if let Field::Value(disabled) = disabled {
            key.disabled = disabled;
        }
        match limit {
            Field::Value(limit) => key.limit = Some(limit),
            Field::Null => key.limit = None,
            Field::Absent => {}
        }
        match limit_reset {
            Field::Value(reset) => key.limit_reset = reset,
            Field::Null => key.limit_reset = LimitReset::Never,
            Field::Absent => {}
        }
        if let Field::Value(include) = include_byok {
            key.include_byok_in_limit = include;
        }
        key.updated_at = Some(now);
        Ok(Reply::ok(
            200,
            wire::Data {
                data: wire_key(key),
            },
        ))
    }

    fn delete_key(&mut self, request: &Incoming) -> Result<Reply, Reply> {
        let index = self
            .keys
            .iter()
            .position(|k| k.key.hash.as_str() == request.param())
            .ok_or_else(key_not_found)?;
        let removed = self.keys.remove(index);
        self.assignments.retain(|a| a.key_hash != removed.key.hash);
        Ok(Reply::ok(200, wire::Deleted { deleted: true }))
    }

    fn credits(&self) -> Reply {
        Reply::ok(
            200,
            wire::Data {
                data: wire::CreditsBody {
                    total_credits: self.config.credits.total_credits,
                    total_usage: self.config.credits.total_usage,
                },
            },
        )
    }

    fn activity(&self, request: &Incoming) -> Result<Reply, Reply> {
        let date = match request.query("date") {
            Some(date) => Some(
                NaiveDate::parse_from_str(date, "%Y-%m-%d")
                    .map_err(|_| Reply::error(400, "date must be YYYY-MM-DD"))?
                    .format("%Y-%m-%d")
                    .to_string(),
            ),
            None => None,
        };
        let key = request.query("api_key_hash");
        // Rows of one day and model are one row at OpenRouter; summing keeps that true here.
        let mut summed: BTreeMap<(String, String), wire::ActivityItem> = BTreeMap::new();
        for (hash, row) in &self.activity {
            if key.is_some_and(|k| k != hash.as_str())
                || date.as_ref().is_some_and(|d| *d != row.date)
            {
                continue;
            }
            let item = summed
                .entry((row.date.clone(), row.model.clone()))
                .or_insert_with(|| activity_item(&row.date, &row.model));
            item.usage = item.usage + row.usage;
            item.requests += row.requests;
            item.prompt_tokens += row.prompt_tokens;
            item.completion_tokens += row.completion_tokens;
        }
        // Newest day first, as OpenRouter lists them.
        let mut rows: Vec<wire::ActivityItem> = summed.into_values().collect();
        rows.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.model.cmp(&b.model)));
        Ok(Reply::ok(200, wire::Data { data: rows }))
    }

    fn list_guardrails(&self, request: &Incoming) -> Result<Reply, Reply> {
        let (offset, limit) = page_params(request)?;
        let workspace = request.query("workspace_id");
        let matching: Vec<&FakeGuardrail> = self
            .guardrails
            .iter()
            .filter(|g| workspace.is_none_or(|w| g.workspace_id == w))
            .collect();
        let data: Vec<wire::GuardrailBody> = matching
            .iter()
            .skip(offset)
            .take(limit)
            .map(|g| wire_guardrail(g))
            .collect();
        Ok(Reply::ok(
            200,
            wire::Page {
                data,
                total_count: Some(matching.len() as u64),
            },
        ))
    }

    fn create_guardrail(&mut self, request: &Incoming) -> Result<Reply, Reply> {
        let body = request.object()?;
        let name = match string_field(body, "name")? {
            Field::Value(name) => valid_guardrail_name(name)?,
            _ => return Err(Reply::error(400, "name is required")),
        };
        let description = description_field(body)?.value();
        let allowed_models = models_field(body)?.value();
        let limit_usd = amount_field(body, "limit_usd")?.value();
        let reset_interval = reset_field(body, "reset_interval")?
            .value()
            .and_then(|r| r.to_api().map(str::to_string));
        let include_byok = bool_field(body, "include_byok_in_budgets")?
            .value()
            .unwrap_or(false);
        let workspace_id = string_field(body, "workspace_id")?.value();

        let id = self.add_guardrail(&name, allowed_models);
        let guardrail = self
            .guardrails
            .iter_mut()
            .find(|g| g.id == id)
            .ok_or_else(|| Reply::error(500, "the guardrail vanished"))?;
        guardrail.description = description;
        guardrail.limit_usd = limit_usd;
        guardrail.reset_interval = reset_interval;
        guardrail.include_byok_in_budgets = include_byok;
        if let Some(workspace_id) = workspace_id {
            guardrail.workspace_id = workspace_id;
        }
        Ok(Reply::ok(
            201,
            wire::Data {
                data: wire_guardrail(guardrail),
            },
        ))
    }

    fn update_guardrail(&mut self, request: &Incoming) -> Result<Reply, Reply> {
        let now = self.now();
        let index = self.guardrail_index(request.param())?;
        let body = request.object()?;
        let name = match string_field(body, "name")? {
            Field::Value(name) => Some(valid_guardrail_name(name)?),
            Field::Null => return Err(Reply::error(400, "name cannot be null")),
            Field::Absent => None,
        };
        let description = description_field(body)?;
        let allowed_models = models_field(body)?;
        let limit_usd = amount_field(body, "limit_usd")?;
        let reset_interval = reset_field(body, "reset_interval")?;
        let include_byok = bool_field(body, "include_byok_in_budgets")?;

        let guardrail = &mut self.guardrails[index];
        if let Some(name) = name {
            guardrail.name = name;
        }
        description.apply_to(&mut guardrail.description);
        allowed_models.apply_to(&mut guardrail.allowed_models);
        limit_usd.apply_to(&mut guardrail.limit_usd);
        match reset_interval {
            Field::Value(reset) => guardrail.reset_interval = reset.to_api().map(str::to_string),
            Field::Null => guardrail.reset_interval = None,
            Field::Absent => {}
        }
        if let Field::Value(include) = include_byok {
            guardrail.include_byok_in_budgets = include;
        }
        guardrail.updated_at = Some(now);
        Ok(Reply::ok(
            200,
            wire::Data {
                data: wire_guardrail(guardrail),
            },
        ))
    }

    fn list_assignments(&self, request: &Incoming) -> Result<Reply, Reply> {
        let index = self.guardrail_index(request.param())?;
        let (offset, limit) = page_params(request)?;
        let guardrail_id = &self.guardrails[index].id;
        let matching: Vec<&FakeAssignment> = self
            .assignments
            .iter()
            .filter(|a| &a.guardrail_id == guardrail_id)
            .collect();
        let data: Vec<wire::KeyAssignmentBody> = matching
            .iter()
            .skip(offset)
            .take(limit)
            .map(|a| {
                let key = self.key(a.key_hash.as_str());
                wire::KeyAssignmentBody {
                    id: a.id.clone(),
                    key_hash: a.key_hash.as_str().to_string(),
                    guardrail_id: a.guardrail_id.clone(),
                    key_name: key.map(|k| k.name.clone()).unwrap_or_default(),
                    key_label: key.map(|k| k.label.clone()).unwrap_or_default(),
                    assigned_by: Some(OWNER_USER_ID.to_string()),
                    created_at: Some(a.created_at),
                }
            })
            .collect();
        Ok(Reply::ok(
            200,
            wire::Page {
                data,
                total_count: Some(matching.len() as u64),
            },
        ))
    }

    /// Assigning replaces a key's earlier guardrail: a key holds at most one.
    fn assign_keys(&mut self, request: &Incoming) -> Result<Reply, Reply> {
        let index = self.guardrail_index(request.param())?;
        let hashes = key_hashes(request)?;
        if let Some(unknown) = hashes.iter().find(|h| self.key(h).is_none()) {
            return Err(Reply::error(404, format!("API key {unknown} not found")));
        }
        let guardrail_id = self.guardrails[index].id.clone();
        let now = self.now();
        let mut assigned = 0u64;
        for hash in hashes {
            let hash = KeyHash(hash);
            if self
                .assignments
                .iter()
                .any(|a| a.key_hash == hash && a.guardrail_id == guardrail_id)
            {
                continue;
            }
            self.assignments.retain(|a| a.key_hash != hash);
            let id = self.ids.uuid();
            self.assignments.push(FakeAssignment {
                id,
                guardrail_id: guardrail_id.clone(),
                key_hash: hash,
                created_at: now,
            });
            assigned += 1;
        }
        Ok(Reply::ok(
            200,
            wire::Assigned {
                assigned_count: assigned,
            },
        ))
    }

    fn unassign_keys(&mut self, request: &Incoming) -> Result<Reply, Reply> {
        let index = self.guardrail_index(request.param())?;
        let hashes = key_hashes(request)?;
        let guardrail_id = self.guardrails[index].id.clone();
        let before = self.assignments.len();
        self.assignments
            .retain(|a| !(a.guardrail_id == guardrail_id && hashes.contains(&a.key_hash.0)));
        Ok(Reply::ok(
            200,
            wire::Unassigned {
                unassigned_count: (before - self.assignments.len()) as u64,
            },
        ))
    }

    fn guardrail_index(&self, id: &str) -> Result<usize, Reply> {
        self.guardrails
            .iter()
            .position(|g| g.id == id)
            .ok_or_else(|| Reply::error(404, "Guardrail not found"))
    }
}

fn key_not_found() -> Reply {
    Reply::error(404, "API key not found")
}

/// `sk-or-v1-abc...xyz`: how OpenRouter shows a key it will not show again.
fn mask(secret: &str) -> String {
    let (prefix, rest) = match secret.strip_prefix("sk-or-v1-") {
        Some(rest) => ("sk-or-v1-", rest),
        None => ("", secret),
    };
    let chars: Vec<char> = rest.chars().collect();
    if chars.len() < 8 {
        return format!("{prefix}...");
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 3..].iter().collect();
    format!("{prefix}{head}...{tail}")
}

fn wire_key(key: &FakeKey) -> wire::Key {
    wire::Key {
        hash: key.hash.as_str().to_string(),
        name: key.name.clone(),
        label: key.label.clone(),
        disabled: key.disabled,
        limit: key.limit,
        limit_remaining: key.limit_remaining(),
        limit_reset: key.limit_reset.to_api().map(str::to_string),
        include_byok_in_limit: key.include_byok_in_limit,
        usage: key.usage.total,
        usage_daily: key.usage.daily,
        usage_weekly: key.usage.weekly,
        usage_monthly: key.usage.monthly,
        byok_usage: key.byok_usage.total,
        byok_usage_daily: key.byok_usage.daily,
        byok_usage_weekly: key.byok_usage.weekly,
        byok_usage_monthly: key.byok_usage.monthly,
        created_at: key.created_at,
        updated_at: key.updated_at,
        expires_at: key.expires_at,
        creator_user_id: key.creator_user_id.clone(),
        workspace_id: Some(key.workspace_id.clone()),
    }
}

fn wire_guardrail(guardrail: &FakeGuardrail) -> wire::GuardrailBody {
    wire::GuardrailBody {
        id: guardrail.id.clone(),
        name: guardrail.name.clone(),
        description: guardrail.description.clone(),
        allowed_models: guardrail.allowed_models.clone(),
        limit_usd: guardrail.limit_usd,
        reset_interval: guardrail.reset_interval.clone(),
        include_byok_in_budgets: guardrail.include_byok_in_budgets,
        created_at: Some(guardrail.created_at),
        updated_at: guardrail.updated_at,
        workspace_id: Some(guardrail.workspace_id.clone()),
    }
}

fn activity_item(date: &str, model: &str) -> wire::ActivityItem {
    let provider = model.split('/').next().unwrap_or(model);
    wire::ActivityItem {
        date: date.to_string(),
        model: model.to_string(),
        model_permaslug: model.to_string(),
        endpoint_id: stable_uuid(model),
        provider_name: provider.to_string(),
        usage: Usd::ZERO,
        byok_usage_inference: Usd::ZERO,
        requests: 0,
        prompt_tokens: 0,
        completion_tokens: 0,
        reasoning_tokens: 0,
    }
}

/// A UUID-shaped id that depends only on `text` (FNV-1a), so a model keeps its endpoint id.
fn stable_uuid(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    IdSource { counter: hash }.uuid()
}

/// A body field that may be left out, sent as `null`, or sent with a value.
enum Field<T> {
    Absent,
    Null,
    Value(T),
}

impl<T> Field<T> {
    fn value(self) -> Option<T> {
        match self {
            Field::Value(value) => Some(value),
            _ => None,
        }
    }

    /// A PATCH's effect on a nullable field: a value sets it, `null` clears it.
    fn apply_to(self, target: &mut Option<T>) {
        match self {
            Field::Value(value) => *target = Some(value),
            Field::Null => *target = None,
            Field::Absent => {}
        }
    }
}

fn typed_field<T>(
    body: &Map<String, Value>,
    name: &str,
    expected: &str,
    read: impl FnOnce(&Value) -> Option<T>,
) -> Result<Field<T>, Reply> {
    match body.get(name) {
        None => Ok(Field::Absent),
        Some(Value::Null) => Ok(Field::Null),
        Some(value) => read(value)
            .map(Field::Value)
            .ok_or_else(|| Reply::error(400, format!("{name} must be {expected}"))),
    }
}

fn string_field(body: &Map<String, Value>, name: &str) -> Result<Field<String>, Reply> {
    typed_field(body, name, "a string", |v| v.as_str().map(str::to_string))
}

fn bool_field(body: &Map<String, Value>, name: &str) -> Result<Field<bool>, Reply> {
    typed_field(body, name, "true or false", Value::as_bool)
}

fn amount_field(body: &Map<String, Value>, name: &str) -> Result<Field<Usd>, Reply> {
    typed_field(body, name, "a non-negative number of dollars", |v| {
        v.as_f64()
            .filter(|d| d.is_finite() && *d >= 0.0)
            .map(Usd::from_api)
    })
}

fn reset_field(body: &Map<String, Value>, name: &str) -> Result<Field<LimitReset>, Reply> {
    typed_field(body, name, "daily, weekly, monthly or null", |v| {
        match v.as_str()? {
            "daily" => Some(LimitReset::Daily),
            "weekly" => Some(LimitReset::Weekly),
            "monthly" => Some(LimitReset::Monthly),
            _ => None,
        }
    })
}

fn description_field(body: &Map<String, Value>) -> Result<Field<String>, Reply> {
    typed_field(
        body,
        "description",
        "a string of at most 1000 characters",
        |v| {
            v.as_str()
                .filter(|s| s.chars().count() <= 1000)
                .map(str::to_string)
        },
    )
}

fn models_field(body: &Map<String, Value>) -> Result<Field<Vec<String>>, Reply> {
    typed_field(
        body,
        "allowed_models",
        "a non-empty list of model ids, or null",
        |v| {
            let models: Option<Vec<String>> = v
                .as_array()?
                .iter()
                .map(|m| m.as_str().filter(|s| !s.is_empty()).map(str::to_string))
                .collect();
            models.filter(|m| !m.is_empty())
        },
    )
}

fn valid_guardrail_name(name: String) -> Result<String, Reply> {
    let length = name.chars().count();
    if (1..=200).contains(&length) {
        Ok(name)
    } else {
        Err(Reply::error(400, "name must be 1 to 200 characters"))
    }
}

fn key_hashes(request: &Incoming) -> Result<Vec<String>, Reply> {
    let body = request.object()?;
    let hashes: Option<Vec<String>> =
        body.get("key_hashes")
            .and_then(Value::as_array)
            .and_then(|list| {
                list.iter()
                    .map(|h| h.as_str().filter(|s| !s.is_empty()).map(str::to_string))
                    .collect()
            });
    hashes
        .filter(|h| !h.is_empty())
        .ok_or_else(|| Reply::error(400, "key_hashes must be a non-empty list of key hashes"))
}

fn query_number(request: &Incoming, name: &str, default: usize) -> Result<usize, Reply> {
    match request.query(name) {
        None => Ok(default),
        Some(text) => text
            .parse()
            .map_err(|_| Reply::error(400, format!("{name} must be a whole number, not {text:?}"))),
    }
}

/// `offset` and `limit` of the guardrail listings (limit 1 to 100, 50 when left out).
fn page_params(request: &Incoming) -> Result<(usize, usize), Reply> {
    let offset = query_number(request, "offset", 0)?;
    let limit = query_number(request, "limit", 50)?;
    if !(1..=100).contains(&limit) {
        return Err(Reply::error(400, "limit must be between 1 and 100"));
    }
    Ok((offset, limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_real_shapes_and_repeat_exactly() {
        let mut ids = IdSource { counter: 0 };
        let hash = ids.hex64();
        assert_eq!(hash.len(), 64);
        assert!(
            hash.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        let uuid = ids.uuid();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        let mut again = IdSource { counter: 0 };
        assert_eq!(again.hex64(), hash);
    }

    #[test]
    fn labels_mask_the_middle_of_the_key() {
        assert_eq!(
            mask("sk-or-v1-abc0123456789xyz"),
            "sk-or-v1-abc...xyz".to_string()
        );
    }
}
