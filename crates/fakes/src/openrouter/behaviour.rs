//! What the fake answers: its state (keys, guardrails, assignments, activity, faults, the request
//! log) and one function per endpoint, written to the official spec's shapes and status codes.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::json;
use super::{
    ActivityRow, Caller, DEFAULT_WORKSPACE_ID, Endpoint, FakeAssignment, FakeConfig, FakeGuardrail,
    FakeKey, Fault, KEYS_PAGE_SIZE, KeySeed, LimitReset, OWNER_USER_ID, RecordedRequest, Usage,
    Usd,
};

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
    pub activity: Vec<(String, ActivityRow)>,
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

    pub fn now(&self) -> DateTime<Utc> {
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

    pub fn key_mut(&mut self, hash: &str) -> Option<&mut FakeKey> {
        self.keys
            .iter_mut()
            .find(|k| k.key.hash == hash)
            .map(|k| &mut k.key)
    }

    fn key(&self, hash: &str) -> Option<&FakeKey> {
        self.keys.iter().map(|k| &k.key).find(|k| k.hash == hash)
    }

    pub fn add_key(&mut self, seed: KeySeed) -> &FakeKey {
        let hash = self.ids.hex64();
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
        let mut info = json::CurrentKey {
            label: String::new(),
            limit: None,
            limit_remaining: None,
            limit_reset: None,
            include_byok_in_limit: false,
            usage: 0.0,
            usage_daily: 0.0,
            usage_weekly: 0.0,
            usage_monthly: 0.0,
            byok_usage: 0.0,
            byok_usage_daily: 0.0,
            byok_usage_weekly: 0.0,
            byok_usage_monthly: 0.0,
            is_free_tier: false,
            is_management_key: false,
            is_provisioning_key: false,
            creator_user_id: Some(OWNER_USER_ID.to_string()),
            expires_at: None,
            rate_limit: json::RateLimit::retired(),
        };
        match caller {
            Caller::Management => {
                info.label = mask(&self.config.management_key);
                info.is_management_key = true;
                info.is_provisioning_key = true;
            }
            Caller::IssuedKey(hash) => {
                if let Some(key) = self.key(hash) {
                    let described = json_key(key);
                    info.label = described.label;
                    info.limit = described.limit;
                    info.limit_remaining = described.limit_remaining;
                    info.limit_reset = described.limit_reset;
                    info.include_byok_in_limit = described.include_byok_in_limit;
                    info.usage = described.usage;
                    info.usage_daily = described.usage_daily;
                    info.usage_weekly = described.usage_weekly;
                    info.usage_monthly = described.usage_monthly;
                    info.expires_at = described.expires_at;
                }
            }
            _ => info.label = mask(&self.config.regular_key),
        }
        Reply::ok(200, json::Data { data: info })
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
        let page: Vec<json::Key> = self
            .keys
            .iter()
            .map(|k| &k.key)
            .filter(|k| k.workspace_id == workspace && (include_disabled || !k.disabled))
            .skip(offset)
            .take(KEYS_PAGE_SIZE)
            .map(json_key)
            .collect();
        Ok(Reply::ok(200, json::Data { data: page }))
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
            json::CreatedKey {
                data: json_key(&stored.key),
                key: stored.secret.clone(),
            },
        ))
    }

    fn get_key(&self, request: &Incoming) -> Result<Reply, Reply> {
        let key = self.key(request.param()).ok_or_else(key_not_found)?;
        Ok(Reply::ok(
            200,
            json::Data {
                data: json_key(key),
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
        let key = self.key_mut(request.param()).ok_or_else(key_not_found)?;
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
            json::Data {
                data: json_key(key),
            },
        ))
    }

    fn delete_key(&mut self, request: &Incoming) -> Result<Reply, Reply> {
        let index = self
            .keys
            .iter()
            .position(|k| k.key.hash == request.param())
            .ok_or_else(key_not_found)?;
        let removed = self.keys.remove(index);
        self.assignments.retain(|a| a.key_hash != removed.key.hash);
        Ok(Reply::ok(200, json::Deleted { deleted: true }))
    }

    fn credits(&self) -> Reply {
        Reply::ok(
            200,
            json::Data {
                data: json::Credits {
                    total_credits: self.config.credits.total_credits.to_json(),
                    total_usage: self.config.credits.total_usage.to_json(),
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
        let mut summed: BTreeMap<(String, String), ActivityRow> = BTreeMap::new();
        for (hash, row) in &self.activity {
            if key.is_some_and(|k| k != hash) || date.as_ref().is_some_and(|d| *d != row.date) {
                continue;
            }
            let sum = summed
                .entry((row.date.clone(), row.model.clone()))
                .or_insert_with(|| ActivityRow {
                    usage: Usd::ZERO,
                    requests: 0,
                    prompt_tokens: 0,
                    completion_tokens: 0,
                    ..row.clone()
                });
            sum.usage = sum.usage + row.usage;
            sum.requests += row.requests;
            sum.prompt_tokens += row.prompt_tokens;
            sum.completion_tokens += row.completion_tokens;
        }
        // Newest day first, as OpenRouter lists them.
        let mut rows: Vec<json::ActivityItem> = summed.values().map(activity_item).collect();
        rows.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.model.cmp(&b.model)));
        Ok(Reply::ok(200, json::Data { data: rows }))
    }

    fn list_guardrails(&self, request: &Incoming) -> Result<Reply, Reply> {
        let (offset, limit) = page_params(request)?;
        let workspace = request.query("workspace_id");
        let matching: Vec<&FakeGuardrail> = self
            .guardrails
            .iter()
            .filter(|g| workspace.is_none_or(|w| g.workspace_id == w))
            .collect();
        let data: Vec<json::Guardrail> = matching
            .iter()
            .skip(offset)
            .take(limit)
            .map(|g| json_guardrail(g))
            .collect();
        Ok(Reply::ok(
            200,
            json::Page {
                data,
                total_count: matching.len() as u64,
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
            .and_then(|r| r.to_json().map(str::to_string));
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
            json::Data {
                data: json_guardrail(guardrail),
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
            Field::Value(reset) => guardrail.reset_interval = reset.to_json().map(str::to_string),
            Field::Null => guardrail.reset_interval = None,
            Field::Absent => {}
        }
        if let Field::Value(include) = include_byok {
            guardrail.include_byok_in_budgets = include;
        }
        guardrail.updated_at = Some(now);
        Ok(Reply::ok(
            200,
            json::Data {
                data: json_guardrail(guardrail),
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
        let data: Vec<json::KeyAssignment> = matching
            .iter()
            .skip(offset)
            .take(limit)
            .map(|a| {
                let key = self.key(&a.key_hash);
                json::KeyAssignment {
                    id: a.id.clone(),
                    key_hash: a.key_hash.clone(),
                    guardrail_id: a.guardrail_id.clone(),
                    key_name: key.map(|k| k.name.clone()).unwrap_or_default(),
                    key_label: key.map(|k| k.label.clone()).unwrap_or_default(),
                    assigned_by: Some(OWNER_USER_ID.to_string()),
                    created_at: time(a.created_at),
                }
            })
            .collect();
        Ok(Reply::ok(
            200,
            json::Page {
                data,
                total_count: matching.len() as u64,
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
            json::Assigned {
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
            .retain(|a| !(a.guardrail_id == guardrail_id && hashes.contains(&a.key_hash)));
        Ok(Reply::ok(
            200,
            json::Unassigned {
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

/// A time as OpenRouter writes them: `2025-08-24T10:30:00Z`.
fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn json_key(key: &FakeKey) -> json::Key {
    json::Key {
        hash: key.hash.clone(),
        name: key.name.clone(),
        label: key.label.clone(),
        disabled: key.disabled,
        limit: key.limit.map(Usd::to_json),
        limit_remaining: key.limit_remaining().map(Usd::to_json),
        limit_reset: key.limit_reset.to_json(),
        include_byok_in_limit: key.include_byok_in_limit,
        usage: key.usage.total.to_json(),
        usage_daily: key.usage.daily.to_json(),
        usage_weekly: key.usage.weekly.to_json(),
        usage_monthly: key.usage.monthly.to_json(),
        byok_usage: key.byok_usage.total.to_json(),
        byok_usage_daily: key.byok_usage.daily.to_json(),
        byok_usage_weekly: key.byok_usage.weekly.to_json(),
        byok_usage_monthly: key.byok_usage.monthly.to_json(),
        created_at: time(key.created_at),
        updated_at: key.updated_at.map(time),
        expires_at: key.expires_at.map(time),
        creator_user_id: key.creator_user_id.clone(),
        workspace_id: key.workspace_id.clone(),
    }
}

fn json_guardrail(guardrail: &FakeGuardrail) -> json::Guardrail {
    json::Guardrail {
        id: guardrail.id.clone(),
        name: guardrail.name.clone(),
        description: guardrail.description.clone(),
        allowed_models: guardrail.allowed_models.clone(),
        limit_usd: guardrail.limit_usd.map(Usd::to_json),
        reset_interval: guardrail.reset_interval.clone(),
        include_byok_in_budgets: guardrail.include_byok_in_budgets,
        created_at: time(guardrail.created_at),
        updated_at: guardrail.updated_at.map(time),
        workspace_id: guardrail.workspace_id.clone(),
    }
}

/// A day's summed use of one model as `GET /activity` lists it; the fake keeps no reasoning
/// tokens or BYOK spend, so those are zero.
fn activity_item(row: &ActivityRow) -> json::ActivityItem {
    let provider = row.model.split('/').next().unwrap_or(&row.model);
    json::ActivityItem {
        date: row.date.clone(),
        model: row.model.clone(),
        model_permaslug: row.model.clone(),
        endpoint_id: stable_uuid(&row.model),
        provider_name: provider.to_string(),
        usage: row.usage.to_json(),
        byok_usage_inference: 0.0,
        requests: row.requests,
        prompt_tokens: row.prompt_tokens,
        completion_tokens: row.completion_tokens,
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
        v.as_f64().and_then(Usd::from_json)
    })
}

fn reset_field(body: &Map<String, Value>, name: &str) -> Result<Field<LimitReset>, Reply> {
    typed_field(body, name, "daily, weekly, monthly or null", |v| {
        LimitReset::from_json(v.as_str()?)
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
