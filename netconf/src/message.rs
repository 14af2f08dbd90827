//! NETCONF messages: hello, rpc, rpc-reply, rpc-error.

use std::fmt::Write as _;

use crate::xml::{escape_text, Element, Keep};
use crate::{Framing, ParseError};

/// The NETCONF base namespace.
pub const NETCONF_NS: &str = "urn:ietf:params:xml:ns:netconf:base:1.0";
/// The base:1.0 capability (end-of-message framing).
pub const BASE_1_0: &str = "urn:ietf:params:netconf:base:1.0";
/// The base:1.1 capability (chunked framing).
pub const BASE_1_1: &str = "urn:ietf:params:netconf:base:1.1";
/// base:1.0 under the name of RFC 4741's drafts, which Junos still announces.
const LEGACY_BASE_1_0: &str = "urn:ietf:params:xml:ns:netconf:base:1.0";

/// Parse a document whose root must be `expected`.
fn parse_root(input: &[u8], expected: &'static str, keep: Keep) -> Result<Element, ParseError> {
    let root = Element::parse_kept(input, keep)?;
    if root.name != expected {
        return Err(ParseError::UnexpectedElement {
            expected,
            found: root.name,
        });
    }
    Ok(root)
}

/// A `<hello>`: capabilities, and a session-id when it comes from a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    /// Capability URIs in the order sent.
    pub capabilities: Vec<String>,
    /// The server-assigned session-id (absent in a client hello).
    pub session_id: Option<u32>,
}

impl Hello {
    /// A client hello.
    pub fn client(capabilities: Vec<String>) -> Self {
        Self {
            capabilities,
            session_id: None,
        }
    }

    /// A server hello.
    pub fn server(capabilities: Vec<String>, session_id: u32) -> Self {
        Self {
            capabilities,
            session_id: Some(session_id),
        }
    }

    /// Whether a capability is announced (ignoring any `?query` part).
    pub fn supports(&self, capability: &str) -> bool {
        self.capabilities
            .iter()
            .any(|c| c.split('?').next() == Some(capability))
    }

    /// Whether the peer announces base versions and none of them is one of ours (base:1.0,
    /// also under its older `urn:ietf:params:xml:ns:netconf:base:1.0` name, or base:1.1).
    /// Then there is no framing both sides speak, and RFC 6241 (section 8.1) ends the
    /// session. A hello that announces no base version at all is taken as base:1.0, as
    /// Junos does.
    pub fn shares_no_base(&self, peer: &Hello) -> bool {
        const BASES: [&[&str]; 2] = [&[BASE_1_0, LEGACY_BASE_1_0], &[BASE_1_1]];
        let has = |h: &Hello, names: &[&str]| names.iter().any(|n| h.supports(n));
        BASES.iter().any(|b| has(peer, b)) && !BASES.iter().any(|b| has(self, b) && has(peer, b))
    }

    /// The framing to use after this hello and the peer's: chunked when both
    /// announce base:1.1 (RFC 6242 section 4.1).
    pub fn negotiate(&self, peer: &Hello) -> Framing {
        if self.supports(BASE_1_1) && peer.supports(BASE_1_1) {
            Framing::Chunked
        } else {
            Framing::EndOfMessage
        }
    }

    /// The XML of this hello.
    pub fn to_xml(&self) -> String {
        let mut s = String::with_capacity(256 + 64 * self.capabilities.len());
        let _ = write!(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<hello xmlns=\"{NETCONF_NS}\">\n  <capabilities>\n");
        for c in &self.capabilities {
            let _ = writeln!(s, "    <capability>{}</capability>", escape_text(c));
        }
        s.push_str("  </capabilities>\n");
        if let Some(id) = self.session_id {
            let _ = writeln!(s, "  <session-id>{id}</session-id>");
        }
        s.push_str("</hello>");
        s
    }

    /// Parse a hello.
    pub fn parse(input: &[u8]) -> Result<Hello, ParseError> {
        let root = parse_root(input, "hello", Keep::ALL)?;
        let caps = root
            .child("capabilities")
            .ok_or(ParseError::Missing("<capabilities>"))?;
        let capabilities: Vec<String> = caps
            .children_named("capability")
            .map(|c| c.text.trim().to_string())
            .collect();
        if capabilities.is_empty() {
            return Err(ParseError::Missing("<capability>"));
        }
        let session_id = match root.child_text("session-id") {
            None => None,
            Some(t) => Some(t.parse().map_err(|_| ParseError::Invalid {
                what: "session-id",
                value: t.to_string(),
            })?),
        };
        Ok(Hello {
            capabilities,
            session_id,
        })
    }
}

/// An `<rpc>` as a server receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rpc {
    /// Every attribute of `<rpc>` (RFC 6241: all are echoed on the reply).
    pub attrs: Vec<(String, String)>,
    /// The operation: the first child element of `<rpc>`.
    pub operation: Element,
}

impl Rpc {
    /// Parse an `<rpc>`.
    pub fn parse(input: &[u8]) -> Result<Rpc, ParseError> {
        Self::parse_keeping(input, Keep::ALL)
    }

    /// Parse an `<rpc>` whole, but keep only its head ([`Keep::RPC_HEAD`]): what a relay
    /// needs to know about a message it passes on as bytes, in memory bounded whatever
    /// the message holds.
    pub fn parse_head(input: &[u8]) -> Result<Rpc, ParseError> {
        Self::parse_keeping(input, Keep::RPC_HEAD)
    }

    fn parse_keeping(input: &[u8], keep: Keep) -> Result<Rpc, ParseError> {
        let mut root = parse_root(input, "rpc", keep)?;
        if root.children.is_empty() {
            return Err(ParseError::Missing("operation inside <rpc>"));
        }
        let operation = root.children.swap_remove(0);
        Ok(Rpc {
            attrs: root.attrs,
            operation,
        })
    }

    /// The `message-id` attribute.
    pub fn message_id(&self) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == "message-id")
            .map(|(_, v)| v.as_str())
    }

    /// Build the XML of an rpc carrying `operation_xml`.
    pub fn xml(message_id: u64, operation_xml: &str) -> String {
        format!("<rpc xmlns=\"{NETCONF_NS}\" message-id=\"{message_id}\">{operation_xml}</rpc>")
    }
}

/// Severity of an rpc-error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorSeverity {
    /// The operation failed.
    Error,
    /// The operation succeeded with a warning (Junos uses this often).
    Warning,
}

/// An `<rpc-error>` with its standard fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcError {
    /// `error-type`: transport, rpc, protocol or application.
    pub error_type: String,
    /// `error-tag`, such as `operation-failed` or `lock-denied`.
    pub tag: String,
    /// `error-severity`.
    pub severity: ErrorSeverity,
    /// `error-app-tag`.
    pub app_tag: Option<String>,
    /// `error-path`.
    pub path: Option<String>,
    /// `error-message`.
    pub message: Option<String>,
    /// Children of `error-info` as (name, text), such as `session-id` or `bad-element`.
    pub info: Vec<(String, String)>,
}

impl RpcError {
    /// An error of the given type and tag with a message.
    pub fn new(error_type: &str, tag: &str, message: impl Into<String>) -> Self {
        Self {
            error_type: error_type.into(),
            tag: tag.into(),
            severity: ErrorSeverity::Error,
            app_tag: None,
            path: None,
            message: Some(message.into()),
            info: Vec::new(),
        }
    }

    /// Builder: add an error-info field.
    #[must_use]
    pub fn with_info(mut self, name: &str, value: impl Into<String>) -> Self {
        self.info.push((name.into(), value.into()));
        self
    }

    /// Read one from an `<rpc-error>` element.
    pub fn from_element(el: &Element) -> RpcError {
        let text = |n: &str| el.child_text(n).map(str::to_string);
        RpcError {
            error_type: text("error-type").unwrap_or_default(),
            tag: text("error-tag").unwrap_or_default(),
            severity: match el.child_text("error-severity") {
                Some("warning") => ErrorSeverity::Warning,
                _ => ErrorSeverity::Error,
            },
            app_tag: text("error-app-tag"),
            path: text("error-path"),
            message: text("error-message"),
            info: el
                .child("error-info")
                .map(|i| {
                    i.children
                        .iter()
                        .map(|c| (c.name.clone(), c.text.trim().to_string()))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// The XML of this error.
    pub fn to_xml(&self) -> String {
        let mut s = String::from("<rpc-error>\n");
        let _ = writeln!(
            s,
            "<error-type>{}</error-type>",
            escape_text(&self.error_type)
        );
        let _ = writeln!(s, "<error-tag>{}</error-tag>", escape_text(&self.tag));
        let sev = match self.severity {
            ErrorSeverity::Error => "error",
            ErrorSeverity::Warning => "warning",
        };
        let _ = writeln!(s, "<error-severity>{sev}</error-severity>");
        for (name, v) in [("error-app-tag", &self.app_tag), ("error-path", &self.path)] {
            if let Some(v) = v {
                let _ = writeln!(s, "<{name}>{}</{name}>", escape_text(v));
            }
        }
        if let Some(m) = &self.message {
            let _ = writeln!(s, "<error-message>\n{}\n</error-message>", escape_text(m));
        }
        if !self.info.is_empty() {
            s.push_str("<error-info>\n");
            for (k, v) in &self.info {
                let _ = writeln!(s, "<{k}>{}</{k}>", escape_text(v));
            }
            s.push_str("</error-info>\n");
        }
        s.push_str("</rpc-error>\n");
        s
    }
}

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.error_type, self.tag)?;
        if let Some(m) = &self.message {
            write!(f, ": {}", m.trim())?;
        }
        for (k, v) in &self.info {
            write!(f, " [{k}={v}]")?;
        }
        Ok(())
    }
}

/// An `<rpc-reply>`: built by servers, parsed by clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcReply {
    /// The reply element itself (attributes, children).
    pub root: Element,
    /// Every `<rpc-error>` in it, warnings included.
    pub errors: Vec<RpcError>,
}

impl RpcReply {
    /// The opening tag of a reply to `rpc`: every rpc attribute echoed, the given
    /// extra namespace declarations added. Servers stream the body after it.
    pub fn open_tag(rpc_attrs: &[(String, String)], extra_ns: &[(&str, &str)]) -> String {
        let mut s = format!("<rpc-reply xmlns=\"{NETCONF_NS}\"");
        for (k, v) in extra_ns {
            let _ = write!(s, " {k}=\"{v}\"");
        }
        for (k, v) in rpc_attrs {
            if k == "xmlns" || extra_ns.iter().any(|(n, _)| n == k) {
                continue;
            }
            let _ = write!(s, " {k}=\"{}\"", quick_xml::escape::escape(v.as_str()));
        }
        s.push('>');
        s
    }

    /// `<rpc-reply ...><ok/></rpc-reply>` for `rpc`.
    pub fn ok_for(rpc: &Rpc) -> RpcReply {
        let root = Element::new("rpc-reply")
            .with_attr("xmlns", NETCONF_NS)
            .with_child(Element::new("ok"));
        let mut root = root;
        root.attrs
            .extend(rpc.attrs.iter().filter(|(k, _)| k != "xmlns").cloned());
        RpcReply {
            root,
            errors: Vec::new(),
        }
    }

    /// Parse a reply. Errors are collected at any depth, as ncclient does: Junos nests
    /// them in `<load-configuration-results>` and `<commit-results><routing-engine>`, and
    /// older releases write Junoscript's `<xnm:error>` / `<xnm:warning>` instead of
    /// `<rpc-error>`. A `<load-error-count>` above zero with no error beside it is an
    /// error too, so a refused load is never taken for a success.
    pub fn parse(input: &[u8]) -> Result<RpcReply, ParseError> {
        let root = parse_root(input, "rpc-reply", Keep::ALL)?;
        let errors = collect_errors(&root);
        Ok(RpcReply { root, errors })
    }

    /// The `message-id` attribute.
    pub fn message_id(&self) -> Option<&str> {
        self.root.attr("message-id")
    }

    /// Whether the reply is `<ok/>`.
    pub fn is_ok(&self) -> bool {
        self.root.has("ok")
    }

    /// The first error of severity `error`, if any.
    pub fn first_error(&self) -> Option<&RpcError> {
        self.errors
            .iter()
            .find(|e| e.severity == ErrorSeverity::Error)
    }

    /// Every error of severity `error`, in document order.
    pub fn failures(&self) -> impl Iterator<Item = &RpcError> {
        self.errors
            .iter()
            .filter(|e| e.severity == ErrorSeverity::Error)
    }

    /// Every warning (the operation succeeded; Junos often warns).
    pub fn warnings(&self) -> impl Iterator<Item = &RpcError> {
        self.errors
            .iter()
            .filter(|e| e.severity == ErrorSeverity::Warning)
    }

    /// The XML of this reply.
    pub fn to_xml(&self) -> String {
        self.root.to_xml()
    }
}

/// Whether an `<error>` or `<warning>` element is Junoscript's (`xnm:` namespace).
fn is_xnm(el: &Element) -> bool {
    el.attrs
        .iter()
        .any(|(k, v)| (k == "xmlns" || k.starts_with("xmlns:")) && v.contains("/xnm/"))
}

/// An `<xnm:error>` / `<xnm:warning>` as an rpc-error.
fn from_xnm(el: &Element, severity: ErrorSeverity) -> RpcError {
    let text = |n: &str| el.child_text(n).map(str::to_string);
    let mut info = Vec::new();
    if let Some(s) = text("statement") {
        info.push(("bad-element".to_string(), s));
    }
    RpcError {
        error_type: "protocol".into(),
        tag: "operation-failed".into(),
        severity,
        app_tag: None,
        path: text("edit-path"),
        message: text("message"),
        info,
    }
}

/// Every rpc-error (and Junoscript error or warning) under `root`, in document order,
/// without recursion (the tree's depth is bounded by the parser, but this walk needs no
/// stack at all).
fn collect_errors(root: &Element) -> Vec<RpcError> {
    let mut out = Vec::new();
    let mut stack: Vec<&Element> = root.children.iter().rev().collect();
    while let Some(el) = stack.pop() {
        match el.name.as_str() {
            "rpc-error" => {
                out.push(RpcError::from_element(el));
                continue;
            }
            "error" if is_xnm(el) => {
                out.push(from_xnm(el, ErrorSeverity::Error));
                continue;
            }
            "warning" if is_xnm(el) => {
                out.push(from_xnm(el, ErrorSeverity::Warning));
                continue;
            }
            "load-configuration-results" => {
                let count: u64 = el
                    .child_text("load-error-count")
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(0);
                let nested_errors = el.children.iter().any(|c| {
                    (c.name == "rpc-error" && c.child_text("error-severity") != Some("warning"))
                        || (c.name == "error" && is_xnm(c))
                });
                if count > 0 && !nested_errors {
                    out.push(RpcError::new(
                        "protocol",
                        "operation-failed",
                        format!("load-configuration failed: load-error-count {count}"),
                    ));
                }
            }
            _ => {}
        }
        stack.extend(el.children.iter().rev());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_round_trip_and_negotiation() {
        let server = Hello::server(vec![BASE_1_0.into(), BASE_1_1.into()], 7);
        let back = Hello::parse(server.to_xml().as_bytes()).unwrap();
        assert_eq!(back, server);
        let old_client = Hello::client(vec![BASE_1_0.into()]);
        assert_eq!(server.negotiate(&old_client), Framing::EndOfMessage);
        let new_client = Hello::client(vec![format!("{BASE_1_1}?x=y")]);
        assert_eq!(server.negotiate(&new_client), Framing::Chunked);
    }

    #[test]
    fn a_peer_announcing_only_other_base_versions_shares_none() {
        let only_1_0 = Hello::server(vec![BASE_1_0.into()], 1);
        let only_1_1 = Hello::client(vec![BASE_1_1.into()]);
        let both = Hello::client(vec![BASE_1_0.into(), BASE_1_1.into()]);
        let legacy = Hello::client(vec![LEGACY_BASE_1_0.into()]);
        let no_base = Hello::client(vec![
            "urn:ietf:params:netconf:capability:candidate:1.0".into()
        ]);
        assert!(only_1_0.shares_no_base(&only_1_1));
        assert!(!only_1_0.shares_no_base(&both));
        assert!(!only_1_0.shares_no_base(&legacy));
        assert!(!only_1_0.shares_no_base(&no_base));
        assert!(!both.shares_no_base(&only_1_1));
    }

    #[test]
    fn hello_errors_name_the_problem() {
        assert!(matches!(
            Hello::parse(b"<rpc/>"),
            Err(ParseError::UnexpectedElement {
                expected: "hello",
                ..
            })
        ));
        assert_eq!(
            Hello::parse(b"<hello><capabilities/></hello>"),
            Err(ParseError::Missing("<capability>"))
        );
        assert!(matches!(
            Hello::parse(b"<hello><capabilities><capability>a</capability></capabilities><session-id>x</session-id></hello>"),
            Err(ParseError::Invalid { what: "session-id", .. })
        ));
    }

    #[test]
    fn reply_echoes_every_rpc_attribute() {
        let rpc = Rpc::parse(br#"<rpc message-id="m-1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" user="x"><lock><target><candidate/></target></lock></rpc>"#).unwrap();
        assert_eq!(rpc.message_id(), Some("m-1"));
        assert_eq!(rpc.operation.name, "lock");
        let reply = RpcReply::parse(RpcReply::ok_for(&rpc).to_xml().as_bytes()).unwrap();
        assert_eq!(reply.message_id(), Some("m-1"));
        assert_eq!(reply.root.attr("user"), Some("x"));
        assert!(reply.is_ok());
        let open = RpcReply::open_tag(
            &rpc.attrs,
            &[("xmlns:junos", "http://xml.juniper.net/junos/*/junos")],
        );
        assert!(open.contains("message-id=\"m-1\"") && open.contains("xmlns:junos"));
    }

    #[test]
    fn rpc_error_round_trip() {
        let err = RpcError::new("protocol", "lock-denied", "configuration database locked")
            .with_info("session-id", "12");
        let xml = format!("<rpc-reply message-id=\"1\">{}</rpc-reply>", err.to_xml());
        let reply = RpcReply::parse(xml.as_bytes()).unwrap();
        let got = reply.first_error().unwrap();
        assert_eq!(got.tag, "lock-denied");
        assert_eq!(got.info, vec![("session-id".to_string(), "12".to_string())]);
        assert_eq!(
            got.message.as_deref().map(str::trim),
            Some("configuration database locked")
        );
    }

    /// Shapes of real Junos replies (as captured in the field's client fixtures; written
    /// here by us): errors nested in load and commit results, Junoscript errors,
    /// warnings beside `<ok/>`.
    #[test]
    fn errors_are_found_at_any_depth_and_warnings_never_fail() {
        let load = br#"<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="3">
<load-configuration-results>
<rpc-error>
<error-severity>error</error-severity>
<error-info><bad-element>system1</bad-element></error-info>
<error-message>syntax error</error-message>
</rpc-error>
<rpc-error>
<error-severity>error</error-severity>
<error-info><bad-element>}</bad-element></error-info>
<error-message>error recovery ignores input until this point</error-message>
</rpc-error>
<load-error-count>2</load-error-count>
</load-configuration-results>
</rpc-reply>"#;
        let r = RpcReply::parse(load).unwrap();
        let msgs: Vec<&str> = r
            .failures()
            .map(|e| e.message.as_deref().unwrap().trim())
            .collect();
        assert_eq!(
            msgs,
            [
                "syntax error",
                "error recovery ignores input until this point"
            ]
        );
        assert_eq!(r.first_error().unwrap().info[0].1, "system1");

        let commit = br#"<rpc-reply xmlns:junos="http://xml.juniper.net/junos/21.4R0/junos">
<commit-results>
<routing-engine junos:style="normal">
<name>re0</name>
<rpc-error>
<error-type>protocol</error-type>
<error-tag>operation-failed</error-tag>
<error-severity>error</error-severity>
<error-path>[edit system]</error-path>
<error-info><bad-element>system</bad-element></error-info>
<error-message>Missing mandatory statement: 'root-authentication'</error-message>
</rpc-error>
<rpc-error>
<error-type>protocol</error-type>
<error-tag>operation-failed</error-tag>
<error-severity>error</error-severity>
<error-message>configuration check-out failed: (missing mandatory statements)</error-message>
</rpc-error>
</routing-engine>
</commit-results>
</rpc-reply>"#;
        let r = RpcReply::parse(commit).unwrap();
        assert_eq!(r.failures().count(), 2);
        assert_eq!(
            r.first_error().unwrap().path.as_deref(),
            Some("[edit system]")
        );

        let xnm = br#"<rpc-reply><commit-results>
<xnm:error xmlns="http://xml.juniper.net/xnm/1.1/xnm" xmlns:xnm="http://xml.juniper.net/xnm/1.1/xnm">
<source-daemon>dcd</source-daemon><edit-path>[edit interfaces ge-0/0/1]</edit-path>
<statement>unit 2</statement><message>Only unit 0 is valid for this encapsulation</message>
</xnm:error>
<xnm:warning xmlns="http://xml.juniper.net/xnm/1.1/xnm" xmlns:xnm="http://xml.juniper.net/xnm/1.1/xnm">
<message>statement has no effect</message>
</xnm:warning>
</commit-results></rpc-reply>"#;
        let r = RpcReply::parse(xnm).unwrap();
        let e = r.first_error().unwrap();
        assert_eq!(e.path.as_deref(), Some("[edit interfaces ge-0/0/1]"));
        assert_eq!(
            e.message.as_deref(),
            Some("Only unit 0 is valid for this encapsulation")
        );
        assert_eq!(r.warnings().count(), 1);

        let warning_and_ok = br#"<rpc-reply><rpc-error>
<error-type>protocol</error-type><error-tag>operation-failed</error-tag>
<error-severity>warning</error-severity>
<error-message>statement not found</error-message>
</rpc-error><ok/></rpc-reply>"#;
        let r = RpcReply::parse(warning_and_ok).unwrap();
        assert!(r.first_error().is_none() && r.is_ok());
        assert_eq!(r.warnings().count(), 1);

        let counted_only = br#"<rpc-reply><load-configuration-results>
<load-error-count>1</load-error-count></load-configuration-results></rpc-reply>"#;
        assert!(RpcReply::parse(counted_only)
            .unwrap()
            .first_error()
            .is_some());
        // An element named `error` outside the xnm namespace is data, not an error.
        let data = b"<rpc-reply><log><error>disk full</error></log></rpc-reply>";
        assert!(RpcReply::parse(data).unwrap().errors.is_empty());
    }
}
