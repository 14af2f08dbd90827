//! The configuration RPCs, as Junos answers them: errors nested where Junos nests them
//! (`<load-configuration-results>` with `<load-error-count>`, `<commit-results>` per
//! routing engine), rollback and rescue, commit check / confirmed / synchronize, private
//! mode, and the load actions merge, replace, override, update and set.

use std::fmt::Write as _;

use netconf_wire::{escape_text, Element, RpcError};

use super::{denied, missing, Body, Session};
use crate::junos_config::{ConfigTree, LoadError};
use crate::state::{DeviceState, MAX_ROLLBACK};

/// A `commit confirmed` without `<confirm-timeout>` waits this many minutes (Junos).
const DEFAULT_CONFIRM_MINUTES: u64 = 10;

/// An operation that failed, with Junos's message.
fn failed(message: impl Into<String>) -> Body {
    Body::Error(RpcError::new("protocol", "operation-failed", message))
}

/// A value Junos does not take for `what`.
fn invalid(what: &str, value: &str) -> Body {
    Body::Error(
        RpcError::new(
            "protocol",
            "operation-failed",
            format!("invalid value for {what}: {value}"),
        )
        .with_info("bad-element", value.to_string()),
    )
}

/// Junos's `syntax error`, naming the element it could not take.
fn syntax_error(bad: impl Into<String>) -> Body {
    Body::Error(
        RpcError::new("protocol", "operation-failed", "syntax error").with_info("bad-element", bad),
    )
}

/// `<ok/>`, or the refusal as Junos words it.
fn done(r: Result<(), crate::state::Denied>) -> Body {
    match r {
        Ok(()) => Body::Ok,
        Err(d) => denied(&d),
    }
}

fn one(s: String) -> Body {
    Body::Data(Box::new(std::iter::once(s)))
}

/// `<load-configuration-results>` for a load: `<ok/>`, or every error nested inside with
/// the count, as Junos writes them (the client sees a reply, not a top-level error).
fn load_results(errors: &[LoadError]) -> Body {
    let failed: Vec<&LoadError> = errors.iter().filter(|e| !e.warning).collect();
    if failed.is_empty() {
        return one("<load-configuration-results>\n<ok/>\n</load-configuration-results>\n".into());
    }
    let mut s = String::from("<load-configuration-results>\n");
    for e in &failed {
        let mut err = RpcError::new("protocol", "operation-failed", e.message.clone());
        if let Some(b) = &e.bad_element {
            err = err.with_info("bad-element", b.clone());
        }
        s.push_str(&err.to_xml());
    }
    let _ = write!(
        s,
        "<load-error-count>{}</load-error-count>\n</load-configuration-results>\n",
        failed.len()
    );
    one(s)
}

/// A load refused before any statement was read (a missing rollback, a bad format).
fn load_failed(message: String, bad_element: Option<&str>) -> Body {
    load_results(&[LoadError {
        message,
        bad_element: bad_element.map(str::to_string),
        line: None,
        warning: false,
    }])
}

/// `<commit-results>` for routing engine re0 holding `inner`.
fn commit_results(inner: &str) -> Body {
    one(format!(
        "<commit-results>\n<routing-engine junos:style=\"normal\">\n<name>re0</name>\n{inner}</routing-engine>\n</commit-results>\n"
    ))
}

/// The configuration in a format Junos offers: `text`, `set`, `json` or XML. `changed`
/// is when the running configuration last changed (seconds since the epoch).
fn render(tree: &ConfigTree, format: Option<&str>, changed: u64) -> String {
    match format {
        Some("text") | Some("ascii") => format!(
            "<configuration-text>\n{}</configuration-text>\n",
            escape_text(&tree.to_text())
        ),
        Some("set") => format!(
            "<configuration-set>\n{}\n</configuration-set>\n",
            escape_text(&tree.to_set_lines().join("\n"))
        ),
        Some("json") => format!("\n{}\n", escape_text(&tree.to_json())),
        _ => format!(
            "<configuration xmlns=\"http://xml.juniper.net/xnm/1.1/xnm\" junos:changed-seconds=\"{changed}\" junos:changed-localtime=\"{}\">\n{}\n</configuration>\n",
            crate::clock::junos_time(changed),
            tree.to_xml()
        ),
    }
}

/// `show | compare` text between two configurations, in `<configuration-output>`.
fn compare_output(older: &ConfigTree, newer: &ConfigTree) -> String {
    let diff = older.compare(newer);
    let text = if diff.is_empty() {
        // Junos answers "no differences" with a lone newline, never an empty element
        // (clients read the element's text: None would read as the string "None").
        "\n".to_string()
    } else {
        format!("\n{}\n", diff.join("\n"))
    };
    format!(
        "<configuration-information>\n<configuration-output>{}</configuration-output>\n</configuration-information>\n",
        escape_text(&text)
    )
}

/// Keep only the parts of `tree` named by a `<configuration>` filter.
fn filtered(tree: &ConfigTree, filter: Option<&Element>) -> ConfigTree {
    match filter.filter(|f| !f.children.is_empty()) {
        Some(filter) => tree.select(filter),
        None => tree.clone(),
    }
}

#[allow(clippy::result_large_err)] // a Body is what the caller returns either way
fn rollback_number(v: &str) -> Result<usize, Body> {
    match v.trim().parse::<usize>() {
        Ok(n) if n <= MAX_ROLLBACK => Ok(n),
        _ => Err(Body::Error(
            RpcError::new(
                "protocol",
                "operation-failed",
                format!("invalid rollback number: {v}"),
            )
            .with_info("bad-element", v.to_string()),
        )),
    }
}

fn no_rollback(n: usize) -> String {
    format!("rollback {n} does not exist")
}

impl Session<'_> {
    fn state(&self) -> std::sync::MutexGuard<'_, DeviceState> {
        self.dev.state()
    }

    pub(super) fn get_configuration(&self, op: &Element) -> Body {
        let state = self.state();
        if op.attr("compare") == Some("rollback") {
            // `show | compare rollback N` (PyEZ Config.diff, Ansible's diff): the
            // session's candidate against rollback N.
            let n = match rollback_number(op.attr("rollback").unwrap_or("0")) {
                Ok(n) => n,
                Err(b) => return b,
            };
            let Some(older) = state.rollback(n) else {
                return failed(no_rollback(n));
            };
            return one(compare_output(older, state.candidate_for(self.id)));
        }
        let tree = match op.attr("database") {
            Some("committed") => &state.running,
            Some("candidate") | None => state.candidate_for(self.id),
            Some(other) => return syntax_error(other.to_string()),
        };
        one(render(
            &filtered(tree, op.child("configuration")),
            op.attr("format"),
            state.changed_at(),
        ))
    }

    pub(super) fn get_config(&self, op: &Element) -> Body {
        let state = self.state();
        let tree = if op.find(&["source", "candidate"]).is_some() {
            state.candidate_for(self.id)
        } else {
            &state.running
        };
        let filter = op.child("filter").and_then(|f| f.child("configuration"));
        one(format!(
            "<data>\n<configuration>{}</configuration>\n</data>\n",
            filtered(tree, filter).to_xml()
        ))
    }

    pub(super) fn lock(&self) -> Body {
        done(self.state().lock(self.id))
    }

    pub(super) fn unlock(&self) -> Body {
        done(self.state().unlock(self.id))
    }

    /// `<open-configuration>`: `<private/>` opens a private candidate (refused while the
    /// shared one has uncommitted changes), answered with Junos's warning that its
    /// changes go on exit; no option (or `<shared/>`) is the shared candidate.
    pub(super) fn open_configuration(&self, op: &Element) -> Body {
        if op.has("private") {
            return match self.state().open_private(self.id) {
                Ok(()) => {
                    let mut w = RpcError::new(
                        "protocol",
                        "operation-failed",
                        "uncommitted changes will be discarded on exit",
                    );
                    w.severity = netconf_wire::ErrorSeverity::Warning;
                    Body::Data(Box::new(std::iter::once(w.to_xml())))
                }
                Err(d) => denied(&d),
            };
        }
        if let Some(other) = op
            .children
            .iter()
            .find(|c| !matches!(c.name.as_str(), "shared" | "exclusive"))
        {
            return syntax_error(other.name.clone());
        }
        if op.has("exclusive") {
            return self.lock();
        }
        Body::Ok
    }

    pub(super) fn close_configuration(&self) -> Body {
        let mut state = self.state();
        state.close_private(self.id);
        state.release(self.id);
        Body::Ok
    }

    /// `<load-configuration>`: from `rollback="N"`, `rescue="rescue"`, or a body in set,
    /// text or XML format, with action merge, replace, override, update or set.
    pub(super) fn load(&self, op: &Element) -> Body {
        let action = op.attr("action").unwrap_or("merge");
        if !matches!(action, "merge" | "replace" | "override" | "update" | "set") {
            return invalid("action", action);
        }
        if let Some(n) = op.attr("rollback") {
            let n = match rollback_number(n) {
                Ok(n) => n,
                Err(b) => return b,
            };
            let tree = self.state().rollback(n).cloned();
            return match tree {
                Some(t) => self.replace_candidate(t),
                None => load_failed(no_rollback(n), None),
            };
        }
        if op.attr("rescue").is_some() {
            let tree = self.state().rescue.clone();
            return match tree {
                Some(t) => self.replace_candidate(ConfigTree::clone(&t)),
                None => load_failed("rescue configuration is not set".into(), None),
            };
        }
        let from_scratch = matches!(action, "override" | "update");
        let replace = action == "replace";
        let result = if let Some(set) = op.child("configuration-set") {
            self.edit_set(&set.text)
        } else if let Some(txt) = op.child("configuration-text") {
            if action == "set" {
                self.edit_set(&txt.text)
            } else {
                self.edit(|t| {
                    if from_scratch {
                        *t = ConfigTree::default();
                    }
                    t.load_text(&txt.text, replace)
                })
            }
        } else if let Some(cfg) = op.child("configuration") {
            self.edit(|t| {
                if from_scratch {
                    *t = ConfigTree::default();
                }
                t.load_xml(cfg, replace)
            })
        } else if let Some(json) = op.child("configuration-json") {
            self.edit(|t| {
                if from_scratch {
                    *t = ConfigTree::default();
                }
                t.load_json(&json.text)
            })
        } else {
            return missing(
                "load-configuration needs configuration, configuration-text, configuration-set, rollback or rescue",
                "load-configuration",
            );
        };
        result
    }

    /// Apply a load to the session's candidate (a copy, installed only if it loads
    /// cleanly) and answer with Junos's load results.
    fn edit(&self, f: impl FnOnce(&mut ConfigTree) -> Result<(), Vec<LoadError>>) -> Body {
        match self.state().edit_candidate(self.id, f) {
            Ok(Ok(())) => load_results(&[]),
            Ok(Err(errors)) => load_results(&errors),
            Err(d) => denied(&d),
        }
    }

    /// A `set` load: line by line, the valid lines kept beside the errors of the others.
    fn edit_set(&self, text: &str) -> Body {
        match self
            .state()
            .edit_candidate_keeping(self.id, true, |t| t.load_set(text))
        {
            Ok(Ok(())) => load_results(&[]),
            Ok(Err(errors)) => load_results(&errors),
            Err(d) => denied(&d),
        }
    }

    fn replace_candidate(&self, tree: ConfigTree) -> Body {
        self.edit(move |t| {
            *t = tree;
            Ok(())
        })
    }

    pub(super) fn edit_config(&self, op: &Element) -> Body {
        let Some(cfg) = op.find(&["config", "configuration"]) else {
            return missing("edit-config needs <config><configuration>", "config");
        };
        let replace = op.child_text("default-operation") == Some("replace");
        match self.state().edit_candidate(self.id, |t| {
            if replace {
                *t = ConfigTree::default();
            }
            t.load_xml(cfg, true)
        }) {
            Ok(Ok(())) => Body::Ok,
            Ok(Err(errors)) => {
                let e = &errors[0];
                let mut err = RpcError::new("protocol", "operation-failed", e.message.clone());
                if let Some(b) = &e.bad_element {
                    err = err.with_info("bad-element", b.clone());
                }
                Body::Error(err)
            }
            Err(d) => denied(&d),
        }
    }

    /// `<commit-configuration>` with `<check/>`, `<log>`, `<synchronize/>`,
    /// `<confirmed/>` and `<confirm-timeout>`. A candidate missing a mandatory statement
    /// is refused with the errors nested in `<commit-results>`, as Junos does.
    pub(super) fn commit(&self, op: &Element) -> Body {
        if let Some(bad) = op.children.iter().find(|c| {
            !matches!(
                c.name.as_str(),
                "check"
                    | "log"
                    | "synchronize"
                    | "force-synchronize"
                    | "confirmed"
                    | "confirm-timeout"
                    | "full"
                    | "detail"
            )
        }) {
            return syntax_error(bad.name.clone());
        }
        let minutes = match op.child_text("confirm-timeout") {
            None => DEFAULT_CONFIRM_MINUTES,
            Some(m) => match m.parse::<u64>() {
                Ok(m) if (1..=65_535).contains(&m) => m,
                _ => return invalid("confirm-timeout", m),
            },
        };
        let mut state = self.state();
        if let Err(d) = state.writable_by(self.id) {
            if !state.private.contains_key(&self.id) {
                return denied(&d);
            }
        }
        let missing = state.candidate_for(self.id).missing_mandatory();
        if !missing.is_empty() {
            let mut inner = String::new();
            for (level, stmt) in &missing {
                let mut e = RpcError::new(
                    "protocol",
                    "operation-failed",
                    format!("Missing mandatory statement: '{stmt}'"),
                )
                .with_info(
                    "bad-element",
                    level.rsplit(' ').next().unwrap_or(level).to_string(),
                );
                e.path = Some(format!("[edit {level}]"));
                inner.push_str(&e.to_xml());
            }
            inner.push_str(
                &RpcError::new(
                    "protocol",
                    "operation-failed",
                    "configuration check-out failed: (missing mandatory statements)",
                )
                .to_xml(),
            );
            return commit_results(&inner);
        }
        let dangling = state.candidate_for(self.id).dangling_references();
        if !dangling.is_empty() {
            let mut inner = String::new();
            for d in &dangling {
                let mut e = RpcError::new("protocol", "operation-failed", d.message.clone())
                    .with_info("bad-element", d.element.to_string());
                e.path = Some(format!("[edit {}]", d.level));
                inner.push_str(&e.to_xml());
            }
            inner.push_str(
                &RpcError::new(
                    "protocol",
                    "operation-failed",
                    "configuration check-out failed",
                )
                .to_xml(),
            );
            return commit_results(&inner);
        }
        if op.has("check") {
            return commit_results("<commit-check-success/>\n");
        }
        let comment = op.child_text("log").map(str::to_string);
        if let Err(d) = state.commit(self.id, self.user, "netconf", comment) {
            return denied(&d);
        }
        if op.has("confirmed") {
            let id = state.await_confirm(minutes);
            let dev = self.dev.clone();
            let wait = dev.inner.config.confirm_minute * minutes as u32;
            tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                if dev.state().expire_confirm(id) {
                    tracing::info!(device = %dev.hostname(), "commit confirmed not confirmed: rolled back");
                }
            });
        }
        if op.name == "commit" {
            return Body::Ok;
        }
        commit_results(&format!(
            "<commit-success/>\n<commit-revision>{}</commit-revision>\n",
            state.revision()
        ))
    }

    pub(super) fn discard(&self) -> Body {
        done(self.state().discard(self.id))
    }

    /// `<get-rollback-information>`: rollback N as text or XML, or with `<compare>M`, the
    /// differences from rollback M to rollback N.
    pub(super) fn rollback_information(&self, op: &Element) -> Body {
        let state = self.state();
        let n = match rollback_number(op.child_text("rollback").unwrap_or("0")) {
            Ok(n) => n,
            Err(b) => return b,
        };
        let Some(tree) = state.rollback(n) else {
            return failed(no_rollback(n));
        };
        let body = if let Some(m) = op.child_text("compare") {
            let m = match rollback_number(m) {
                Ok(m) => m,
                Err(b) => return b,
            };
            let Some(older) = state.rollback(m) else {
                return failed(no_rollback(m));
            };
            compare_output(older, tree)
        } else if matches!(op.child_text("format"), Some("text") | Some("ascii")) {
            format!(
                "<configuration-information>\n<configuration-output>{}</configuration-output>\n</configuration-information>\n",
                escape_text(&tree.to_text())
            )
        } else {
            render(tree, None, state.changed_at())
        };
        one(format!(
            "<rollback-information>\n{body}</rollback-information>\n"
        ))
    }

    pub(super) fn save_rescue(&self) -> Body {
        let mut state = self.state();
        state.rescue = Some(state.running.clone());
        Body::Ok
    }

    pub(super) fn delete_rescue(&self) -> Body {
        self.state().rescue = None;
        Body::Ok
    }

    pub(super) fn rescue_information(&self, op: &Element) -> Body {
        let state = self.state();
        let Some(tree) = &state.rescue else {
            return failed("rescue configuration is not set");
        };
        let body = if op.child_text("format") == Some("xml") || op.attr("format") == Some("xml") {
            render(tree, None, state.changed_at())
        } else {
            format!(
                "<configuration-information>\n<configuration-output>{}</configuration-output>\n</configuration-information>\n",
                escape_text(&tree.to_text())
            )
        };
        one(format!(
            "<rescue-information>\n{body}</rescue-information>\n"
        ))
    }
}
