//! NETCONF messages: hello, rpc, rpc-reply, rpc-error.

use std::fmt::Write as _;

use crate::xml::{escape_text, Element};
use crate::{Framing, ParseError};

/// The NETCONF base namespace.
pub const NETCONF_NS: &str = "urn:ietf:params:xml:ns:netconf:base:1.0";
/// The base:1.0 capability (end-of-message framing).
pub const BASE_1_0: &str = "urn:ietf:params:netconf:base:1.0";
/// The base:1.1 capability (chunked framing).
pub const BASE_1_1: &str = "urn:ietf:params:netconf:base:1.1";

/// Parse a document whose root must be `expected`.
fn parse_root(input: &[u8], expected: &'static str) -> Result<Element, ParseError> {
    let root = Element::parse(input)?;
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
        let root = parse_root(input, "hello")?;
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
        let mut root = parse_root(input, "rpc")?;
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

    /// Parse a reply.
    pub fn parse(input: &[u8]) -> Result<RpcReply, ParseError> {
        let root = parse_root(input, "rpc-reply")?;
        let errors = root
            .children_named("rpc-error")
            .map(RpcError::from_element)
            .collect();
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

    /// The XML of this reply.
    pub fn to_xml(&self) -> String {
        self.root.to_xml()
    }
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
}
