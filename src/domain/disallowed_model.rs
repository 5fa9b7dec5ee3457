//! What the team chose for a gateway request that asks for a model its tier does not allow.

/// What the gateway does with a request for a model its tier does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnDisallowedModel {
    /// Serve it with the tier's fallback model and say so in a response header.
    #[default]
    Downgrade,
    /// Answer 403 with the models the tier may use.
    Refuse,
}

impl OnDisallowedModel {
    /// The setting's value in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            OnDisallowedModel::Downgrade => "downgrade",
            OnDisallowedModel::Refuse => "refuse",
        }
    }
}
