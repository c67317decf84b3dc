//! The crate's error type: what can go wrong loading a world or serving it. Errors returned to
//! API callers are not here; they are wire values (`reply::ApiError`).

/// A `Result` whose error defaults to this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a world could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The text is not TOML, or does not have the shape of a world (unknown key, wrong type,
    /// missing key). `key` is the key on the offending line, or the table it belongs to.
    #[error("world file, line {line}, key `{key}`: {detail}")]
    WorldSyntax {
        /// 1-based line of the problem.
        line: usize,
        /// The key (or table header) on that line.
        key: String,
        /// What the TOML reader objected to.
        detail: String,
    },
    /// The world parses but breaks a rule (duplicate ID, unknown policy, bad trust policy...).
    #[error("world key `{key}`: {reason}")]
    WorldInvalid {
        /// Path of the bad key, e.g. `accounts[1].roles[0].trust_policy`.
        key: String,
        /// What is wrong with its value.
        reason: String,
    },
}
