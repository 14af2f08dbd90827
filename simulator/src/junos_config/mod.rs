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
    pub(super) fn new(message: String, bad_element: Option<String>, line: Option<usize>) -> Self {
        Self {
            message,
            bad_element,
            line,
            warning: false,
        }
    }
}

/// Errors fail a load; warnings alone do not (they are dropped here: the load succeeded).
pub(super) fn finish(errors: Vec<LoadError>) -> Result<(), Vec<LoadError>> {
    if errors.iter().any(|e| !e.warning) {
        Err(errors)
    } else {
        Ok(())
    }
}

/// Keywords whose next word names an entry, as curly text writes them (`unit 0 {`).
pub(super) const LIST_KEYWORDS: &[&str] = &[
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
pub(super) fn is_xml_list(w: &str) -> bool {
    w != "family" && LIST_KEYWORDS.contains(&w)
}
/// Containers whose entries are written without the singular keyword in `set` syntax.
pub(super) const PLURALS: &[(&str, &str)] = &[("interfaces", "interface")];
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
    pub(super) children: Vec<(String, ConfigTree)>,
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

    pub(super) fn entry(&mut self, word: &str) -> &mut ConfigTree {
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

pub(super) fn is_container(w: &str) -> bool {
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

mod json;
#[cfg(test)]
mod tests;
mod text;

use text::quote;
pub use text::split_words;
