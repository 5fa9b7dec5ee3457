//! Which of the account's keys a sync lists, and how many pages it asks for at once.

/// Which keys to list and how hard to ask.
#[derive(Debug, Clone)]
pub struct KeyListing {
    /// Workspaces to list; `None` is the default workspace.
    pub workspaces: Vec<Option<String>>,
    pub include_disabled: bool,
    /// Pages requested at once.
    pub concurrency: usize,
    /// How many keys the listing is expected to find (those the last sync stored): the pages
    /// they fill are fetched `concurrency` at a time with none past the end, and the page
    /// that should show the end alone. 0 when nothing is known.
    pub expected_keys: usize,
}

impl Default for KeyListing {
    fn default() -> Self {
        KeyListing {
            workspaces: vec![None],
            include_disabled: true,
            concurrency: 4,
            expected_keys: 0,
        }
    }
}
