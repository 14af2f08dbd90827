//! Curly-brace text, as `show configuration` prints it and `load` reads it, and the word
//! rules (quoting, escapes, comments) it shares with `set` lines.

use std::fmt::Write as _;

use super::{finish, ConfigTree, LoadError, LIST_KEYWORDS};

impl ConfigTree {
    /// Load curly-brace text (`system { host-name r1; }`), merging into this tree. With
    /// `replace`, a statement tagged `replace:` replaces what the tree held there.
    pub fn load_text(&mut self, text: &str, replace: bool) -> Result<(), Vec<LoadError>> {
        let mut errors = Vec::new();
        let mut path: Vec<Vec<String>> = Vec::new();
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
                    path.push(block);
                }
                Tok::Close => {
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
        let mut out = String::new();
        self.write_text(&mut out, 0, None);
        out
    }

    fn write_text(&self, out: &mut String, depth: usize, parent: Option<&str>) {
        let pad = "    ".repeat(depth);
        for (w, child) in &self.children {
            let w = quote(w);
            let is_list = parent.is_some_and(|p| LIST_KEYWORDS.contains(&p));
            if child.children.is_empty() {
                let _ = writeln!(out, "{pad}{w};");
            } else if child.children.len() == 1
                && child.children[0].1.children.is_empty()
                && !is_list
            {
                let _ = writeln!(out, "{pad}{w} {};", quote(&child.children[0].0));
            } else if LIST_KEYWORDS.contains(&w.as_str()) {
                for (name, entry) in &child.children {
                    if entry.children.is_empty() {
                        let _ = writeln!(out, "{pad}{w} {};", quote(name));
                    } else {
                        let _ = writeln!(out, "{pad}{w} {} {{", quote(name));
                        entry.write_text(out, depth + 1, None);
                        let _ = writeln!(out, "{pad}}}");
                    }
                }
            } else {
                let _ = writeln!(out, "{pad}{w} {{");
                child.write_text(out, depth + 1, Some(&w));
                let _ = writeln!(out, "{pad}}}");
            }
        }
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
