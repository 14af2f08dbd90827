//! The configuration as Junos's XML (`<configuration>`), written and loaded by the
//! schema: containers as elements, list entries with their keys as child elements,
//! leaves with their value as text, flags and bare presence containers as empty
//! elements.

use std::fmt::Write as _;

use netconf_wire::{escape_text, Element};

use super::{finish, place, remove, ConfigTree, LoadError, Node};
use crate::schema::{self, schema, Kind, Sid, Step, MAX_WORDS, ROOT};

impl ConfigTree {
    /// The `<configuration>` element's children as XML.
    pub fn to_xml(&self) -> String {
        let mut out = String::new();
        write_xml(&self.children, &mut out);
        out
    }

    /// Load a `<configuration>` element, merging into this tree. `replace="replace"` on
    /// an element (with `replace`) and `operation="delete"` / `delete="delete"` work as
    /// on Junos; `operation="replace"` replaces the element.
    pub fn load_xml(
        &mut self,
        configuration: &Element,
        replace: bool,
    ) -> Result<(), Vec<LoadError>> {
        let mut errors = Vec::new();
        for c in &configuration.children {
            load_el(&mut self.children, ROOT, c, replace, 0, &mut errors);
        }
        finish(errors)
    }
}

fn write_xml(children: &[Node], out: &mut String) {
    for node in children {
        let s = node.stmt();
        let n = &*s.name;
        match s.kind {
            Kind::Leaf | Kind::LeafList => {
                let v = node.keys.first().map(String::as_str).unwrap_or_default();
                let _ = write!(out, "<{n}>{}</{n}>", escape_text(v));
            }
            Kind::Flag => {
                let _ = write!(out, "<{n}/>");
            }
            Kind::Container if node.children.is_empty() => {}
            Kind::Presence if node.children.is_empty() => {
                let _ = write!(out, "<{n}/>");
            }
            Kind::Container | Kind::Presence => {
                let _ = write!(out, "<{n}>");
                write_xml(&node.children, out);
                let _ = write!(out, "</{n}>");
            }
            Kind::List => {
                let _ = write!(out, "<{n}>");
                for (k, v) in s.keys.iter().zip(&node.keys) {
                    let _ = write!(out, "<{k}>{}</{k}>", escape_text(v));
                }
                write_xml(&node.children, out);
                let _ = write!(out, "</{n}>");
            }
        }
    }
}

/// An element's value. Pretty-printed XML pads values with line breaks and
/// indentation; a value on one line is kept exactly (a Junos value can start or end
/// with a space).
fn value_text(el: &Element) -> &str {
    if el.text.contains(['\n', '\r']) || !el.children.is_empty() {
        el.text.trim()
    } else {
        el.text.as_str()
    }
}

fn is_delete(el: &Element) -> bool {
    el.attr("operation") == Some("delete") || el.attr("delete") == Some("delete")
}

fn load_el(
    children: &mut Vec<Node>,
    parent: Sid,
    el: &Element,
    replace: bool,
    depth: usize,
    errors: &mut Vec<LoadError>,
) {
    let err = |errors: &mut Vec<LoadError>, message: String, bad: &str| {
        errors.push(LoadError::new(message, Some(bad.to_string()), None));
    };
    if depth > MAX_WORDS {
        return err(
            errors,
            "syntax error: configuration nested too deep".into(),
            &el.name,
        );
    }
    let sc = schema();
    let Some(sid) = sc.child(parent, &el.name) else {
        return err(errors, "syntax error".into(), &el.name);
    };
    let s = sc.get(sid);
    let delete = is_delete(el);
    let text = value_text(el);
    let keys: Vec<String> = match s.kind {
        Kind::List => {
            let mut keys = Vec::new();
            for k in s.keys.iter() {
                match el.children.iter().find(|c| c.name == **k).map(value_text) {
                    Some(v) if !v.is_empty() => keys.push(v.to_string()),
                    _ if delete && keys.is_empty() => break,
                    _ => return err(errors, format!("syntax error, expecting <{k}>"), &el.name),
                }
            }
            keys
        }
        // An empty leaf that only carries `active`/`inactive` names no value to set:
        // Junos loads it as nothing (Ansible's junos_system writes
        // `<domain-search active="active"/>` for every option not given).
        Kind::Leaf | Kind::LeafList
            if text.is_empty()
                && !delete
                && (el.attr("active").is_some() || el.attr("inactive").is_some()) =>
        {
            return;
        }
        Kind::Leaf | Kind::LeafList if text.is_empty() && !delete => {
            return err(
                errors,
                format!("syntax error, expecting <{}>", s.name),
                &el.name,
            );
        }
        Kind::Leaf | Kind::LeafList if text.is_empty() => Vec::new(),
        Kind::Leaf | Kind::LeafList => {
            if let Err(m) = schema::check_value(s, text) {
                return err(errors, m, text);
            }
            vec![text.to_string()]
        }
        _ => Vec::new(),
    };
    // A container whose first leaf takes a bare value can carry that value as its
    // text, as clients write it (`<autonomous-system>65534</autonomous-system>` is
    // `<autonomous-system><as-number>65534</as-number>`).
    let mut bare = None;
    if matches!(s.kind, Kind::Container | Kind::Presence | Kind::Flag) && !text.trim().is_empty() {
        match sc.positional(sid) {
            Some(leaf) if s.kind != Kind::Flag => {
                if let Err(m) = schema::check_value(sc.get(leaf), text.trim()) {
                    return err(errors, m, text.trim());
                }
                bare = Some(Step {
                    sid: leaf,
                    keys: vec![text.trim().to_string()],
                });
            }
            _ => return err(errors, "syntax error".into(), text),
        }
    }
    let step = Step { sid, keys };
    if delete {
        remove(children, std::slice::from_ref(&step));
        return;
    }
    if (replace && el.attr("replace") == Some("replace")) || el.attr("operation") == Some("replace")
    {
        remove(children, std::slice::from_ref(&step));
    }
    let node = place(children, parent, &step);
    if let Some(b) = &bare {
        place(&mut node.children, sid, b);
    }
    let kids: Vec<&Element> = el
        .children
        .iter()
        .filter(|c| s.kind != Kind::List || !s.keys.iter().any(|k| **k == c.name))
        .collect();
    for c in kids {
        load_el(&mut node.children, sid, c, replace, depth + 1, errors);
    }
    // A container left empty (all its children were deletes) is not kept.
    if s.kind == Kind::Container {
        if let Some(i) = children
            .iter()
            .position(|c| c.sid == sid && c.children.is_empty())
        {
            children.remove(i);
        }
    }
}
