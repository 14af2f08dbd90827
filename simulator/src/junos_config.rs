//! Junos configuration as a tree of words, readable and writable as `set` lines,
//! curly-brace text and XML.

use std::fmt::Write as _;

use netconf_wire::{escape_text, Element};

use crate::spec::DeviceSpec;

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

    /// Load `set`/`delete` lines. Errors name the line.
    pub fn load_set(&mut self, text: &str) -> Result<(), String> {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words = split_words(line).map_err(|e| format!("line {}: {e}", n + 1))?;
            match words.split_first() {
                Some((verb, rest)) if verb == "set" && !rest.is_empty() => self.set(rest),
                Some((verb, rest)) if verb == "delete" => {
                    self.delete(rest);
                }
                _ => return Err(format!("line {}: syntax error: {line}", n + 1)),
            }
        }
        Ok(())
    }

    /// Load curly-brace text (`system { host-name r1; }`), merging into this tree.
    pub fn load_text(&mut self, text: &str) -> Result<(), String> {
        let mut path: Vec<Vec<String>> = Vec::new();
        let mut words: Vec<String> = Vec::new();
        for tok in tokenize(text)? {
            match tok.as_str() {
                "{" => {
                    if words.is_empty() {
                        return Err("syntax error: '{' without a name".into());
                    }
                    path.push(std::mem::take(&mut words));
                }
                "}" => {
                    if !words.is_empty() || path.pop().is_none() {
                        return Err("syntax error: unbalanced '}'".into());
                    }
                }
                ";" => {
                    let full: Vec<String> = path
                        .iter()
                        .flatten()
                        .cloned()
                        .chain(words.drain(..))
                        .collect();
                    if full.first().map(String::as_str) == Some("replace:") {
                        continue;
                    }
                    self.set(&full);
                }
                _ => words.push(tok),
            }
        }
        if !path.is_empty() || !words.is_empty() {
            return Err("syntax error: configuration text ends inside a statement".into());
        }
        Ok(())
    }

    /// Load a `<configuration>` element, merging into this tree.
    pub fn load_xml(&mut self, configuration: &Element) -> Result<(), String> {
        for c in &configuration.children {
            self.load_xml_el(&mut Vec::new(), c, None);
        }
        Ok(())
    }

    fn load_xml_el(&mut self, path: &mut Vec<String>, el: &Element, parent: Option<&str>) {
        let n = path.len();
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
            let leaf = el.children.iter().all(|c| c.name == "name");
            if leaf {
                self.set(path);
            }
            for c in el.children.iter().filter(|c| c.name != "name") {
                self.load_xml_el(path, c, Some(&el.name));
            }
        }
        path.truncate(n);
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

fn quote(w: &str) -> String {
    if w.is_empty() || w.contains(char::is_whitespace) || w.contains(['{', '}', ';']) {
        format!("\"{w}\"")
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
    for ch in line.chars() {
        match ch {
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

fn tokenize(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for raw in text.lines() {
        let line = raw.split("##").next().unwrap_or("");
        let line = if line.trim_start().starts_with('#') {
            ""
        } else {
            line
        };
        let spaced = line
            .replace('{', " { ")
            .replace('}', " } ")
            .replace(';', " ; ");
        out.extend(split_words(&spaced)?);
    }
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
        from_text.load_text(&t.to_text()).unwrap();
        assert_eq!(from_text.to_set_lines(), t.to_set_lines());
        let xml = format!("<configuration>{}</configuration>", t.to_xml());
        let mut from_xml = ConfigTree::default();
        from_xml
            .load_xml(&Element::parse(xml.as_bytes()).unwrap())
            .unwrap();
        assert_eq!(from_xml.to_set_lines(), t.to_set_lines());
    }

    #[test]
    fn bad_config_text_is_an_error() {
        let mut t = ConfigTree::default();
        assert!(t.load_text("system { host-name x;").is_err());
        assert!(t.load_text("}").is_err());
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
