//! known_hosts as OpenSSH reads it: markers (`@revoked`, `@cert-authority`), host patterns
//! with `*`, `?` and `!` negation, `[host]:port` names, hashed names (`|1|salt|hash`), any
//! matching line accepts, and accept-new learning serialized and hashed when the file is.
//!
//! Differences from OpenSSH, on purpose and stricter: a key on an `@revoked` line is refused
//! for every host, whatever the line's host pattern; a host known only through
//! `@cert-authority` lines is refused with an error that says so, since netpool neither asks
//! for nor verifies host certificates.

use std::borrow::Cow;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use data_encoding::BASE64;
use hmac::{Hmac, KeyInit, Mac};
use russh::keys::{Algorithm, PublicKey};
use sha1::Sha1;

/// What a line says about a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    Plain,
    Revoked,
    CertAuthority,
}

/// One line that matters for the host being checked (or a revoked key, which matters for all).
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub line: usize,
    pub marker: Marker,
    pub key: PublicKey,
}

/// What the file says of the presented key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A plain line for this host carries this key.
    Known,
    /// The key is on an `@revoked` line.
    Revoked { line: usize },
    /// Lines for this host carry other keys of the same type, and none carries this one.
    Changed { lines: Vec<usize> },
    /// The host is known only through `@cert-authority` lines.
    CertAuthorityOnly { line: usize },
    /// Nothing for this host and key type.
    Unknown,
}

/// The entries of `path` that apply to `host`:`port`. A missing file is empty (as OpenSSH
/// treats it); a file that exists but cannot be read is an error naming it.
pub(crate) fn lookup(path: &Path, host: &str, port: u16) -> Result<Vec<Entry>, String> {
    let text = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(format!(
                "cannot read known_hosts file {}: {e}",
                path.display()
            ))
        }
    };
    let text = String::from_utf8_lossy(&text);
    Ok(entries(&text, host, port))
}

/// The name OpenSSH looks up: `host`, or `[host]:port` off port 22.
pub(crate) fn host_name(host: &str, port: u16) -> Cow<'_, str> {
    if port == 22 {
        Cow::Borrowed(host)
    } else {
        Cow::Owned(format!("[{host}]:{port}"))
    }
}

/// Parses known_hosts text and keeps the entries for `host`:`port` (and every revoked key).
/// Lines OpenSSH would skip (unknown marker, unparseable key, too few fields) are skipped.
pub(crate) fn entries(text: &str, host: &str, port: u16) -> Vec<Entry> {
    let name = host_name(host, port).to_ascii_lowercase();
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_ascii_whitespace();
        let Some(mut first) = fields.next() else {
            continue;
        };
        let marker = match first {
            "@revoked" => Marker::Revoked,
            "@cert-authority" => Marker::CertAuthority,
            m if m.starts_with('@') => continue,
            _ => Marker::Plain,
        };
        if marker != Marker::Plain {
            match fields.next() {
                Some(f) => first = f,
                None => continue,
            }
        }
        let (Some(_kind), Some(b64)) = (fields.next(), fields.next()) else {
            continue;
        };
        // Only the keys of lines that concern this host are decoded.
        if marker != Marker::Revoked && !hosts_match(first, &name) {
            continue;
        }
        #[cfg(test)]
        tests::DECODED.with(|d| d.set(d.get() + 1));
        let Ok(key) = russh::keys::parse_public_key_base64(b64) else {
            continue;
        };
        out.push(Entry {
            line: i + 1,
            marker,
            key,
        });
    }
    out
}

/// OpenSSH's `match_hostname`: comma-separated patterns; a matching `!pattern` rules the
/// line out; hashed entries compare an HMAC-SHA1 of the name.
pub(crate) fn hosts_match(patterns: &str, name: &str) -> bool {
    let mut matched = false;
    for p in patterns.split(',') {
        if let Some(neg) = p.strip_prefix('!') {
            if wildcard(&neg.to_ascii_lowercase(), name) {
                return false;
            }
        } else if p.starts_with("|1|") {
            matched |= hashed_match(p, name);
        } else if wildcard(&p.to_ascii_lowercase(), name) {
            matched = true;
        }
    }
    matched
}

fn hashed_match(entry: &str, name: &str) -> bool {
    let mut parts = entry.split('|').skip(2);
    let (Some(salt), Some(hash)) = (parts.next(), parts.next()) else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (
        BASE64.decode(salt.as_bytes()),
        BASE64.decode(hash.as_bytes()),
    ) else {
        return false;
    };
    let Ok(mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(&salt) else {
        return false;
    };
    mac.chain_update(name.as_bytes())
        .verify_slice(&hash)
        .is_ok()
}

/// `*` and `?` glob, iterative (no recursion a hostile file could deepen).
fn wildcard(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Key types are the same family (RSA's hash variants are one key type).
fn same_type(a: &Algorithm, b: &Algorithm) -> bool {
    match (a, b) {
        (Algorithm::Rsa { .. }, Algorithm::Rsa { .. }) => true,
        _ => a == b,
    }
}

/// What `entries` say of `key`.
pub(crate) fn verdict(entries: &[Entry], key: &PublicKey) -> Verdict {
    if let Some(e) = entries
        .iter()
        .find(|e| e.marker == Marker::Revoked && e.key.key_data() == key.key_data())
    {
        return Verdict::Revoked { line: e.line };
    }
    let plain = || entries.iter().filter(|e| e.marker == Marker::Plain);
    if plain().any(|e| e.key.key_data() == key.key_data()) {
        return Verdict::Known;
    }
    let changed: Vec<usize> = plain()
        .filter(|e| same_type(&e.key.algorithm(), &key.algorithm()))
        .map(|e| e.line)
        .collect();
    if !changed.is_empty() {
        return Verdict::Changed { lines: changed };
    }
    if let Some(e) = entries.iter().find(|e| e.marker == Marker::CertAuthority) {
        return Verdict::CertAuthorityOnly { line: e.line };
    }
    Verdict::Unknown
}

/// The host key algorithms to offer: those of key types already known for the host first,
/// then the rest in their usual order (OpenSSH's `order_hostkeyalgs`), so a host with a
/// known RSA key is not asked for an unknown Ed25519 key.
pub(crate) fn order_algorithms(default: &[Algorithm], entries: &[Entry]) -> Vec<Algorithm> {
    let known = |a: &Algorithm| {
        entries
            .iter()
            .any(|e| e.marker == Marker::Plain && same_type(&e.key.algorithm(), a))
    };
    let mut out: Vec<Algorithm> = default.iter().filter(|a| known(a)).cloned().collect();
    out.extend(default.iter().filter(|a| !known(a)).cloned());
    out
}

/// Serializes accept-new learning inside this process: two connects to a new host cannot
/// both learn a key.
static LEARN: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// accept-new: under the learning lock, reads the file again, and writes the key only if
/// the host is still unknown. Returns the verdict found under the lock (`Unknown` if the
/// key was written). The line is hashed when the file already holds hashed names.
pub(crate) fn learn(
    path: &PathBuf,
    host: &str,
    port: u16,
    key: &PublicKey,
) -> Result<Verdict, String> {
    let _g = crate::sync::lock(&LEARN);
    let io = |e: std::io::Error| format!("accept-new could not write {}: {e}", path.display());
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    // One open, one read: the verdict under the lock and the append see the same file.
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| format!("cannot open known_hosts file {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read known_hosts file {}: {e}", path.display()))?;
    let existing = String::from_utf8_lossy(&bytes);
    let now = verdict(&entries(&existing, host, port), key);
    if now != Verdict::Unknown {
        return Ok(now);
    }
    let hashed = existing.lines().any(|l| l.trim_start().starts_with("|1|"));
    // Written lowercased, as OpenSSH writes and as `entries` looks names up: a hash of
    // "R1" would never match the lookup of "r1", and every connect would add a line.
    let name = host_name(host, port).to_ascii_lowercase();
    let name = if hashed { hash_name(&name) } else { name };
    let key_text = key
        .to_openssh()
        .map_err(|e| format!("cannot encode the host key: {e}"))?;
    let mut line = String::new();
    if !existing.is_empty() && !existing.ends_with('\n') {
        line.push('\n');
    }
    line.push_str(&format!("{name} {}\n", key_text.trim()));
    file.seek(SeekFrom::End(0)).map_err(io)?;
    file.write_all(line.as_bytes()).map_err(io)?;
    Ok(Verdict::Unknown)
}

/// `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`, as `ssh-keygen -H` writes.
pub(crate) fn hash_name(name: &str) -> String {
    let salt: [u8; 20] = rand::random();
    let mac = <Hmac<Sha1> as KeyInit>::new_from_slice(&salt).expect("HMAC takes any key length");
    let hash = mac.chain_update(name.as_bytes()).finalize().into_bytes();
    format!("|1|{}|{}", BASE64.encode(&salt), BASE64.encode(&hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// Keys decoded by `entries` on this thread.
        pub(super) static DECODED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    const ED_A: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";
    const ED_B: &str = "AAAAC3NzaC1lZDI1NTE5AAAAILIG2T/B0l0gaqj3puu510tu9N1OkQ4znY3LYuEm5zCF";

    fn key(b64: &str) -> PublicKey {
        russh::keys::parse_public_key_base64(b64).unwrap()
    }

    /// The verdict on key A presented by `host` (port 22), against the lines of `text`.
    fn verdict_on_a(text: &str, host: &str) -> Verdict {
        verdict(&entries(text, host, 22), &key(ED_A))
    }

    #[test]
    fn patterns_wildcards_negation_and_ports() {
        assert!(hosts_match("r1,r2", "r2"));
        assert!(hosts_match("*.lab", "r1.lab"));
        assert!(hosts_match("r?.lab", "r1.lab"));
        assert!(!hosts_match("r?.lab", "r10.lab"));
        assert!(!hosts_match("*.lab,!r1.lab", "r1.lab"));
        assert!(hosts_match("*.lab,!r1.lab", "r2.lab"));
        assert!(hosts_match("[127.0.0.1]:2200", "[127.0.0.1]:2200"));
        assert!(!hosts_match("127.0.0.1", "[127.0.0.1]:2200"));
        assert!(hosts_match("R1.LAB", "r1.lab"));
        assert!(!hosts_match("", "r1"));
    }

    #[test]
    fn hashed_names_round_trip() {
        let h = hash_name("[10.0.0.1]:830");
        assert!(hosts_match(&h, "[10.0.0.1]:830"));
        assert!(!hosts_match(&h, "[10.0.0.1]:831"));
        assert!(!hosts_match("|1|bad|base64!", "x"));
    }

    #[test]
    fn any_matching_line_accepts_a_stale_duplicate_does_not_lock_out() {
        let text = format!("r1 ssh-ed25519 {ED_B}\nr1 ssh-ed25519 {ED_A}\n");
        assert_eq!(verdict_on_a(&text, "r1"), Verdict::Known);
        let only_stale = format!("r1 ssh-ed25519 {ED_B}\n");
        assert_eq!(
            verdict_on_a(&only_stale, "r1"),
            Verdict::Changed { lines: vec![1] }
        );
    }

    #[test]
    fn revoked_is_refused_even_beside_an_accepting_line() {
        let text = format!("r1 ssh-ed25519 {ED_A}\n@revoked * ssh-ed25519 {ED_A}\n");
        assert_eq!(verdict_on_a(&text, "r1"), Verdict::Revoked { line: 2 });
        // Revoked for another pattern: still refused (stricter than OpenSSH on purpose).
        let text = format!("@revoked other ssh-ed25519 {ED_A}\n");
        assert!(matches!(verdict_on_a(&text, "r1"), Verdict::Revoked { .. }));
    }

    #[test]
    fn cert_authority_only_is_its_own_verdict() {
        let text = format!("@cert-authority *.lab ssh-ed25519 {ED_B}\n");
        assert_eq!(
            verdict_on_a(&text, "r1.lab"),
            Verdict::CertAuthorityOnly { line: 1 }
        );
        assert_eq!(verdict_on_a(&text, "r1.other"), Verdict::Unknown);
    }

    #[test]
    fn junk_lines_are_skipped_not_fatal() {
        let text = format!(
            "# comment\n\n@bogus r1 ssh-ed25519 {ED_A}\nr1 ssh-ed25519 notbase64\nr1\n  r1 ssh-ed25519 {ED_A} comment here\n"
        );
        let e = entries(&text, "r1", 22);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].line, 6);
    }

    #[test]
    fn known_types_come_first() {
        let default = russh::Preferred::default().key.to_vec();
        let rsa_known = format!("r1 ssh-rsa {}\n", "AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7");
        // An unparseable RSA key is skipped: order unchanged.
        assert_eq!(
            order_algorithms(&default, &entries(&rsa_known, "r1", 22)),
            default
        );
        let ed = entries(&format!("r1 ssh-ed25519 {ED_A}\n"), "r1", 22);
        let ordered = order_algorithms(&default, &ed);
        assert_eq!(ordered[0], Algorithm::Ed25519);
        assert_eq!(ordered.len(), default.len());
    }

    #[test]
    fn learning_is_serialized_and_hashed_when_the_file_is() {
        let dir = std::env::temp_dir().join(format!("netpool-kh-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("known_hosts");
        std::fs::write(&path, format!("{} ssh-ed25519 {ED_B}", hash_name("other"))).unwrap();
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || learn(&path, "r1", 2200, &key(ED_A)).unwrap())
            })
            .collect();
        let verdicts: Vec<Verdict> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(
            verdicts.iter().filter(|v| **v == Verdict::Unknown).count(),
            1
        );
        assert_eq!(verdicts.iter().filter(|v| **v == Verdict::Known).count(), 7);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        let learned = text.lines().nth(1).unwrap();
        assert!(learned.starts_with("|1|"), "{learned}");
        // The name in clear would be `[r1]:2200` (a port other than 22); base64 has no `[`
        // or `:`, so this cannot match the salt or the hash by chance (`r1` alone could).
        assert!(!learned.contains("[r1]:2200"), "{learned}");
        assert_eq!(
            verdict(&lookup(&path, "r1", 2200).unwrap(), &key(ED_A)),
            Verdict::Known
        );
        // A different key for the now-known host is not learned.
        assert_eq!(
            learn(&path, "r1", 2200, &key(ED_B)).unwrap(),
            Verdict::Changed { lines: vec![2] }
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_mixed_case_host_is_learned_once_hashed_or_not() {
        for hashed in [true, false] {
            let dir = std::env::temp_dir()
                .join(format!("netpool-kh-case-{hashed}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join("known_hosts");
            let other = if hashed {
                hash_name("other")
            } else {
                "other".into()
            };
            std::fs::write(&path, format!("{other} ssh-ed25519 {ED_B}\n")).unwrap();
            assert_eq!(
                learn(&path, "Router-A.Example", 2200, &key(ED_A)).unwrap(),
                Verdict::Unknown
            );
            for host in ["Router-A.Example", "router-a.example", "ROUTER-A.EXAMPLE"] {
                assert_eq!(
                    learn(&path, host, 2200, &key(ED_A)).unwrap(),
                    Verdict::Known,
                    "{host} (hashed file: {hashed})"
                );
            }
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(text.lines().count(), 2, "{text}");
            assert!(!text.contains("Router-A"), "{text}");
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    #[test]
    fn only_the_keys_of_matching_lines_are_decoded() {
        // A line for another host with a key that does not decode is never looked at: it
        // is neither an error nor a cost; a matching line with such a key is skipped.
        let text = format!(
            "other ssh-ed25519 !!not-base64!!\nr1 ssh-ed25519 {ED_A}\nr1 ssh-ed25519 !!bad!!\nr2 ssh-ed25519 {ED_B}\n"
        );
        let before = DECODED.with(|d| d.get());
        let got = entries(&text, "r1", 22);
        assert_eq!(DECODED.with(|d| d.get()) - before, 2, "keys decoded");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].line, 2);
    }

    #[test]
    fn an_unreadable_file_is_an_error_naming_it() {
        let dir = std::env::temp_dir().join(format!("netpool-kh-dir-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A directory cannot be read as a file, even by root.
        let err = lookup(&dir, "r1", 22).unwrap_err();
        assert!(err.contains(&dir.display().to_string()), "{err}");
        assert!(lookup(&dir.join("absent"), "r1", 22).unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    mod fuzz {
        //! Structure-aware fuzzing of known_hosts lines (bounded: runs in CI): markers,
        //! pattern lists with wildcards, negations, brackets and hashes, valid and broken
        //! keys, comments and junk. Nothing panics; an exact plain line for the host always
        //! accepts its key unless that key is revoked, and a revoked key is never accepted.
        use super::*;
        use proptest::prelude::*;

        const NAME: &str = "[r1.lab]:830";

        fn pattern() -> impl Strategy<Value = String> {
            const PLAIN: &[&str] = &[
                "r1.lab",
                "[r1.lab]:830",
                "*",
                "[r?.lab]:8*",
                "!*",
                "![r1.lab]:830",
                "|1|junk|",
            ];
            prop_oneof![
                PLAIN.len() as u32 => prop::sample::select(PLAIN).prop_map(str::to_string),
                2 => prop::sample::select(&[NAME, "r2.lab"][..]).prop_map(hash_name),
                1 => "[a-z0-9.*?!\\[\\]:|]{0,16}",
            ]
        }

        fn key_text() -> impl Strategy<Value = String> {
            prop_oneof![
                Just(format!("ssh-ed25519 {ED_A}")),
                Just(format!("ssh-ed25519 {ED_B}")),
                Just("ssh-rsa AAAAB3NzaC1yc2E=".to_string()),
                "[ -~]{0,40}",
            ]
        }

        fn line() -> impl Strategy<Value = String> {
            (
                prop::sample::select(vec!["", "@revoked ", "@cert-authority ", "@bogus ", "#"]),
                prop::collection::vec(pattern(), 0..4),
                key_text(),
                prop::sample::select(vec!["", " comment", " a b c", "\t\t"]),
            )
                .prop_map(|(m, pats, key, comment)| format!("{m}{} {key}{comment}", pats.join(",")))
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

            #[test]
            fn generated_files_follow_the_rules(lines in prop::collection::vec(line(), 0..12), exact in any::<bool>()) {
                let mut text = lines.join("\n");
                let revoked_a = entries(&text, "r1.lab", 830)
                    .iter()
                    .any(|e| e.marker == Marker::Revoked && e.key.key_data() == key(ED_A).key_data());
                let host_field = if exact { NAME.to_string() } else { hash_name(NAME) };
                text.push_str(&format!("\n{host_field} ssh-ed25519 {ED_A}\n"));
                let e = entries(&text, "r1.lab", 830);
                let v = verdict(&e, &key(ED_A));
                if revoked_a {
                    prop_assert!(matches!(v, Verdict::Revoked { .. }), "{v:?}");
                } else {
                    prop_assert_eq!(v, Verdict::Known);
                }
                text.push_str(&format!("@revoked nothing-matches ssh-ed25519 {ED_A}\n"));
                let v = verdict(&entries(&text, "r1.lab", 830), &key(ED_A));
                prop_assert!(matches!(v, Verdict::Revoked { .. }), "{v:?}");
                let order = order_algorithms(&russh::Preferred::default().key, &e);
                prop_assert_eq!(order[0].clone(), Algorithm::Ed25519);
            }

            #[test]
            fn arbitrary_text_never_panics(text in "[ -~\n\t]{0,400}", host in "[a-z0-9.*?]{0,12}", port in any::<u16>()) {
                let e = entries(&text, &host, port);
                let _ = verdict(&e, &key(ED_A));
                let _ = hosts_match(&text, &host);
            }

            #[test]
            fn wildcards_agree_with_a_reference(p in "[ab*?]{0,10}", n in "[ab]{0,10}") {
                prop_assert_eq!(wildcard(&p, &n), reference(p.as_bytes(), n.as_bytes()));
            }
        }

        /// The textbook recursive glob, as the oracle (bounded inputs only).
        fn reference(p: &[u8], n: &[u8]) -> bool {
            match (p.first(), n.first()) {
                (None, None) => true,
                (Some(b'*'), _) => {
                    reference(&p[1..], n) || (!n.is_empty() && reference(p, &n[1..]))
                }
                (Some(b'?'), Some(_)) => reference(&p[1..], &n[1..]),
                (Some(a), Some(b)) if a == b => reference(&p[1..], &n[1..]),
                _ => false,
            }
        }

        #[test]
        fn a_hostile_pattern_is_not_slow_or_deep() {
            let p = "*a".repeat(5_000) + "b";
            let n = "a".repeat(20_000);
            assert!(!wildcard(&p, &n));
        }
    }
}
