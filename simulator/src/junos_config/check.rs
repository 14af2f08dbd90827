//! The commit check: what Junos refuses at `commit` (and `commit check`) although every
//! statement is valid on its own: a missing mandatory statement, a reference to a
//! firewall filter or a BGP policy that is not defined.

use super::ConfigTree;
use crate::schema;

/// A reference the commit check refuses (see [`ConfigTree::dangling_references`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dangling {
    /// The level holding the reference (`interfaces ge-0/0/0 unit 0 family inet`).
    pub level: String,
    /// The referring statement (`filter`, `import`, `export`).
    pub element: &'static str,
    /// Junos's message.
    pub message: String,
}

impl ConfigTree {
    /// Statements Junos requires for a commit that are missing: (level, statement).
    pub fn missing_mandatory(&self) -> Vec<(String, &'static str)> {
        schema::MANDATORY
            .iter()
            .filter(|(level, stmt)| {
                let level: Vec<String> = level.iter().map(|w| w.to_string()).collect();
                match self.node_at(&level) {
                    Some((_, children)) => !children.iter().any(|c| &*c.stmt().name == *stmt),
                    None => false,
                }
            })
            .map(|(level, stmt)| (level.join(" "), *stmt))
            .collect()
    }

    /// References a commit refuses because what they name is not defined, as Junos's
    /// commit check reports them: a firewall filter an interface applies, a policy BGP
    /// imports or exports.
    pub fn dangling_references(&self) -> Vec<Dangling> {
        let mut out = Vec::new();
        for ifd in self.entries(&["interfaces"], "interface") {
            for unit in self.entries(&["interfaces", &ifd], "unit") {
                for family in ["inet", "inet6"] {
                    let level = ["interfaces", &ifd, "unit", &unit, "family", family];
                    let filter_level = [&level[..], &["filter"]].concat();
                    let defined = |name: &str| {
                        self.entries(&["firewall", "family", family], "filter")
                            .iter()
                            .any(|f| f == name)
                            || (family == "inet"
                                && self
                                    .entries(&["firewall"], "filter")
                                    .iter()
                                    .any(|f| f == name))
                    };
                    for direction in ["input", "output"] {
                        // `filter input NAME` is the container `input` and its first
                        // leaf, `filter-name`.
                        let at = [&filter_level[..], &[direction, "filter-name"]].concat();
                        if let Some(name) = self.value(&at).map(str::to_string) {
                            if !defined(&name) {
                                out.push(Dangling {
                                    level: level.join(" "),
                                    element: "filter",
                                    message: format!("Referenced filter '{name}' is not defined"),
                                });
                            }
                        }
                    }
                }
            }
        }
        let policies = self.entries(&["policy-options"], "policy-statement");
        let mut bgp_levels = vec![vec!["protocols".to_string(), "bgp".to_string()]];
        for group in self.entries(&["protocols", "bgp"], "group") {
            let g = vec![
                "protocols".into(),
                "bgp".into(),
                "group".into(),
                group.clone(),
            ];
            for neighbor in self.entries(&["protocols", "bgp", "group", &group], "neighbor") {
                bgp_levels.push([g.clone(), vec!["neighbor".into(), neighbor]].concat());
            }
            bgp_levels.push(g);
        }
        for level in &bgp_levels {
            let words: Vec<&str> = level.iter().map(String::as_str).collect();
            for element in ["import", "export"] {
                for name in self.values(&words, element) {
                    if !policies.contains(&name) {
                        out.push(Dangling {
                            level: level.join(" "),
                            element: if element == "import" {
                                "import"
                            } else {
                                "export"
                            },
                            message: format!(
                                "Policy error: Policy {name} referenced but not defined"
                            ),
                        });
                    }
                }
            }
        }
        out
    }
}
