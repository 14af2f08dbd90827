//! The words of a CLI line: abbreviations as the Junos CLI takes them, addresses and
//! interface names. Below the command tables (`table.rs`, `arguments.rs`) and the parser
//! that reads them (`parse.rs`).

use std::net::Ipv4Addr;

/// Whether `word` abbreviates `keyword` (any number of letters).
pub(super) fn is(word: &str, keyword: &str) -> bool {
    !word.is_empty() && keyword.starts_with(word)
}

/// A command's CLI words after `show`, each with the fewest letters the CLI takes
/// (`("system", 2)`: `sh sy`).
pub(super) type Words = &'static [(&'static str, usize)];

/// A word of a line that does not parse: its index and what Junos expected there.
pub(super) type CliError = (usize, &'static str);

/// Whether `word` abbreviates `keyword` with at least `min` letters.
pub(super) fn abbreviates(word: &str, (keyword, min): (&str, usize)) -> bool {
    word.len() >= min.max(1) && keyword.starts_with(word)
}

/// An address as the CLI and the RPCs write one (`10.0.15.0`, `10.0.15.0/24`: the prefix
/// length is not kept).
pub(crate) fn parse_dest(s: &str) -> Option<Ipv4Addr> {
    s.split('/').next()?.parse().ok()
}

/// Whether a word can name an interface (`ge-0/0/0`, `ge-*`, `lo0.0`, `fxp0`).
pub(super) fn looks_like_interface(w: &str) -> bool {
    w.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '*')
        && w.chars().any(|c| c.is_ascii_digit() || c == '*')
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '.' | ':' | '*'))
}
