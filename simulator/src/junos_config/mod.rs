//! Junos configuration as Junos holds it: a tree of the statements of Junos's published
//! schema (see [`crate::schema`]), readable and writable as `set` lines, curly-brace
//! text, XML and JSON.

use netconf_wire::Element;

use crate::schema::{self, schema, Kind, Purpose, Rejected, Sid, Statement, Step, ROOT};
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

/// A configuration: statements as Junos's XML holds them, each tied to its schema
/// statement, in the schema's order (list entries in the order they were added).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigTree {
    pub(super) children: Vec<Node>,
}

/// One element of the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Node {
    /// Its statement in the schema.
    pub(super) sid: Sid,
    /// A list entry's keys, or a leaf's (or one leaf-list element's) value.
    pub(super) keys: Vec<String>,
    pub(super) children: Vec<Node>,
}

impl Node {
    fn new(step: &Step) -> Node {
        Node {
            sid: step.sid,
            keys: step.keys.clone(),
            children: Vec::new(),
        }
    }

    pub(super) fn stmt(&self) -> &'static Statement {
        schema().get(self.sid)
    }

    /// Whether this node is the element `step` names: the same statement and, for a
    /// list entry or leaf-list element, the same keys.
    fn is(&self, step: &Step) -> bool {
        self.sid == step.sid
            && (!matches!(self.stmt().kind, Kind::List | Kind::LeafList) || self.keys == step.keys)
    }
}

/// Find or add the element `step` among `children` (of the statement `parent`), in
/// the schema's order; a leaf takes the new value, and the other cases of a choice go.
pub(super) fn place<'a>(children: &'a mut Vec<Node>, parent: Sid, step: &Step) -> &'a mut Node {
    let sc = schema();
    if let Some(i) = children.iter().position(|c| c.is(step)) {
        if sc.get(step.sid).kind == Kind::Leaf {
            children[i].keys = step.keys.clone();
        }
        return &mut children[i];
    }
    if let Some((choice, case)) = &sc.get(step.sid).choice {
        children.retain(|c| match &c.stmt().choice {
            Some((ch, cs)) => ch != choice || cs == case,
            None => true,
        });
    }
    let order = sc.order(parent, step.sid);
    let at = children
        .iter()
        .position(|c| sc.order(parent, c.sid) > order)
        .unwrap_or(children.len());
    children.insert(at, Node::new(step));
    &mut children[at]
}

/// Remove the element at the end of `path`; containers left empty go too (Junos
/// keeps no empty container). False if it was not there.
pub(super) fn remove(children: &mut Vec<Node>, path: &[Step]) -> bool {
    let Some((first, rest)) = path.split_first() else {
        let had = !children.is_empty();
        children.clear();
        return had;
    };
    let sc = schema();
    let kind = sc.get(first.sid).kind;
    if rest.is_empty() {
        let before = children.len();
        children.retain(|c| {
            !(c.sid == first.sid
                && match kind {
                    // `delete ... user` (no name) removes every entry.
                    Kind::List | Kind::LeafList => first.keys.is_empty() || c.keys == first.keys,
                    // `delete system host-name r1` removes the leaf only if it holds r1.
                    Kind::Leaf => first.keys.is_empty() || c.keys == first.keys,
                    _ => true,
                })
        });
        return before != children.len();
    }
    let Some(i) = children.iter().position(|c| c.is(first)) else {
        return false;
    };
    let found = remove(&mut children[i].children, rest);
    if children[i].children.is_empty() && kind == Kind::Container {
        children.remove(i);
    }
    found
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
        // IS-IS beside OSPF (level 2 only, as a network moving between IGPs runs it),
        // MPLS and LDP on the core links: the protocols an MX lab carries.
        for i in spec.interfaces() {
            for family in ["iso", "mpls"] {
                lines.push(format!("set interfaces {} unit 0 family {family}", i.name));
            }
        }
        lines.push(format!(
            "set interfaces lo0 unit 0 family iso address 49.0001.{}.00",
            spec.iso_system_id()
        ));
        lines.push("set protocols isis level 1 disable".into());
        for i in spec.interfaces().iter().filter(|i| i.up) {
            lines.push(format!(
                "set protocols isis interface {}.0 point-to-point",
                i.name
            ));
            lines.push(format!("set protocols ldp interface {}.0", i.name));
        }
        lines.push("set protocols isis interface lo0.0 passive".into());
        lines.push("set protocols mpls interface all".into());
        t.load_set(&lines.join("\n"))
            .expect("factory configuration is valid");
        t
    }

    /// Add one resolved statement.
    pub(super) fn set_path(&mut self, path: &[Step]) {
        let mut parent = ROOT;
        let mut children = &mut self.children;
        for step in path {
            let node = place(children, parent, step);
            parent = node.sid;
            children = &mut node.children;
        }
    }

    /// `set a b c` after checking the statement against the schema (what a client
    /// sends).
    pub fn set_checked(&mut self, words: &[String]) -> Result<(), Rejected> {
        for path in schema::resolve(words, Purpose::Set)? {
            self.set_path(&path);
        }
        Ok(())
    }

    /// `delete a b c`: remove the statement (checked against the schema); false if it
    /// was not there. No words clears the configuration.
    pub fn delete(&mut self, words: &[String]) -> bool {
        self.delete_checked(words).unwrap_or(false)
    }

    /// `delete` that reports a statement the schema does not know.
    pub fn delete_checked(&mut self, words: &[String]) -> Result<bool, Rejected> {
        if words.is_empty() {
            return Ok(remove(&mut self.children, &[]));
        }
        let mut found = false;
        for p in schema::resolve(words, Purpose::Delete)? {
            found |= remove(&mut self.children, &p);
        }
        Ok(found)
    }

    /// Load `set`/`delete` lines, one by one. Every refused line is reported, with
    /// Junos's message and the offending word, and the valid lines are applied whatever
    /// (the NETCONF load keeps them, as Junos does; callers that want all or nothing load
    /// into a copy).
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
                Some((verb, rest)) if verb == "delete" => self.delete_checked(rest).map(|found| {
                    if !found && !rest.is_empty() {
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

    /// The element at a `show configuration` path (`system login`), if it is there.
    fn node_at(&self, path: &[String]) -> Option<(Sid, &[Node])> {
        if path.is_empty() {
            return Some((ROOT, &self.children));
        }
        let steps = schema::resolve(path, Purpose::Delete).ok()?;
        let steps = steps.first()?;
        let mut children = &self.children;
        let mut sid = ROOT;
        for step in steps {
            let node = children.iter().find(|c| c.is(step))?;
            sid = node.sid;
            children = &node.children;
        }
        Some((sid, children))
    }

    /// The subtree at `path` (words of a `show configuration` path), rooted: `system`
    /// gives a tree holding just `system { ... }`.
    pub fn subtree(&self, path: &[String]) -> ConfigTree {
        if path.is_empty() {
            return self.clone();
        }
        let Ok(steps) = schema::resolve(path, Purpose::Delete) else {
            return ConfigTree::default();
        };
        let Some(steps) = steps.first() else {
            return ConfigTree::default();
        };
        let mut out = ConfigTree::default();
        let mut from = &self.children;
        let mut to = &mut out.children;
        for step in steps {
            let Some(node) = from.iter().find(|c| c.is(step)) else {
                return ConfigTree::default();
            };
            to.push(Node {
                sid: node.sid,
                keys: node.keys.clone(),
                children: Vec::new(),
            });
            from = &node.children;
            to = &mut to.last_mut().expect("just pushed").children;
        }
        to.clone_from(from);
        out
    }

    /// The statements inside the level at `path`, as a tree of their own (what `show
    /// configuration system login` prints), and the level's statement. A path to a
    /// leaf (`system host-name`) gives that statement itself, under its parent. Empty
    /// when the level is not configured.
    pub fn level(&self, path: &[String]) -> (Sid, ConfigTree) {
        let none = (ROOT, ConfigTree::default());
        if let Some((_, parents)) = path.split_last() {
            let leafy = schema::resolve(path, Purpose::Delete)
                .ok()
                .and_then(|p| p.first().and_then(|s| s.last().cloned()))
                .filter(|s| {
                    matches!(
                        schema().get(s.sid).kind,
                        Kind::Leaf | Kind::Flag | Kind::LeafList
                    )
                });
            if let Some(step) = leafy {
                return match self.node_at(parents) {
                    Some((sid, children)) => (
                        sid,
                        ConfigTree {
                            children: children
                                .iter()
                                .filter(|c| c.sid == step.sid)
                                .cloned()
                                .collect(),
                        },
                    ),
                    None => none,
                };
            }
        }
        match self.node_at(path) {
            Some((sid, children)) => (
                sid,
                ConfigTree {
                    children: children.to_vec(),
                },
            ),
            None => none,
        }
    }

    /// Whether the tree holds any statement.
    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    /// The values of a leaf or leaf-list at a level (`["protocols", "bgp", "group",
    /// "ibgp"]`, `"export"`): every policy the group exports, in order.
    pub fn values(&self, level: &[&str], leaf: &str) -> Vec<String> {
        let words: Vec<String> = level.iter().map(|w| w.to_string()).collect();
        match self.node_at(&words) {
            Some((_, children)) => children
                .iter()
                .filter(|c| &*c.stmt().name == leaf)
                .filter_map(|c| c.keys.first().cloned())
                .collect(),
            None => Vec::new(),
        }
    }

    /// A leaf's value by path, like `system host-name`.
    pub fn value(&self, path: &[&str]) -> Option<&str> {
        let words: Vec<String> = path.iter().map(|w| w.to_string()).collect();
        let steps = schema::resolve(&words, Purpose::Delete).ok()?;
        let steps = steps.first()?;
        let (last, parents) = steps.split_last()?;
        let mut children = &self.children;
        for step in parents {
            children = &children.iter().find(|c| c.is(step))?.children;
        }
        let leaf = children.iter().find(|c| c.sid == last.sid)?;
        leaf.keys.first().map(String::as_str)
    }

    /// The configuration with the groups named by its top-level `apply-groups`
    /// applied (`show configuration | display inheritance`): a group's statements are
    /// added where the configuration does not set them itself.
    pub fn inherited(&self) -> ConfigTree {
        let sc = schema();
        let (Some(groups), Some(apply)) =
            (sc.child(ROOT, "groups"), sc.child(ROOT, "apply-groups"))
        else {
            return self.clone();
        };
        let mut out = self.clone();
        out.children.retain(|n| n.sid != apply);
        for name in self.children.iter().filter(|n| n.sid == apply) {
            if let Some(g) = self
                .children
                .iter()
                .find(|n| n.sid == groups && n.keys == name.keys)
            {
                merge_missing(&mut out.children, ROOT, &g.children);
            }
        }
        out
    }

    /// The names of the entries of the list `list` (its schema name) at a level:
    /// (`["routing-instances"]`, `"instance"`) gives every routing instance.
    pub fn entries(&self, level: &[&str], list: &str) -> Vec<String> {
        let words: Vec<String> = level.iter().map(|w| w.to_string()).collect();
        match self.node_at(&words) {
            Some((_, children)) => children
                .iter()
                .filter(|c| c.stmt().kind == Kind::List && &*c.stmt().name == list)
                .filter_map(|c| c.keys.first().cloned())
                .collect(),
            None => Vec::new(),
        }
    }

    /// Whether the statement at `path` is configured (`interfaces ge-0/0/0 disable`).
    pub fn has(&self, path: &[&str]) -> bool {
        let words: Vec<String> = path.iter().map(|w| w.to_string()).collect();
        let Some((_, children)) = self.node_at(&words[..words.len().saturating_sub(1)]) else {
            return false;
        };
        let Ok(steps) = schema::resolve(&words, Purpose::Delete) else {
            return false;
        };
        steps
            .first()
            .and_then(|s| s.last())
            .is_some_and(|last| children.iter().any(|c| c.sid == last.sid))
    }

    /// Keep only the parts named by a `<configuration>` subtree filter: an empty
    /// element selects all below it, a list element with its key selects that entry.
    pub fn select(&self, filter: &Element) -> ConfigTree {
        ConfigTree {
            children: select(&self.children, ROOT, &filter.children),
        }
    }
}

/// Add what `from` holds and `into` does not; `into`'s own values win.
fn merge_missing(into: &mut Vec<Node>, parent: Sid, from: &[Node]) {
    for f in from {
        let step = Step {
            sid: f.sid,
            keys: f.keys.clone(),
        };
        match into.iter().position(|c| c.is(&step)) {
            Some(i) => merge_missing(&mut into[i].children, f.sid, &f.children),
            None => place(into, parent, &step).children = f.children.clone(),
        }
    }
}

fn select(children: &[Node], parent: Sid, filter: &[Element]) -> Vec<Node> {
    let sc = schema();
    let mut out: Vec<Node> = Vec::new();
    for f in filter {
        let Some(sid) = sc.child(parent, &f.name) else {
            continue;
        };
        let s = sc.get(sid);
        let keys: Vec<&str> = s.keys.iter().filter_map(|k| f.child_text(k)).collect();
        let rest: Vec<Element> = f
            .children
            .iter()
            .filter(|c| !s.keys.iter().any(|k| **k == c.name))
            .cloned()
            .collect();
        for c in children.iter().filter(|c| c.sid == sid) {
            if s.kind == Kind::List
                && !keys.is_empty()
                && c.keys.iter().map(String::as_str).ne(keys.iter().copied())
            {
                continue;
            }
            let picked = if rest.is_empty() {
                c.clone()
            } else {
                let inner = select(&c.children, sid, &rest);
                if inner.is_empty() {
                    continue;
                }
                Node {
                    sid: c.sid,
                    keys: c.keys.clone(),
                    children: inner,
                }
            };
            if !out.contains(&picked) {
                out.push(picked);
            }
        }
    }
    let order = |n: &Node| sc.order(parent, n.sid);
    out.sort_by_key(order);
    out
}

mod check;
mod diff;
mod json;
#[cfg(test)]
mod tests;
mod text;
mod xml;

pub use check::Dangling;
pub use text::split_words;
