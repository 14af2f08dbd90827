//! The Junos configuration schema, read from the table `simulator/schema/conf.schema`
//! that `tools/junos-schema/gen.py` derives from Juniper's published YANG (21.4R1).
//!
//! The table knows every statement of the hierarchies it holds, so a statement it does
//! not know is a `syntax error` naming the word, as on a real router. [`resolve`] turns
//! the words of a `set` or `delete` into [`Step`]s: one per element of Junos's XML.

use std::sync::OnceLock;

mod rpc;
#[cfg(test)]
mod tests;
mod words;

pub use rpc::{is_xml_name, rpc_args, rpc_takes, RpcArg};
pub use words::{check_value, resolve, Purpose, Rejected, Step};

/// The longest statement accepted, in words. Junos's own statements are far shorter;
/// the bound keeps every walk over the tree shallow whatever a client sends.
pub const MAX_WORDS: usize = 48;

/// Statements a level must hold for a commit: (level, statement). Junos refuses a
/// commit without them (`Missing mandatory statement: '...'`).
pub const MANDATORY: &[(&[&str], &str)] = &[(&["system"], "root-authentication")];

/// Containers whose first leaf the CLI still names (container, leaf): the rule that a
/// container's first leaf takes a bare value (`metric 10`) does not hold for them. The
/// YANG does not say which; Junos writes an RPM test's `target address 192.0.2.1;`.
/// Junos writes such a container on one line when that leaf is all it holds.
pub(crate) const NOT_POSITIONAL: &[(&str, &str)] = &[("target", "address")];

/// The table, as committed (generated; see its header for the source and licence).
const TABLE: &str = include_str!("../../schema/conf.schema");

/// A statement of the schema, by index.
pub type Sid = u32;

/// The root: the `<configuration>` element.
pub const ROOT: Sid = 0;

/// What a statement is in the YANG, which decides how it is written in every format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A container: only its children are written (`system { ... }`).
    Container,
    /// A presence container: it can stand alone (`ssh;`, `<ssh/>`).
    Presence,
    /// A list: entries named by their keys (`user lab { ... }`).
    List,
    /// A leaf with one value (`host-name r1;`).
    Leaf,
    /// A leaf of type `empty` (`disable;`, `<disable/>`).
    Flag,
    /// A leaf-list: several values (`members [ a b ];`).
    LeafList,
}

/// One statement of the schema.
#[derive(Debug)]
pub struct Statement {
    /// Its keyword, which is also its XML element and JSON member name.
    pub name: Box<str>,
    /// Container, list, leaf, ...
    pub kind: Kind,
    /// A list written without its keyword (`interfaces ge-0/0/0`).
    pub keyless: bool,
    /// A leaf whose value is a number.
    pub numeric: bool,
    /// A leaf's enumeration, when it has one.
    pub enums: Box<[Box<str>]>,
    /// A list's keys, in order.
    pub keys: Box<[Box<str>]>,
    /// The YANG choice and case this statement belongs to (`next_hop/case_2`).
    pub choice: Option<(Box<str>, Box<str>)>,
    /// The statements allowed inside, in the schema's order.
    pub children: Box<[Sid]>,
}

impl Statement {
    /// The keyword as the CLI writes it (`802.3ad` for `ieee-802.3ad`).
    pub fn cli_name(&self) -> &str {
        match self.name.strip_prefix("ieee-") {
            Some(rest) if rest.starts_with("802.") => rest,
            _ => &self.name,
        }
    }
}

/// The whole schema.
#[derive(Debug)]
pub struct Schema {
    stmts: Vec<Statement>,
}

/// The schema, parsed once per process.
pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| Schema::parse(TABLE).expect("the committed schema table parses"))
}

/// A line of a group in the table, before groups are flattened.
enum Item {
    Node(Sid),
    Group(usize),
}

impl Schema {
    /// Read a table in the format `gen.py` writes (its header describes it).
    pub fn parse(table: &str) -> Result<Schema, String> {
        let mut stmts = vec![Statement {
            name: "configuration".into(),
            kind: Kind::Container,
            keyless: false,
            numeric: false,
            enums: Box::new([]),
            keys: Box::new([]),
            choice: None,
            children: Box::new([]),
        }];
        // Each statement's own items, and each group's top items.
        let mut items: Vec<Vec<Item>> = vec![Vec::new()];
        let mut groups: Vec<Vec<Item>> = Vec::new();
        let mut group_ids: Vec<usize> = Vec::new();
        // The open statements of the current group: (depth, sid).
        let mut open: Vec<(usize, Sid)> = Vec::new();
        for (n, line) in table.lines().enumerate() {
            let bad = |what: &str| format!("schema table line {}: {what}: {line}", n + 1);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(id) = line.strip_prefix('=') {
                let id: usize = id.parse().map_err(|_| bad("bad group id"))?;
                if groups.len() <= id {
                    groups.resize_with(id + 1, Vec::new);
                }
                group_ids.push(id);
                open.clear();
                continue;
            }
            let Some(&gid) = group_ids.last() else {
                return Err(bad("a statement before any group"));
            };
            let depth = line.len() - line.trim_start_matches(' ').len();
            let body = line.trim_start_matches(' ');
            while open.last().is_some_and(|(d, _)| *d >= depth) {
                open.pop();
            }
            let item = if let Some(r) = body.strip_prefix('+') {
                let r = r.split_whitespace().next().unwrap_or_default();
                Item::Group(r.parse().map_err(|_| bad("bad group reference"))?)
            } else {
                let (stmt, rest) = body.split_once(' ').ok_or_else(|| bad("no name"))?;
                let mut flags = stmt.chars();
                let kind = match flags.next() {
                    Some('c') => Kind::Container,
                    Some('p') => Kind::Presence,
                    Some('l') => Kind::List,
                    Some('v') => Kind::Leaf,
                    Some('f') => Kind::Flag,
                    Some('m') => Kind::LeafList,
                    _ => return Err(bad("unknown kind")),
                };
                let flags: String = flags.collect();
                let mut words = rest.split(' ');
                let name: Box<str> = words.next().ok_or_else(|| bad("no name"))?.into();
                let mut keys = Vec::new();
                let mut enums = Vec::new();
                let mut choice = None;
                for w in words {
                    if let Some(e) = w.strip_prefix('=') {
                        enums = e.split('|').map(Into::into).collect();
                    } else if let Some(c) = w.strip_prefix('^') {
                        let (ch, case) = c.split_once('/').unwrap_or((c, ""));
                        choice = Some((ch.into(), case.into()));
                    } else if kind == Kind::List {
                        keys.push(w.into());
                    } else if !w.is_empty() {
                        return Err(bad("unexpected word"));
                    }
                }
                let sid = Sid::try_from(stmts.len()).map_err(|_| bad("too many statements"))?;
                stmts.push(Statement {
                    name,
                    kind,
                    keyless: flags.contains('*'),
                    numeric: flags.contains('#'),
                    enums: enums.into(),
                    keys: keys.into(),
                    choice,
                    children: Box::new([]),
                });
                items.push(Vec::new());
                Item::Node(sid)
            };
            let placed = match open.last() {
                Some((_, parent)) => &mut items[*parent as usize],
                None if gid == 0 => &mut items[ROOT as usize],
                None => &mut groups[gid],
            };
            let is_node = match item {
                Item::Node(sid) => Some(sid),
                Item::Group(_) => None,
            };
            placed.push(item);
            if let Some(sid) = is_node {
                open.push((depth, sid));
            }
        }
        // Group 0 is the root's own body.
        if let Some(g0) = groups.first_mut() {
            g0.append(&mut items[ROOT as usize]);
        }
        let mut flat: Vec<Option<Vec<Sid>>> = (0..groups.len()).map(|_| None).collect();
        let mut busy = vec![false; groups.len()];
        fn flatten(
            list: &[Item],
            groups: &[Vec<Item>],
            flat: &mut Vec<Option<Vec<Sid>>>,
            busy: &mut Vec<bool>,
            out: &mut Vec<Sid>,
        ) -> Result<(), String> {
            for it in list {
                match it {
                    Item::Node(s) => out.push(*s),
                    Item::Group(g) => {
                        let g = *g;
                        if g >= groups.len() {
                            return Err(format!("schema table: group {g} is not defined"));
                        }
                        if flat[g].is_none() {
                            if busy[g] {
                                return Err(format!("schema table: group {g} contains itself"));
                            }
                            busy[g] = true;
                            let mut mine = Vec::new();
                            flatten(&groups[g], groups, flat, busy, &mut mine)?;
                            flat[g] = Some(mine);
                        }
                        out.extend(flat[g].iter().flatten());
                    }
                }
            }
            Ok(())
        }
        let mut root = Vec::new();
        flatten(&groups[0], &groups, &mut flat, &mut busy, &mut root)?;
        stmts[ROOT as usize].children = root.into();
        for sid in 1..stmts.len() {
            let mut out = Vec::new();
            flatten(&items[sid], &groups, &mut flat, &mut busy, &mut out)?;
            stmts[sid].children = out.into();
        }
        Ok(Schema { stmts })
    }

    /// The statement `sid`.
    pub fn get(&self, sid: Sid) -> &Statement {
        &self.stmts[sid as usize]
    }

    /// How many statements the table holds.
    pub fn len(&self) -> usize {
        self.stmts.len()
    }

    /// Whether the table is empty (never, for the committed one).
    pub fn is_empty(&self) -> bool {
        self.stmts.len() <= 1
    }

    /// The child of `parent` with this keyword (or XML element name).
    pub fn child(&self, parent: Sid, name: &str) -> Option<Sid> {
        self.get(parent)
            .children
            .iter()
            .copied()
            .find(|&c| &*self.get(c).name == name)
    }

    /// The child of `parent` with this CLI keyword: the XML name, but for the names
    /// XML cannot start with a digit (`802.3ad` is `<ieee-802.3ad>`).
    pub fn child_cli(&self, parent: Sid, word: &str) -> Option<Sid> {
        self.get(parent)
            .children
            .iter()
            .copied()
            .find(|&c| self.get(c).cli_name() == word)
    }

    /// The list of `parent` written without its keyword, if it has one.
    pub fn keyless(&self, parent: Sid) -> Option<Sid> {
        self.get(parent)
            .children
            .iter()
            .copied()
            .find(|&c| self.get(c).keyless)
    }

    /// The leaf that takes a bare value after a container's keyword (`metric 10` is
    /// `metric metric-value 10`): the container's first statement, when it is a value
    /// leaf (containers before it aside). Top-level hierarchies never take one.
    pub fn positional(&self, parent: Sid) -> Option<Sid> {
        let p = self.get(parent);
        if parent == ROOT
            || !matches!(p.kind, Kind::Container | Kind::Presence)
            || self.get(ROOT).children.contains(&parent)
        {
            return None;
        }
        // Containers before it do not count (`802.3ad ae0` is `<ieee-802.3ad>` with a
        // `<lacp>` container first and then `<bundle>ae0</bundle>`).
        let first = p.children.iter().copied().find(|&c| {
            let s = self.get(c);
            !s.name.starts_with("apply-") && !matches!(s.kind, Kind::Container | Kind::Presence)
        })?;
        let leaf = self.get(first);
        let exception = NOT_POSITIONAL
            .iter()
            .any(|(c, l)| **c == *p.name && **l == *leaf.name);
        (leaf.kind == Kind::Leaf && !exception).then_some(first)
    }

    /// Where `child` comes among `parent`'s statements: Junos writes them in this order.
    pub fn order(&self, parent: Sid, child: Sid) -> usize {
        self.get(parent)
            .children
            .iter()
            .position(|&c| c == child)
            .unwrap_or(usize::MAX)
    }
}
