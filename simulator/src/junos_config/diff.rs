//! Differences between two configurations as Junos prints them (`show | compare`,
//! `compare rollback N`, `get-configuration compare="rollback"`): an `[edit LEVEL]`
//! header, then the removed (`-`) and added (`+`) statements as curly text, indented
//! from the level.
//!
//! ```text
//! [edit system login user claude]
//! -    class read-only;
//! +    class config-viewer;
//! ```

use super::text::{head_words, write_text};
use super::{ConfigTree, Node};
use crate::schema::{Kind, Sid, ROOT};

impl ConfigTree {
    /// The lines of `show | compare` from this configuration to `newer`; none when
    /// they are the same.
    pub fn compare(&self, newer: &ConfigTree) -> Vec<String> {
        let mut out = Vec::new();
        diff_level(&self.children, &newer.children, ROOT, &[], &mut out);
        out
    }
}

/// The identity of a node among its siblings: a leaf-list counts as one statement.
fn same(a: &Node, b: &Node) -> bool {
    a.sid == b.sid
        && match a.stmt().kind {
            Kind::List => a.keys == b.keys,
            _ => true,
        }
}

/// A leaf-list's whole run of values, as one statement.
fn run(nodes: &[Node], sid: Sid) -> Vec<&Node> {
    nodes.iter().filter(|n| n.sid == sid).collect()
}

struct Section<'a> {
    path: &'a [String],
    printed: bool,
    out: &'a mut Vec<String>,
}

impl Section<'_> {
    fn line(&mut self, sign: char, text: &str) {
        if !self.printed {
            if self.path.is_empty() {
                self.out.push("[edit]".into());
            } else {
                self.out.push(format!("[edit {}]", self.path.join(" ")));
            }
            self.printed = true;
        }
        for l in text.lines() {
            self.out.push(format!("{sign}{l}"));
        }
    }
}

fn text_of(nodes: &[Node], parent: Sid) -> String {
    let mut s = String::new();
    write_text(nodes, parent, 1, &mut s);
    s
}

/// Print an old statement the new level lacks (a leaf-list once, as a whole).
fn gone(o: &Node, old: &[Node], parent: Sid, seen_runs: &mut Vec<Sid>, sec: &mut Section<'_>) {
    if o.stmt().kind == Kind::LeafList {
        if seen_runs.contains(&o.sid) {
            return;
        }
        seen_runs.push(o.sid);
        let a: Vec<Node> = run(old, o.sid).into_iter().cloned().collect();
        sec.line('-', &text_of(&a, parent));
    } else {
        sec.line('-', &text_of(std::slice::from_ref(o), parent));
    }
}

fn diff_level(old: &[Node], new: &[Node], parent: Sid, path: &[String], out: &mut Vec<String>) {
    // Walk the new level in order; what the old held and the new does not is printed
    // where it stood, before the next statement the two share.
    let mut sec = Section {
        path,
        printed: false,
        out,
    };
    let mut seen_runs: Vec<Sid> = Vec::new();
    let mut oi = 0;
    for n in new {
        if n.stmt().kind == Kind::LeafList {
            if seen_runs.contains(&n.sid) {
                continue;
            }
            seen_runs.push(n.sid);
            let a: Vec<Node> = run(old, n.sid).into_iter().cloned().collect();
            let b: Vec<Node> = run(new, n.sid).into_iter().cloned().collect();
            if a != b {
                if !a.is_empty() {
                    sec.line('-', &text_of(&a, parent));
                }
                sec.line('+', &text_of(&b, parent));
            }
            continue;
        }
        let Some(j) = old.iter().position(|o| same(o, n)) else {
            sec.line('+', &text_of(std::slice::from_ref(n), parent));
            continue;
        };
        // Statements of the old level before this one that the new lacks.
        for o in &old[oi.min(j)..j] {
            if !new.iter().any(|x| same(x, o)) {
                gone(o, old, parent, &mut seen_runs, &mut sec);
            }
        }
        oi = oi.max(j + 1);
        let o = &old[j];
        if o == n {
            continue;
        }
        match n.stmt().kind {
            Kind::Leaf | Kind::Flag => {
                sec.line('-', &text_of(std::slice::from_ref(o), parent));
                sec.line('+', &text_of(std::slice::from_ref(n), parent));
            }
            _ => {
                let mut deeper = path.to_vec();
                deeper.extend(head_words(n, parent));
                diff_level(&o.children, &n.children, n.sid, &deeper, sec.out);
                // Lines after a deeper section need this level's header again.
                sec.printed = false;
            }
        }
    }
    for o in &old[oi.min(old.len())..] {
        if !new.iter().any(|x| same(x, o)) {
            gone(o, old, parent, &mut seen_runs, &mut sec);
        }
    }
}
