//! Which of the account's keys a sync lists, and how many pages it asks for at once.

/// Which keys to list and how hard to ask.
#[derive(Debug, Clone)]
pub struct KeyListing {
    /// Workspaces to list; `None` is the default workspace.
    pub workspaces: Vec<Option<String>>,
    pub include_disabled: bool,
    /// Pages requested at once.
    pub concurrency: usize,
}

impl Default for KeyListing {
    fn default() -> Self {
        KeyListing {
            workspaces: vec![None],
            include_disabled: true,
            concurrency: 4,
        }
    }
}
