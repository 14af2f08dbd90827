//! Configuration changes and what a commit returns: the values the guard's typed
//! configuration methods and [`crate::Pool::configure`] take and give.

use netconf_wire::{escape_text, RpcReply};

/// A configuration datastore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datastore {
    /// The committed configuration.
    Running,
    /// The candidate configuration.
    Candidate,
}

/// The format of a configuration change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigFormat {
    /// `set` / `delete` lines.
    Set,
    /// Curly-brace text.
    Text,
    /// A `<configuration>` element.
    Xml,
}

/// How a change is merged into the candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoadAction {
    /// Merge into the candidate.
    #[default]
    Merge,
    /// Replace the statements named `replace:`.
    Replace,
    /// Replace the whole configuration.
    Override,
}

/// A configuration change for [`crate::NetconfGuard::load`] and [`crate::Pool::configure`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigChange {
    /// The body: set lines, text, or `<configuration>` XML.
    pub body: String,
    /// Its format.
    pub format: ConfigFormat,
    /// Merge, replace or override (ignored for `set` lines).
    pub action: LoadAction,
    /// Commit comment.
    pub comment: Option<String>,
}

impl ConfigChange {
    /// A change given as `set` lines.
    pub fn set_lines(lines: impl Into<String>) -> Self {
        Self {
            body: lines.into(),
            format: ConfigFormat::Set,
            action: LoadAction::Merge,
            comment: None,
        }
    }

    /// A change given as curly-brace text.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            body: text.into(),
            format: ConfigFormat::Text,
            action: LoadAction::Merge,
            comment: None,
        }
    }

    /// A change given as a `<configuration>` element.
    pub fn xml(xml: impl Into<String>) -> Self {
        Self {
            body: xml.into(),
            format: ConfigFormat::Xml,
            action: LoadAction::Merge,
            comment: None,
        }
    }

    /// Builder: the commit comment.
    #[must_use]
    pub fn with_comment(mut self, c: impl Into<String>) -> Self {
        self.comment = Some(c.into());
        self
    }

    /// Builder: the load action.
    #[must_use]
    pub fn with_action(mut self, a: LoadAction) -> Self {
        self.action = a;
        self
    }

    pub(crate) fn to_rpc(&self) -> String {
        let action = match self.action {
            LoadAction::Merge => "merge",
            LoadAction::Replace => "replace",
            LoadAction::Override => "override",
        };
        match self.format {
            ConfigFormat::Set => format!("<load-configuration action=\"set\" format=\"text\"><configuration-set>{}</configuration-set></load-configuration>", escape_text(&self.body)),
            ConfigFormat::Text => format!("<load-configuration action=\"{action}\" format=\"text\"><configuration-text>{}</configuration-text></load-configuration>", escape_text(&self.body)),
            ConfigFormat::Xml => format!("<load-configuration action=\"{action}\" format=\"xml\">{}</load-configuration>", self.body),
        }
    }
}

/// What a commit returned.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CommitOutcome {
    /// The device's reply (`commit-results` on Junos).
    pub reply: RpcReply,
}
