//! Curly-brace text, as `show configuration` prints it and `load` reads it, and the word
//! rules (quoting, escapes, comments) it shares with `set` lines.

use std::fmt::Write as _;

use super::{finish, ConfigTree, LoadError, Node};
use crate::schema::{schema, Kind, Sid, ROOT};

impl ConfigTree {
    /// Load curly-brace text (`system { host-name r1; }`), merging into this tree. With
    /// `replace`, a statement tagged `replace:` replaces what the tree held there.
    pub fn load_text(&mut self, text: &str, replace: bool) -> Result<(), Vec<LoadError>> {
        let mut errors = Vec::new();
        let mut path: Vec<Vec<String>> = Vec::new();
        // Whether each open block has held a statement (an empty block `x { }` is
        // the statement `x` itself).
        let mut filled: Vec<bool> = Vec::new();
        let mut words: Vec<String> = Vec::new();
        let mut tagged = false;
        let tokens = match tokenize(text) {
            Ok(t) => t,
            Err(e) => {
                return Err(vec![LoadError::new(
                    format!("syntax error: {e}"),
                    None,
                    None,
                )])
            }
        };
        for tok in tokens {
            match tok {
                Tok::Word {
                    text,
                    quoted: false,
                } if text == "replace:" && words.is_empty() => tagged = true,
                Tok::Open => {
                    if words.is_empty() {
                        errors.push(LoadError::new(
                            "syntax error".into(),
                            Some("{".into()),
                            None,
                        ));
                        break;
                    }
                    let block = std::mem::take(&mut words);
                    if tagged && replace {
                        let full: Vec<String> =
                            path.iter().flatten().chain(block.iter()).cloned().collect();
                        self.delete(&full);
                    }
                    tagged = false;
                    if let Some(f) = filled.last_mut() {
                        *f = true;
                    }
                    path.push(block);
                    filled.push(false);
                }
                Tok::Close => {
                    if words.is_empty() && filled.pop() == Some(false) {
                        let full: Vec<String> = path.iter().flatten().cloned().collect();
                        if let Err(e) = self.set_checked(&full) {
                            errors.push(LoadError::new(e.message, Some(e.bad_element), None));
                        }
                    }
                    if !words.is_empty() || path.pop().is_none() {
                        errors.push(LoadError::new(
                            "syntax error".into(),
                            Some(words.first().cloned().unwrap_or_else(|| "}".into())),
                            None,
                        ));
                        errors.push(LoadError::new(
                            "error recovery ignores input until this point".into(),
                            Some("}".into()),
                            None,
                        ));
                        words.clear();
                    }
                }
                Tok::Semi => {
                    let full: Vec<String> = path
                        .iter()
                        .flatten()
                        .cloned()
                        .chain(words.drain(..))
                        .collect();
                    if tagged && replace {
                        self.delete(&full[..full.len().saturating_sub(1)]);
                    }
                    tagged = false;
                    if full.is_empty() {
                        continue;
                    }
                    if let Some(f) = filled.last_mut() {
                        *f = true;
                    }
                    if let Err(e) = self.set_checked(&full) {
                        errors.push(LoadError::new(e.message, Some(e.bad_element), None));
                        errors.push(LoadError::new(
                            "error recovery ignores input until this point".into(),
                            Some(";".into()),
                            None,
                        ));
                    }
                }
                Tok::Word { text, .. } => words.push(text),
            }
        }
        if !path.is_empty() || !words.is_empty() {
            errors.push(LoadError::new(
                "syntax error: configuration text ends inside a statement".into(),
                words.last().cloned(),
                None,
            ));
        }
        finish(errors)
    }

    /// Curly-brace text as `show configuration` prints it.
    pub fn to_text(&self) -> String {
        self.to_text_at(ROOT)
    }

    /// Curly-brace text of a level's statements (`show configuration system`), where
    /// `parent` is the level's statement.
    pub fn to_text_at(&self, parent: Sid) -> String {
        let mut out = String::new();
        write_text(&self.children, parent, 0, &mut out);
        out
    }

    /// Every statement as a `set` line.
    pub fn to_set_lines(&self) -> Vec<String> {
        self.to_set_lines_at(ROOT, &[])
    }

    /// The `set` lines of a level's statements, after the level's own words.
    pub fn to_set_lines_at(&self, parent: Sid, prefix: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        let mut words: Vec<String> = prefix.iter().map(|w| quote(w)).collect();
        walk_set(&self.children, parent, &mut words, &mut out);
        out
    }
}

/// The words that name `node` in `set` and text syntax, below the statement `parent`.
pub(super) fn head_words(node: &Node, parent: Sid) -> Vec<String> {
    let sc = schema();
    let s = node.stmt();
    let mut w = Vec::new();
    match s.kind {
        Kind::List if s.keyless => {}
        Kind::Leaf if sc.positional(parent) == Some(node.sid) => {}
        _ => w.push(s.cli_name().to_string()),
    }
    w.extend(node.keys.iter().map(|k| quote(k)));
    w
}

fn walk_set(children: &[Node], parent: Sid, prefix: &mut Vec<String>, out: &mut Vec<String>) {
    for node in children {
        let words = head_words(node, parent);
        let n = prefix.len();
        prefix.extend(words);
        if node.children.is_empty() {
            if node.stmt().kind != Kind::Container {
                out.push(format!("set {}", prefix.join(" ")));
            }
        } else {
            walk_set(&node.children, node.sid, prefix, out);
        }
        prefix.truncate(n);
    }
}

/// Lists whose entries Junos writes on one line when they hold only leaves and flags
/// (`server 192.0.2.1 prefer;`, `any notice;`), with the most such statements a line
/// holds. The YANG does not say which statements Junos writes so; this is Junos's own
/// layout, as its documentation and the clients' captured configurations show it.
const ONE_LINE: &[(&str, usize)] = &[("server", 8), ("contents", 8), ("route", 1), ("peer", 8)];

/// Whether `node` is written on one line: a list entry of [`ONE_LINE`], or a container
/// whose first leaf takes a bare value (`autonomous-system 64512 loops 2;`), when it
/// holds only leaves and flags.
fn one_line(node: &Node, parent: Sid) -> bool {
    let _ = parent;
    let sc = schema();
    let s = node.stmt();
    let simple = node.children.iter().all(|c| match c.stmt().kind {
        Kind::Leaf | Kind::Flag => true,
        // One value of a leaf-list (`next-hop 10.0.0.1`), not several.
        Kind::LeafList => node.children.iter().filter(|d| d.sid == c.sid).count() == 1,
        _ => false,
    });
    if !simple || node.children.is_empty() {
        return false;
    }
    match s.kind {
        Kind::List => ONE_LINE
            .iter()
            .any(|(n, max)| **n == *s.name && node.children.len() <= *max),
        Kind::Container | Kind::Presence => {
            sc.positional(node.sid)
                .is_some_and(|p| node.children.first().is_some_and(|c| c.sid == p))
                || (node.children.len() == 1
                    && crate::schema::NOT_POSITIONAL
                        .iter()
                        .any(|(c, l)| **c == *s.name && *node.children[0].stmt().name == **l))
        }
        _ => false,
    }
}

pub(super) fn write_text(children: &[Node], parent: Sid, depth: usize, out: &mut String) {
    let pad = "    ".repeat(depth);
    let mut i = 0;
    while i < children.len() {
        let node = &children[i];
        let s = node.stmt();
        let words = head_words(node, parent).join(" ");
        if s.kind == Kind::Container && &*s.name == "family" && !node.children.is_empty() {
            // Junos writes a family with its name: `family inet {`, not `family {`.
            let mut inner = String::new();
            write_text(&node.children, node.sid, depth, &mut inner);
            for line in inner.lines() {
                let rest = &line[pad.len().min(line.len())..];
                if rest.starts_with([' ', '}']) {
                    let _ = writeln!(out, "{line}");
                } else {
                    let _ = writeln!(out, "{pad}family {rest}");
                }
            }
            i += 1;
            continue;
        }
        if parent == ROOT && s.kind == Kind::List && &*s.name == "groups" {
            // Junos writes its groups inside one `groups { NAME { ... } }` block.
            let run = children[i..]
                .iter()
                .take_while(|c| c.sid == node.sid)
                .count();
            let _ = writeln!(out, "{pad}groups {{");
            for g in &children[i..i + run] {
                let name = g
                    .keys
                    .iter()
                    .map(|k| quote(k))
                    .collect::<Vec<_>>()
                    .join(" ");
                if g.children.is_empty() {
                    let _ = writeln!(out, "{pad}    {name};");
                } else {
                    let _ = writeln!(out, "{pad}    {name} {{");
                    write_text(&g.children, ROOT, depth + 2, out);
                    let _ = writeln!(out, "{pad}    }}");
                }
            }
            let _ = writeln!(out, "{pad}}}");
            i += run;
            continue;
        }
        match s.kind {
            Kind::LeafList => {
                let run = children[i..]
                    .iter()
                    .take_while(|c| c.sid == node.sid)
                    .count();
                if run == 1 {
                    let _ = writeln!(out, "{pad}{words};");
                } else {
                    let values: Vec<String> = children[i..i + run]
                        .iter()
                        .flat_map(|c| c.keys.iter().map(|k| quote(k)))
                        .collect();
                    let _ = writeln!(out, "{pad}{} [ {} ];", s.cli_name(), values.join(" "));
                }
                i += run;
                continue;
            }
            Kind::Leaf | Kind::Flag => {
                let _ = writeln!(out, "{pad}{words};");
            }
            _ if node.children.is_empty() => {
                if s.kind != Kind::Container {
                    let _ = writeln!(out, "{pad}{words};");
                }
            }
            _ if one_line(node, parent) => {
                let mut line = words;
                for c in &node.children {
                    line.push(' ');
                    line.push_str(&head_words(c, node.sid).join(" "));
                }
                let _ = writeln!(out, "{pad}{line};");
            }
            _ => {
                let _ = writeln!(out, "{pad}{words} {{");
                write_text(&node.children, node.sid, depth + 1, out);
                let _ = writeln!(out, "{pad}}}");
            }
        }
        i += 1;
    }
}

/// A word as Junos writes it: quoted when it holds spaces, braces, semicolons, quotes
/// or is empty, with `"` and `\\` escaped inside the quotes; [`split_words`] reads it back.
pub(super) fn quote(w: &str) -> String {
    if w.is_empty()
        || w.contains(char::is_whitespace)
        || w.contains(['{', '}', ';', '"', '\\', '#'])
        || w.contains("/*")
    {
        let escaped = w.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{escaped}\"")
    } else {
        w.to_string()
    }
}

/// Split a `set` line into words, honouring double quotes.
pub fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quote = false;
    let mut has = false;
    let mut chars = line.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' if in_quote => match chars.next() {
                Some(c) => cur.push(c),
                None => return Err("a backslash ends the line".into()),
            },
            '"' => {
                in_quote = !in_quote;
                has = true;
            }
            c if c.is_whitespace() && !in_quote => {
                if has {
                    out.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            c => {
                cur.push(c);
                has = true;
            }
        }
    }
    if in_quote {
        return Err("unterminated quoted string".into());
    }
    if has {
        out.push(cur);
    }
    Ok(out)
}

/// Curly-brace text as tokens: words (quotes and backslash escapes honoured), `{`, `}`
/// and `;`; `#` comments to the end of the line outside quotes, and `/* */` comments.
/// A token of curly-brace text: a word (quoted or not) or a piece of structure.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word { text: String, quoted: bool },
    Open,
    Close,
    Semi,
}

fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut has = false;
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let flush = |cur: &mut String, has: &mut bool, quoted: &mut bool, out: &mut Vec<Tok>| {
        if *has {
            out.push(Tok::Word {
                text: std::mem::take(cur),
                quoted: std::mem::take(quoted),
            });
            *has = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                has = true;
                quoted = true;
                loop {
                    match chars.next() {
                        Some('\\') => match chars.next() {
                            Some(e) => cur.push(e),
                            None => return Err("a backslash ends the text".into()),
                        },
                        Some('"') => break,
                        Some(q) => cur.push(q),
                        None => return Err("unterminated quoted string".into()),
                    }
                }
            }
            '#' if !has => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
            }
            '/' if !has && chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                loop {
                    match chars.next() {
                        Some('/') if prev == '*' => break,
                        Some(n) => prev = n,
                        None => return Err("unterminated comment".into()),
                    }
                }
            }
            '{' | '}' | ';' => {
                flush(&mut cur, &mut has, &mut quoted, &mut out);
                out.push(match c {
                    '{' => Tok::Open,
                    '}' => Tok::Close,
                    _ => Tok::Semi,
                });
            }
            c if c.is_whitespace() => flush(&mut cur, &mut has, &mut quoted, &mut out),
            c => {
                cur.push(c);
                has = true;
            }
        }
    }
    flush(&mut cur, &mut has, &mut quoted, &mut out);
    Ok(out)
}
