//! Junos configuration as a tree of words, readable and writable as `set` lines,
//! curly-brace text and XML.

use std::fmt::Write as _;

use netconf_wire::{escape_text, Element};

use crate::schema::{self, Rejected};
use crate::spec::DeviceSpec;

/// One refused statement of a load, as Junos reports it in `<load-configuration-results>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// Junos's message (`syntax error`, `error recovery ignores input until this point`).
    pub message: String,
    /// The offending word, for `error-info/bad-element`.
    pub bad_element: Option<String>,
    /// The line of a `set` load, from 1.
    pub line: Option<usize>,
    /// A warning (`statement not found` for a delete), not an error.
    pub warning: bool,
}

impl LoadError {
    fn new(message: String, bad_element: Option<String>, line: Option<usize>) -> Self {
        Self {
            message,
            bad_element,
            line,
            warning: false,
        }
    }
}

/// Errors fail a load; warnings alone do not (they are dropped here: the load succeeded).
fn finish(errors: Vec<LoadError>) -> Result<(), Vec<LoadError>> {
    if errors.iter().any(|e| !e.warning) {
        Err(errors)
    } else {
        Ok(())
    }
}

/// Keywords whose next word names an entry, as curly text writes them (`unit 0 {`).
const LIST_KEYWORDS: &[&str] = &[
    "unit",
    "family",
    "area",
    "interface",
    "user",
    "route",
    "group",
    "address",
    "neighbor",
    "class",
    "rib",
    "interface-range",
    "area-range",
    "qualified-next-hop",
];
/// Keywords whose entries are `<keyword><name>..</name>..</keyword>` in Junos XML: the
/// list keywords but `family` (`<family><inet>`, not a named entry).
fn is_xml_list(w: &str) -> bool {
    w != "family" && LIST_KEYWORDS.contains(&w)
}
/// Containers whose entries are written without the singular keyword in `set` syntax.
const PLURALS: &[(&str, &str)] = &[("interfaces", "interface")];
/// Statements that hold one value: setting them replaces the old value.
const SINGLE_VALUE: &[&str] = &[
    "host-name",
    "domain-name",
    "router-id",
    "version",
    "description",
    "class",
    "time-zone",
    "mtu",
    "metric",
    "autonomous-system",
    "encrypted-password",
    "location",
    "contact",
];

/// A configuration: an ordered tree of words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigTree {
    children: Vec<(String, ConfigTree)>,
}

impl ConfigTree {
    /// The configuration a device boots with.
    pub fn factory(spec: &DeviceSpec) -> Self {
        let mut t = ConfigTree::default();
        let mut lines = vec![
            format!("set version {}", spec.version),
            format!("set system host-name {}", spec.hostname),
            "set system root-authentication encrypted-password \"$6$sim$Qk3x0pQ8T1XvU1d7bOeH5.\""
                .into(),
            "set system login user lab class super-user".into(),
            "set system services ssh".into(),
            "set system services netconf ssh".into(),
        ];
        for i in spec.interfaces() {
            lines.push(format!(
                "set interfaces {} unit 0 family inet address {}/{}",
                i.name, i.address, i.prefix_len
            ));
        }
        lines.push(format!(
            "set interfaces lo0 unit 0 family inet address {}/32",
            spec.router_id()
        ));
        lines.push(format!(
            "set routing-options router-id {}",
            spec.router_id()
        ));
        for i in spec.interfaces().iter().filter(|i| i.up) {
            lines.push(format!(
                "set protocols ospf area 0.0.0.0 interface {}",
                i.name
            ));
        }
        lines.push("set protocols ospf area 0.0.0.0 interface lo0.0 passive".into());
        lines.push(format!(
            "set routing-options autonomous-system {}",
            spec.autonomous_system()
        ));
        lines.push("set protocols bgp group ibgp type internal".into());
        lines.push(format!(
            "set protocols bgp group ibgp local-address {}",
            spec.router_id()
        ));
        for peer in spec.bgp_peers() {
            lines.push(format!("set protocols bgp group ibgp neighbor {peer}"));
        }
        lines.push("set protocols lldp interface all".into());
        t.load_set(&lines.join("\n"))
            .expect("factory configuration is valid");
        t
    }

    fn entry(&mut self, word: &str) -> &mut ConfigTree {
        if let Some(i) = self.children.iter().position(|(w, _)| w == word) {
            return &mut self.children[i].1;
        }
        self.children
            .push((word.to_string(), ConfigTree::default()));
        &mut self.children.last_mut().expect("just pushed").1
    }

    /// `set a b c`: add the path.
    pub fn set(&mut self, words: &[String]) {
        let mut node = self;
        for (i, w) in words.iter().enumerate() {
            node = node.entry(w);
            if i + 2 == words.len() && SINGLE_VALUE.contains(&w.as_str()) {
                node.children.retain(|(c, _)| c == &words[i + 1]);
            }
        }
    }

    /// `delete a b c`: remove the subtree; false if it was not there.
    pub fn delete(&mut self, words: &[String]) -> bool {
        let Some((last, parents)) = words.split_last() else {
            let had = !self.children.is_empty();
            self.children.clear();
            return had;
        };
        let mut node = self;
        for w in parents {
            match node.children.iter().position(|(c, _)| c == w) {
                Some(i) => node = &mut node.children[i].1,
                None => return false,
            }
        }
        let before = node.children.len();
        node.children.retain(|(c, _)| c != last);
        before != node.children.len()
    }

    /// `set` after checking the statement against the schema (what a client sends).
    pub fn set_checked(&mut self, words: &[String]) -> Result<(), Rejected> {
        schema::check(words)?;
        self.set(words);
        Ok(())
    }

    /// Load `set`/`delete` lines. Every refused line is reported, with Junos's message
    /// and the offending word; callers load into a copy, so a refused load changes
    /// nothing.
    pub fn load_set(&mut self, text: &str) -> Result<(), Vec<LoadError>> {
        let mut errors = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words = match split_words(line) {
                Ok(w) => w,
                Err(e) => {
                    errors.push(LoadError::new(
                        format!("syntax error: {e}"),
                        None,
                        Some(n + 1),
                    ));
                    continue;
                }
            };
            let r = match words.split_first() {
                Some((verb, rest)) if verb == "set" => self.set_checked(rest),
                Some((verb, rest)) if verb == "delete" && rest.is_empty() => {
                    self.delete(rest);
                    Ok(())
                }
                Some((verb, rest)) if verb == "delete" => schema::check(rest).map(|()| {
                    if !self.delete(rest) {
                        errors.push(LoadError {
                            message: "statement not found".into(),
                            bad_element: None,
                            line: Some(n + 1),
                            warning: true,
                        });
                    }
                }),
                _ => Err(Rejected {
                    message: "syntax error, expecting <command>".into(),
                    bad_element: words.first().cloned().unwrap_or_default(),
                    at: 0,
                }),
            };
            if let Err(e) = r {
                errors.push(LoadError::new(e.message, Some(e.bad_element), Some(n + 1)));
            }
        }
        finish(errors)
    }

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

    /// Load a `<configuration>` element, merging into this tree. `replace="replace"` on an
    /// element (with `replace`) and `operation="delete"` / `delete="delete"` work as on
    /// Junos.
    pub fn load_xml(
        &mut self,
        configuration: &Element,
        replace: bool,
    ) -> Result<(), Vec<LoadError>> {
        let mut errors = Vec::new();
        for c in &configuration.children {
            self.load_xml_el(&mut Vec::new(), c, None, replace, &mut errors, true);
        }
        finish(errors)
    }

    /// The statements a `<configuration>` subtree filter names (`<system><host-name/>`),
    /// unchecked: a filter names places, not complete statements.
    pub fn from_filter(filter: &Element) -> ConfigTree {
        let mut t = ConfigTree::default();
        let mut errors = Vec::new();
        for c in &filter.children {
            t.load_xml_el(&mut Vec::new(), c, None, false, &mut errors, false);
        }
        t
    }

    fn load_xml_el(
        &mut self,
        path: &mut Vec<String>,
        el: &Element,
        parent: Option<&str>,
        replace: bool,
        errors: &mut Vec<LoadError>,
        checked: bool,
    ) {
        let n = path.len();
        if n > schema::MAX_WORDS {
            errors.push(LoadError::new(
                "syntax error: configuration nested too deep".into(),
                Some(el.name.clone()),
                None,
            ));
            return;
        }
        let singular_of_parent = parent
            .and_then(|p| PLURALS.iter().find(|(pl, _)| *pl == p))
            .map(|(_, s)| *s);
        let name = el.child_text("name");
        match name {
            Some(name) if singular_of_parent == Some(el.name.as_str()) => {
                path.push(name.to_string())
            }
            Some(name) => {
                path.push(el.name.clone());
                path.push(name.to_string());
            }
            None => path.push(el.name.clone()),
        }
        let text = el.text.trim();
        if el.children.is_empty() && !text.is_empty() {
            path.push(text.to_string());
        }
        if el.attr("operation") == Some("delete") || el.attr("delete") == Some("delete") {
            self.delete(path);
        } else {
            if replace && el.attr("replace") == Some("replace") {
                self.delete(path);
            }
            let leaf = el.children.iter().all(|c| c.name == "name");
            if leaf && checked {
                if let Err(e) = self.set_checked(path) {
                    errors.push(LoadError::new(e.message, Some(e.bad_element), None));
                }
            } else if leaf {
                self.set(path);
            }
            for c in el.children.iter().filter(|c| c.name != "name") {
                self.load_xml_el(path, c, Some(&el.name), replace, errors, checked);
            }
        }
        path.truncate(n);
    }

    /// The subtree at `path` (words of a `show configuration` path), rooted: `system`
    /// gives a tree holding just `system { ... }`.
    pub fn subtree(&self, path: &[String]) -> ConfigTree {
        let mut node = self;
        for w in path {
            match node.children.iter().find(|(c, _)| c == w) {
                Some((_, child)) => node = child,
                None => return ConfigTree::default(),
            }
        }
        let mut out = node.clone();
        for w in path.iter().rev() {
            out = ConfigTree {
                children: vec![(w.clone(), out)],
            };
        }
        out
    }

    /// Whether the tree holds any statement.
    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    /// Statements Junos requires for a commit that are missing: (level, statement).
    pub fn missing_mandatory(&self) -> Vec<(String, &'static str)> {
        schema::MANDATORY
            .iter()
            .filter(|(level, stmt)| {
                let mut node = self;
                for w in level.iter() {
                    match node.children.iter().find(|(c, _)| c == w) {
                        Some((_, child)) => node = child,
                        None => return false,
                    }
                }
                !node.children.iter().any(|(c, _)| c == stmt)
            })
            .map(|(level, stmt)| (level.join(" "), *stmt))
            .collect()
    }

    /// Every leaf path as a `set` line.
    pub fn to_set_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.walk_set(&mut Vec::new(), &mut out);
        out
    }

    fn walk_set(&self, prefix: &mut Vec<String>, out: &mut Vec<String>) {
        for (w, child) in &self.children {
            prefix.push(quote(w));
            if child.children.is_empty() {
                out.push(format!("set {}", prefix.join(" ")));
            } else {
                child.walk_set(prefix, out);
            }
            prefix.pop();
        }
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

    /// The `<configuration>` element's children as XML.
    pub fn to_xml(&self) -> String {
        let mut out = String::new();
        self.write_xml(&mut out, None);
        out
    }

    fn write_xml(&self, out: &mut String, parent: Option<&str>) {
        let singular = parent
            .and_then(|p| PLURALS.iter().find(|(pl, _)| *pl == p))
            .map(|(_, s)| *s);
        for (w, child) in &self.children {
            if let Some(s) = singular {
                let _ = write!(out, "<{s}><name>{}</name>", escape_text(w));
                child.write_xml(out, None);
                let _ = write!(out, "</{s}>");
            } else if is_xml_list(w) && !child.children.is_empty() {
                for (name, entry) in &child.children {
                    let _ = write!(out, "<{w}><name>{}</name>", escape_text(name));
                    entry.write_xml(out, None);
                    let _ = write!(out, "</{w}>");
                }
            } else if !schema::is_xml_name(w) {
                // Only a value can get here (the schema refuses such a word anywhere it
                // would name an element): Junos writes a bare value as `<name>`.
                let _ = write!(out, "<name>{}</name>", escape_text(w));
                child.write_xml(out, None);
            } else if child.children.is_empty() {
                let _ = write!(out, "<{w}/>");
            } else if child.children.len() == 1
                && child.children[0].1.children.is_empty()
                && !is_container(w)
            {
                let _ = write!(out, "<{w}>{}</{w}>", escape_text(&child.children[0].0));
            } else {
                let _ = write!(out, "<{w}>");
                child.write_xml(out, Some(w));
                let _ = write!(out, "</{w}>");
            }
        }
    }

    /// The configuration as Junos's JSON (`format="json"`): containers as objects, a
    /// statement with one value as a string, a flag as `[null]`, named entries as arrays
    /// of objects with `name`.
    pub fn to_json(&self) -> String {
        let mut root = serde_json::Map::new();
        root.insert("configuration".into(), self.json_value(None));
        serde_json::Value::Object(root).to_string()
    }

    fn json_value(&self, parent: Option<&str>) -> serde_json::Value {
        use serde_json::{json, Map, Value};
        let singular = parent
            .and_then(|p| PLURALS.iter().find(|(pl, _)| *pl == p))
            .map(|(_, s)| *s);
        let mut obj = Map::new();
        for (w, child) in &self.children {
            if let Some(s) = singular {
                let mut entry = child.json_value(None);
                if let Value::Object(m) = &mut entry {
                    m.insert("name".into(), json!(w));
                }
                push_json(&mut obj, s, entry);
            } else if is_xml_list(w) && !child.children.is_empty() {
                for (name, entry) in &child.children {
                    let mut e = entry.json_value(None);
                    if let Value::Object(m) = &mut e {
                        m.insert("name".into(), json!(name));
                    }
                    push_json(&mut obj, w, e);
                }
            } else if child.children.is_empty() {
                obj.insert(w.clone(), json!([null]));
            } else if child.children.len() == 1
                && child.children[0].1.children.is_empty()
                && !is_container(w)
            {
                obj.insert(w.clone(), json!(child.children[0].0));
            } else {
                obj.insert(w.clone(), child.json_value(Some(w)));
            }
        }
        Value::Object(obj)
    }

    /// Differences as `show | compare` prints them: `+`/`-` set lines.
    pub fn compare(&self, newer: &ConfigTree) -> Vec<String> {
        let old = self.to_set_lines();
        let new = newer.to_set_lines();
        let mut out: Vec<String> = old
            .iter()
            .filter(|l| !new.contains(l))
            .map(|l| format!("- {l}"))
            .collect();
        out.extend(
            new.iter()
                .filter(|l| !old.contains(l))
                .map(|l| format!("+ {l}")),
        );
        out
    }

    /// A value by path, like `system host-name`.
    pub fn value(&self, path: &[&str]) -> Option<&str> {
        let mut node = self;
        for w in path {
            node = &node.children.iter().find(|(c, _)| c == w)?.1;
        }
        node.children.first().map(|(w, _)| w.as_str())
    }
}

fn push_json(
    obj: &mut serde_json::Map<String, serde_json::Value>,
    key: &str,
    v: serde_json::Value,
) {
    match obj
        .entry(key.to_string())
        .or_insert_with(|| serde_json::Value::Array(Vec::new()))
    {
        serde_json::Value::Array(a) => a.push(v),
        other => *other = serde_json::Value::Array(vec![v]),
    }
}

fn is_container(w: &str) -> bool {
    matches!(
        w,
        "system"
            | "interfaces"
            | "protocols"
            | "routing-options"
            | "services"
            | "login"
            | "ospf"
            | "netconf"
            | "family"
            | "inet"
            | "inet6"
    )
}

/// A word as Junos writes it: quoted when it holds spaces, braces, semicolons, quotes
/// or is empty, with `"` and `\\` escaped inside the quotes; [`split_words`] reads it back.
fn quote(w: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_text_and_xml_views_agree() {
        let spec = DeviceSpec::new(0, 1, 10);
        let t = ConfigTree::factory(&spec);
        assert_eq!(t.value(&["system", "host-name"]), Some("r1"));
        let mut from_text = ConfigTree::default();
        from_text.load_text(&t.to_text(), false).unwrap();
        assert_eq!(from_text.to_set_lines(), t.to_set_lines());
        let xml = format!("<configuration>{}</configuration>", t.to_xml());
        let mut from_xml = ConfigTree::default();
        from_xml
            .load_xml(&Element::parse(xml.as_bytes()).unwrap(), false)
            .unwrap();
        assert_eq!(from_xml.to_set_lines(), t.to_set_lines());
    }

    #[test]
    fn bad_config_text_is_an_error() {
        let mut t = ConfigTree::default();
        assert!(t.load_text("system { host-name x;", false).is_err());
        assert!(t.load_text("}", false).is_err());
        assert!(t.load_set("frobnicate system").is_err());
        assert!(t.load_set("set system host-name \"unterminated").is_err());
    }
}

#[cfg(test)]
mod junos_xml_shape {
    use super::*;

    #[test]
    fn xml_uses_junos_list_and_container_shapes() {
        let mut t = ConfigTree::default();
        t.load_set("set system host-name r1\nset system host-name r9\nset system services netconf ssh\nset interfaces ge-0/0/0 unit 0 family inet address 10.0.14.1/24").unwrap();
        let xml = t.to_xml();
        assert!(xml.contains("<host-name>r9</host-name>"), "{xml}");
        assert!(xml.contains("<netconf><ssh/></netconf>"), "{xml}");
        assert!(xml.contains("<interface><name>ge-0/0/0</name><unit><name>0</name><family><inet><address><name>10.0.14.1/24</name></address></inet></family></unit></interface>"), "{xml}");
        assert!(t.to_text().contains("family inet {"), "{}", t.to_text());
    }
}

#[cfg(test)]
mod hostile_values {
    use super::*;

    #[test]
    fn quotes_markup_and_framing_markers_in_values_round_trip_safely() {
        for value in [
            "a\"b",
            "x</host-name><evil/>",
            "]]>]]>",
            "back\\slash",
            "sp ace;{}",
        ] {
            let mut t = ConfigTree::default();
            t.set_checked(&["system".into(), "host-name".into(), value.into()])
                .unwrap();
            // Text and set views read back to the same value.
            let mut back = ConfigTree::default();
            back.load_text(&t.to_text(), false).unwrap();
            assert_eq!(
                back.value(&["system", "host-name"]),
                Some(value),
                "{}",
                t.to_text()
            );
            let mut back = ConfigTree::default();
            back.load_set(&t.to_set_lines().join("\n")).unwrap();
            assert_eq!(back.value(&["system", "host-name"]), Some(value));
            // The XML view is well formed and carries the value as text only.
            let xml = format!("<configuration>{}</configuration>", t.to_xml());
            let el = Element::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("{xml}: {e}"));
            assert_eq!(el.find(&["system", "host-name"]).unwrap().text, value);
            assert!(!t.to_xml().contains("]]>]]>"));
        }
    }

    #[test]
    fn a_huge_statement_is_refused_not_built() {
        let words = std::iter::repeat_n("a", 20_000)
            .collect::<Vec<_>>()
            .join(" ");
        let mut t = ConfigTree::default();
        let e = t.load_set(&format!("set system {words}")).unwrap_err();
        assert_eq!(e[0].message, "syntax error");
        assert_eq!(e[0].bad_element.as_deref(), Some("a"));
        assert!(t.is_empty());
        let e = t
            .load_set(&format!("set policy-options {words}"))
            .unwrap_err();
        assert!(e[0].message.contains("longer than"), "{e:?}");
    }

    #[test]
    fn load_errors_are_junos_errors() {
        let mut t = ConfigTree::default();
        let e = t.load_text("systemm { host-name x; }", false).unwrap_err();
        assert_eq!(e[0].message, "syntax error");
        assert_eq!(e[0].bad_element.as_deref(), Some("systemm"));
        assert_eq!(
            e[1].message,
            "error recovery ignores input until this point"
        );
        let e = t
            .load_set("set system foo\nset system host-name ok")
            .unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].line, Some(1));
        // Deleting what is not there warns, and the load succeeds.
        t.load_set("delete system ntp").unwrap();
    }
}
