//! How the bot's messages say how many of something there are: "1 alert", "2 alerts".

/// `n` and the noun, singular for exactly one and plural otherwise ("0 keys", "1 key",
/// "250 keys"); every noun the bot counts makes its plural with an "s".
pub fn count_of(n: impl Into<i64>, singular: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {singular}")
    } else {
        format!("{n} {singular}s")
    }
}

/// Like [`count_of`] for a count kept as a `usize`, such as a list's length.
pub fn count_len(n: usize, singular: &str) -> String {
    count_of(i64::try_from(n).unwrap_or(i64::MAX), singular)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(count_of(1, "alert"), "1 alert");
        assert_eq!(count_of(0, "alert"), "0 alerts");
        assert_eq!(count_of(2, "message"), "2 messages");
        assert_eq!(count_len(250, "key"), "250 keys");
        assert_eq!(count_of(1, "top-up"), "1 top-up");
    }
}
