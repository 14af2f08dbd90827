//! The Junos configuration schema, read from the table `simulator/schema/conf.schema`
//! that `tools/junos-schema/gen.py` derives from Juniper's published YANG (21.4R1).
//!
//! The table knows every statement of the hierarchies it holds, so a statement it does
//! not know is a `syntax error` naming the word, as on a real router. [`resolve`] turns
//! the words of a `set` or `delete` into [`Step`]s: one per element of Junos's XML.

use std::sync::OnceLock;

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
const TABLE: &str = include_str!("../schema/conf.schema");

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

/// The RPC table, as committed (generated from `junos/rpc`; see its header).
const RPC_TABLE: &str = include_str!("../schema/rpc.schema");

/// One argument of an RPC, from the `input` of its YANG `rpc`.
#[derive(Debug)]
pub struct RpcArg {
    /// The argument's element name.
    pub name: Box<str>,
    /// A flag (`<terse/>`) rather than an element with a value.
    pub flag: bool,
    /// The values of an enumerated argument. Junos also takes each as a flag of its own
    /// (`level` is `extensive|statistics|media`: `<extensive/>` is how clients send it).
    pub enums: Box<[Box<str>]>,
}

/// The arguments of the RPC `name` as Junos 21.4R1 publishes them; `None` for an RPC
/// the table does not know.
pub fn rpc_args(name: &str) -> Option<&'static [RpcArg]> {
    static RPCS: OnceLock<std::collections::HashMap<&'static str, Vec<RpcArg>>> = OnceLock::new();
    let table = RPCS.get_or_init(|| {
        let mut out = std::collections::HashMap::new();
        let mut cur: Option<(&'static str, Vec<RpcArg>)> = None;
        for line in RPC_TABLE.lines() {
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            if let Some(n) = line.strip_prefix('=') {
                if let Some((k, v)) = cur.take() {
                    out.insert(k, v);
                }
                cur = Some((n, Vec::new()));
                continue;
            }
            let mut words = line.split_whitespace();
            let (Some(kind), Some(name), Some((_, args))) =
                (words.next(), words.next(), cur.as_mut())
            else {
                continue;
            };
            let enums = words
                .find_map(|w| w.strip_prefix('='))
                .map(|e| e.split('|').map(Into::into).collect())
                .unwrap_or_default();
            args.push(RpcArg {
                name: name.into(),
                flag: kind.starts_with('f'),
                enums,
            });
        }
        if let Some((k, v)) = cur {
            out.insert(k, v);
        }
        out
    });
    table.get(name).map(Vec::as_slice)
}

/// Whether the RPC `rpc` takes the argument element `arg`: one of its arguments, or a
/// value of one of its enumerated arguments sent as a flag.
pub fn rpc_takes(rpc: &str, arg: &str) -> bool {
    rpc_args(rpc).is_some_and(|args| {
        args.iter()
            .any(|a| &*a.name == arg || a.enums.iter().any(|e| &**e == arg))
    })
}

/// Whether `w` can be written as an XML element name.
pub fn is_xml_name(w: &str) -> bool {
    let mut chars = w.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn names(p: &[Step]) -> Vec<String> {
        p.iter()
            .map(|s| {
                let mut n = schema().get(s.sid).name.to_string();
                for k in &s.keys {
                    n.push('=');
                    n.push_str(k);
                }
                n
            })
            .collect()
    }

    #[test]
    fn the_table_holds_the_hierarchies_the_simulator_promises() {
        let sc = schema();
        assert!(sc.len() > 10_000, "{}", sc.len());
        for top in [
            "system",
            "interfaces",
            "protocols",
            "routing-options",
            "routing-instances",
            "policy-options",
            "firewall",
            "snmp",
            "services",
            "class-of-service",
            "vlans",
            "bridge-domains",
            "chassis",
        ] {
            assert!(sc.child(ROOT, top).is_some(), "{top}");
        }
        let protocols = sc.child(ROOT, "protocols").unwrap();
        for p in [
            "bgp", "ospf", "ospf3", "isis", "lldp", "rstp", "mpls", "rsvp",
        ] {
            assert!(sc.child(protocols, p).is_some(), "{p}");
        }
    }

    #[test]
    fn statements_become_junos_elements() {
        for (stmt, want) in [
            ("system host-name r1", vec!["system", "host-name=r1"]),
            (
                "interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/24",
                vec![
                    "interfaces",
                    "interface=ge-0/0/0",
                    "unit=0",
                    "family",
                    "inet",
                    "address=10.0.0.1/24",
                ],
            ),
            (
                "routing-options autonomous-system 64512",
                vec!["routing-options", "autonomous-system", "as-number=64512"],
            ),
            (
                "system syslog file messages any notice",
                vec![
                    "system",
                    "syslog",
                    "file=messages",
                    "contents=any",
                    "notice",
                ],
            ),
            (
                "system login user lab class super-user",
                vec!["system", "login", "user=lab", "class=super-user"],
            ),
            (
                "snmp community public authorization read-only",
                vec!["snmp", "community=public", "authorization=read-only"],
            ),
            (
                "policy-options prefix-list PL 10.0.0.0/8",
                vec![
                    "policy-options",
                    "prefix-list=PL",
                    "prefix-list-item=10.0.0.0/8",
                ],
            ),
            (
                "system ntp server 192.0.2.1 prefer",
                vec!["system", "ntp", "server=192.0.2.1", "prefer"],
            ),
        ] {
            let paths =
                resolve(&words(stmt), Purpose::Set).unwrap_or_else(|e| panic!("{stmt}: {e:?}"));
            assert_eq!(paths.len(), 1, "{stmt}");
            assert_eq!(names(&paths[0]), want, "{stmt}");
        }
        let paths = resolve(
            &words("routing-options static route 0.0.0.0/0 next-hop 10.0.0.1 preference 5"),
            Purpose::Set,
        )
        .unwrap();
        assert_eq!(paths.len(), 2);
        assert_eq!(
            names(&paths[1]),
            vec![
                "routing-options",
                "static",
                "route=0.0.0.0/0",
                "preference",
                "metric-value=5"
            ]
        );
    }

    #[test]
    fn unknown_statements_are_named() {
        for (bad, word) in [
            ("systemm host-name r1", "systemm"),
            ("system foo bar", "foo"),
            ("system host-name a b", "b"),
            (
                "interfaces ge-0/0/0 unit 0 family inet adress 1.1.1.1/24",
                "adress",
            ),
            ("protocols ospf area", "area"),
            ("system a<b c", "a<b"),
            ("interfaces ge-0/0/0 mtu big", "big"),
            ("protocols bgp group g type sideways", "sideways"),
        ] {
            let e = resolve(&words(bad), Purpose::Set).unwrap_err();
            assert_eq!(e.bad_element, word, "{bad}: {e:?}");
        }
        let long = vec!["a".to_string(); 20_000];
        let mut s = vec!["system".to_string()];
        s.extend(long);
        assert!(resolve(&s, Purpose::Set).is_err());
    }
}
