//! A statement's words down the schema: `set`, `delete` and `show configuration` paths
//! resolved to elements, with Junos's messages for what does not resolve.

use super::*;

/// Why a statement was refused: Junos's message and the word it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// `syntax error`, or a more precise Junos message.
    pub message: String,
    /// The offending word (`bad-element` in NETCONF).
    pub bad_element: String,
    /// Index of that word in the statement.
    pub at: usize,
}

impl Rejected {
    fn syntax(words: &[String], at: usize) -> Rejected {
        Rejected {
            message: "syntax error".into(),
            bad_element: words.get(at).cloned().unwrap_or_default(),
            at,
        }
    }

    fn expecting(words: &[String], at: usize, what: &str) -> Rejected {
        Rejected {
            message: format!("syntax error, expecting <{what}>"),
            bad_element: words.get(at).cloned().unwrap_or_default(),
            at,
        }
    }
}

/// One element on the way to a statement: the schema statement and, for a list entry,
/// its keys; for a leaf or leaf-list value, the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The statement.
    pub sid: Sid,
    /// A list entry's keys, or a leaf's value.
    pub keys: Vec<String>,
}

/// What a statement is for: `set` must name a complete statement, `delete` (and a
/// `show configuration` path) can stop at any level and leave a leaf's value out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A statement to add.
    Set,
    /// A statement or level to remove or show.
    Delete,
}

/// Check that a value suits the leaf `sid`: a number for a numeric leaf, one of the
/// enumeration for an enumerated one. A group wildcard (`<*>`) or `$` variable passes.
pub fn check_value(s: &Statement, v: &str) -> Result<(), String> {
    if v.starts_with('<') || v.starts_with('$') {
        return Ok(());
    }
    // Junos numbers take a unit suffix where they are sizes (`10m`, `1g`).
    let digits = v.strip_suffix(['k', 'm', 'g', 'K', 'M', 'G']).unwrap_or(v);
    if s.numeric && digits.parse::<i128>().is_err() {
        return Err(format!("invalid numeric value: '{v}'"));
    }
    if !s.enums.is_empty() && !s.enums.iter().any(|e| &**e == v) {
        return Err("syntax error".into());
    }
    Ok(())
}

/// Follow the words of a statement down the schema. `set` may name several sibling
/// statements after a list entry or container (`route 0.0.0.0/0 next-hop 10.0.0.1
/// preference 5`, as Junos's one-line statements read): each becomes one path.
pub fn resolve(words: &[String], purpose: Purpose) -> Result<Vec<Vec<Step>>, Rejected> {
    if words.is_empty() {
        return Err(Rejected::syntax(words, 0));
    }
    if let Some(i) = words.iter().position(|w| w.is_empty() || w.len() > 1024) {
        return Err(Rejected::syntax(words, i));
    }
    if words.len() > MAX_WORDS {
        // A wrong word among the first ones is the better message (the cut itself can
        // leave the last word wanting, which says nothing).
        if let Err(e) = resolve(&words[..MAX_WORDS], purpose) {
            if e.at + 1 < MAX_WORDS {
                return Err(e);
            }
        }
        return Err(Rejected {
            message: format!("syntax error: statement longer than {MAX_WORDS} words"),
            bad_element: words[MAX_WORDS].clone(),
            at: MAX_WORDS,
        });
    }
    let sc = schema();
    let mut paths = Vec::new();
    let mut path: Vec<Step> = Vec::new();
    let mut at = ROOT;
    let mut i = 0;
    // Whether the last word ended a leaf or flag (already recorded in `paths`).
    let mut terminal = false;
    while i < words.len() {
        let w = words[i].as_str();
        let (sid, keyword) = match sc.child_cli(at, w) {
            Some(c) => (c, true),
            None => match sc.keyless(at).or_else(|| sc.positional(at)) {
                Some(c) => (c, false),
                None => return Err(Rejected::syntax(words, i)),
            },
        };
        let s = sc.get(sid);
        if keyword {
            i += 1;
        }
        terminal = matches!(s.kind, Kind::Leaf | Kind::LeafList | Kind::Flag);
        match s.kind {
            Kind::Container | Kind::Presence => {
                path.push(Step { sid, keys: vec![] });
                at = sid;
            }
            Kind::List => {
                if i + s.keys.len() > words.len() {
                    if purpose == Purpose::Delete && i == words.len() {
                        // `delete interfaces interface`: every entry.
                        path.push(Step { sid, keys: vec![] });
                        break;
                    }
                    let key = s.keys.first().map_or("name", |k| &**k);
                    return Err(Rejected::expecting(
                        words,
                        i.saturating_sub(1),
                        &format!("{}-{key}", s.name),
                    ));
                }
                let keys = words[i..i + s.keys.len()].to_vec();
                i += s.keys.len();
                path.push(Step { sid, keys });
                at = sid;
            }
            Kind::Leaf | Kind::LeafList => {
                if i >= words.len() {
                    if purpose == Purpose::Delete {
                        path.push(Step { sid, keys: vec![] });
                        terminal = false;
                        break;
                    }
                    return Err(Rejected::expecting(words, i.saturating_sub(1), &s.name));
                }
                let mut values = Vec::new();
                if s.kind == Kind::LeafList && words[i] == "[" {
                    let Some(end) = words[i..].iter().position(|w| w == "]") else {
                        return Err(Rejected::syntax(words, words.len() - 1));
                    };
                    values.extend_from_slice(&words[i + 1..i + end]);
                    i += end + 1;
                } else {
                    values.push(words[i].clone());
                    i += 1;
                }
                for (k, v) in values.iter().enumerate() {
                    if let Err(message) = check_value(s, v) {
                        return Err(Rejected {
                            message,
                            bad_element: v.clone(),
                            at: i.saturating_sub(values.len() - k),
                        });
                    }
                }
                for v in values {
                    let mut p = path.clone();
                    p.push(Step { sid, keys: vec![v] });
                    paths.push(p);
                }
                if i < words.len() && purpose == Purpose::Delete {
                    return Err(Rejected::syntax(words, i));
                }
                continue;
            }
            Kind::Flag => {
                let mut p = path.clone();
                p.push(Step { sid, keys: vec![] });
                paths.push(p);
                if i < words.len() && purpose == Purpose::Delete {
                    return Err(Rejected::syntax(words, i));
                }
                continue;
            }
        }
    }
    if !terminal {
        match path.last().map(|s| sc.get(s.sid)) {
            Some(s) if purpose == Purpose::Set && s.kind == Kind::Container => {
                return Err(Rejected::expecting(words, words.len() - 1, "statement"));
            }
            Some(_) => paths.push(path),
            None => return Err(Rejected::syntax(words, 0)),
        }
    }
    Ok(paths)
}
