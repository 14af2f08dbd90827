//! A small XML element tree: enough to read RPCs, replies and configuration.

use std::borrow::Cow;
use std::fmt::Write as _;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::ParseError;

/// Deepest nesting accepted; deeper input is refused instead of exhausting the stack.
const MAX_DEPTH: usize = 256;

/// Most elements in one document: a bound on the tree's memory whatever the frame holds
/// (a 10^5-route table is about 2.5 million elements).
pub const MAX_ELEMENTS: usize = 4_000_000;

/// Most attributes on one element. quick-xml refuses a repeated attribute by comparing
/// each with those before it, so an element with n attributes costs n² / 2 comparisons:
/// unbounded, one start tag of a few MiB would hold a thread for minutes. Junos and its
/// clients write a handful (message-id, namespaces, junos:style, operation).
pub const MAX_ATTRIBUTES: usize = 256;

/// What [`Element::parse_kept`] keeps of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keep {
    /// Levels kept, the root being level 1.
    pub depth: usize,
    /// Children kept per element (the first ones).
    pub children: usize,
    /// Bytes of text kept per element (cut at a character boundary).
    pub text: usize,
}

impl Keep {
    /// Everything: [`Element::parse`].
    pub const ALL: Keep = Keep {
        depth: usize::MAX,
        children: usize::MAX,
        text: usize::MAX,
    };

    /// The head of an `<rpc>`: the rpc, its operation, the operation's children and
    /// theirs (enough to tell a lock's target, a load's format, a commit's options or a
    /// kill-session's id), 64 children each and 4 KiB of text each: about 1 MiB at most,
    /// whatever the message holds.
    pub const RPC_HEAD: Keep = Keep {
        depth: 4,
        children: 64,
        text: 4096,
    };

    fn push_text(&self, to: &mut String, s: &str) {
        let room = self.text.saturating_sub(to.len());
        if s.len() <= room {
            to.push_str(s);
        } else {
            let mut cut = room;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            to.push_str(&s[..cut]);
        }
    }
}

/// One XML element with its attributes, text and children.
///
/// Names are local names (a `junos:` or `nc:` prefix is dropped, as NETCONF clients
/// match on local names); `attrs` keep their written names (`xmlns:junos`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// Local name of the element.
    pub name: String,
    /// Attributes in document order, values unescaped.
    pub attrs: Vec<(String, String)>,
    /// Text directly inside this element, unescaped, concatenated.
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<Element>,
}

impl Element {
    /// An element with just a name.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// Builder: add an attribute.
    #[must_use]
    pub fn with_attr(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.attrs.push((k.into(), v.into()));
        self
    }

    /// Builder: set the text.
    #[must_use]
    pub fn with_text(mut self, t: impl Into<String>) -> Self {
        self.text = t.into();
        self
    }

    /// Builder: add a child.
    #[must_use]
    pub fn with_child(mut self, c: Element) -> Self {
        self.children.push(c);
        self
    }

    /// Parse a document and return its root element.
    pub fn parse(input: &[u8]) -> Result<Element, ParseError> {
        Self::parse_kept(input, Keep::ALL)
    }

    /// Parse a whole document (it must be well formed, within the depth and element
    /// bounds), but keep in the tree only what `keep` says: its memory is then bounded by
    /// `keep`, not by the document (a proxy reads the head of a client's message to relay
    /// the rest as bytes).
    pub fn parse_kept(input: &[u8], keep: Keep) -> Result<Element, ParseError> {
        let mut reader = Reader::from_reader(input);
        reader.config_mut().check_end_names = true;
        let mut stack: Vec<Element> = Vec::new();
        // Open elements inside one that is not kept.
        let mut skipped = 0usize;
        let mut elements = 0usize;
        let xml_err = |reader: &Reader<&[u8]>, e: &dyn std::fmt::Display| ParseError::Xml {
            position: reader.error_position(),
            reason: e.to_string(),
        };
        let kept = |stack: &[Element], skipped: usize| {
            skipped == 0
                && stack.len() < keep.depth
                && stack
                    .last()
                    .is_none_or(|p| p.children.len() < keep.children)
        };
        loop {
            let ev = reader.read_event().map_err(|e| xml_err(&reader, &e))?;
            match ev {
                Event::Start(s) => {
                    if stack.len() + skipped >= MAX_DEPTH {
                        return Err(xml_err(&reader, &"nesting too deep"));
                    }
                    elements += 1;
                    if elements > MAX_ELEMENTS {
                        return Err(xml_err(&reader, &"too many elements"));
                    }
                    if kept(&stack, skipped) {
                        stack.push(start_element(&s).map_err(|e| xml_err(&reader, &e))?);
                    } else {
                        skipped += 1;
                    }
                }
                Event::Empty(s) => {
                    elements += 1;
                    if elements > MAX_ELEMENTS {
                        return Err(xml_err(&reader, &"too many elements"));
                    }
                    if !kept(&stack, skipped) {
                        continue;
                    }
                    let el = start_element(&s).map_err(|e| xml_err(&reader, &e))?;
                    if let Some(done) = attach(&mut stack, el) {
                        return finish(&mut reader, done);
                    }
                }
                Event::End(_) => {
                    if skipped > 0 {
                        skipped -= 1;
                        continue;
                    }
                    let el = stack
                        .pop()
                        .ok_or_else(|| xml_err(&reader, &"unmatched end tag"))?;
                    if let Some(done) = attach(&mut stack, el) {
                        return finish(&mut reader, done);
                    }
                }
                Event::Text(t) => {
                    let s = t.decode().map_err(|e| xml_err(&reader, &e))?;
                    match stack.last_mut() {
                        Some(top) if skipped == 0 => keep.push_text(&mut top.text, &s),
                        Some(_) => {}
                        None if s.trim().is_empty() => {}
                        None => return Err(xml_err(&reader, &"text outside the root element")),
                    }
                }
                Event::CData(t) => {
                    let s = t.decode().map_err(|e| xml_err(&reader, &e))?;
                    if let Some(top) = stack.last_mut().filter(|_| skipped == 0) {
                        keep.push_text(&mut top.text, &s);
                    }
                }
                Event::GeneralRef(r) => {
                    let resolved = resolve_ref(&r).map_err(|e| xml_err(&reader, &e))?;
                    if let Some(top) = stack.last_mut().filter(|_| skipped == 0) {
                        keep.push_text(&mut top.text, &resolved);
                    }
                }
                Event::Eof => {
                    return Err(if stack.is_empty() {
                        ParseError::Missing("root element")
                    } else {
                        xml_err(&reader, &"document ended inside an element")
                    })
                }
                Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
            }
        }
    }

    /// First child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Whether a child with this local name exists.
    pub fn has(&self, name: &str) -> bool {
        self.child(name).is_some()
    }

    /// All children with this local name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Follow a path of child names.
    pub fn find(&self, path: &[&str]) -> Option<&Element> {
        path.iter().try_fold(self, |el, name| el.child(name))
    }

    /// Trimmed text of the child with this name.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim())
    }

    /// An attribute by its written name or by its local name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name || k.rsplit(':').next() == Some(name))
            .map(|(_, v)| v.as_str())
    }

    /// Serialize back to XML (no declaration).
    pub fn to_xml(&self) -> String {
        let mut out = String::new();
        self.write_xml(&mut out);
        out
    }

    /// Append this element's XML to `out`.
    pub fn write_xml(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        for (k, v) in &self.attrs {
            let _ = write!(out, " {k}=\"{}\"", quick_xml::escape::escape(v.as_str()));
        }
        if self.text.is_empty() && self.children.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        out.push_str(&escape_text(&self.text));
        for c in &self.children {
            c.write_xml(out);
        }
        let _ = write!(out, "</{}>", self.name);
    }
}

fn local(qname: &[u8]) -> &[u8] {
    match qname.iter().position(|b| *b == b':') {
        Some(p) => &qname[p + 1..],
        None => qname,
    }
}

fn start_element(s: &BytesStart<'_>) -> Result<Element, String> {
    let name = String::from_utf8(local(s.name().as_ref()).to_vec()).map_err(|e| e.to_string())?;
    let mut el = Element::new(name);
    for (i, a) in s.attributes().enumerate() {
        if i == MAX_ATTRIBUTES {
            return Err(format!(
                "more than {MAX_ATTRIBUTES} attributes on <{}>",
                el.name
            ));
        }
        let a = a.map_err(|e| e.to_string())?;
        let k = String::from_utf8(a.key.as_ref().to_vec()).map_err(|e| e.to_string())?;
        let v = a.unescape_value().map_err(|e| e.to_string())?.into_owned();
        el.attrs.push((k, v));
    }
    Ok(el)
}

fn resolve_ref(r: &quick_xml::events::BytesRef<'_>) -> Result<String, String> {
    if let Some(c) = r.resolve_char_ref().map_err(|e| e.to_string())? {
        return Ok(c.to_string());
    }
    let name = r.decode().map_err(|e| e.to_string())?;
    match quick_xml::escape::resolve_predefined_entity(&name) {
        Some(s) => Ok(s.to_string()),
        None => Err(format!("unknown entity &{name};")),
    }
}

/// Attach a finished element to its parent; returns it if it was the root.
fn attach(stack: &mut [Element], el: Element) -> Option<Element> {
    match stack.last_mut() {
        Some(parent) => {
            parent.children.push(el);
            None
        }
        None => Some(el),
    }
}

fn finish(reader: &mut Reader<&[u8]>, root: Element) -> Result<Element, ParseError> {
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => return Ok(root),
            Ok(Event::Text(t)) if t.iter().all(u8::is_ascii_whitespace) => {}
            Ok(Event::Comment(_)) | Ok(Event::PI(_)) => {}
            Ok(_) => {
                return Err(ParseError::Xml {
                    position: reader.buffer_position(),
                    reason: "content after the root element".into(),
                })
            }
            Err(e) => {
                return Err(ParseError::Xml {
                    position: reader.error_position(),
                    reason: e.to_string(),
                })
            }
        }
    }
}

/// Escape text for element content (`&`, `<`, `>`).
pub fn escape_text(s: &str) -> Cow<'_, str> {
    quick_xml::escape::partial_escape(s)
}

/// Undo XML escaping of text; unknown entities are kept as written.
pub fn unescape_text(s: &str) -> Cow<'_, str> {
    quick_xml::escape::unescape(s).unwrap_or(Cow::Borrowed(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_element_with_too_many_attributes_is_refused_by_name() {
        let many: String = (0..1000).map(|i| format!(" a{i}=\"x\"")).collect();
        let doc = format!("<rpc message-id=\"1\"{many}><get-software-information/></rpc>");
        let err = Element::parse(doc.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("more than 256 attributes on <rpc>"), "{err}");
        let head = Element::parse_kept(doc.as_bytes(), Keep::RPC_HEAD).unwrap_err();
        assert!(head.to_string().contains("attributes"), "{head}");
        // As many as Junos ever writes are fine.
        let few: String = (0..256).map(|i| format!(" a{i}=\"x\"")).collect();
        assert!(Element::parse(format!("<rpc{few}/>").as_bytes()).is_ok());
    }

    #[test]
    fn parses_nested_elements_attributes_and_entities() {
        let el = Element::parse(
            br#"<?xml version="1.0"?><rpc message-id="101" xmlns:junos="x"><junos:command format="text">show route 10.0.0.0 &amp; more &#x41;</junos:command></rpc>"#,
        )
        .unwrap();
        assert_eq!(el.name, "rpc");
        assert_eq!(el.attr("message-id"), Some("101"));
        let cmd = el.child("command").unwrap();
        assert_eq!(cmd.attr("format"), Some("text"));
        assert_eq!(cmd.text, "show route 10.0.0.0 & more A");
        let back = Element::parse(el.to_xml().as_bytes()).unwrap();
        assert_eq!(back, el);
    }

    #[test]
    fn malformed_xml_is_an_error_not_a_panic() {
        for bad in [
            &b"<a><b></a>"[..],
            b"<a>",
            b"",
            b"text",
            b"<a/><b/>",
            b"<a>&bogus;</a>",
        ] {
            assert!(
                Element::parse(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let deep = "<a>".repeat(10_000);
        assert!(Element::parse(deep.as_bytes()).is_err());
        let wide = format!("<a>{}</a>", "<b/>".repeat(MAX_ELEMENTS + 1));
        let e = Element::parse(wide.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("too many elements"), "{e}");
    }

    #[test]
    fn a_kept_parse_keeps_the_head_and_still_checks_the_whole() {
        // 100,000 children, a long text and a deep subtree: the head alone is kept.
        let doc = format!(
            "<rpc message-id=\"7\"><load-configuration format=\"text\"><configuration-text>{}</configuration-text>{}<x><y><z><w>deep</w></z></y></x></load-configuration></rpc>",
            "é".repeat(10_000),
            "<a/>".repeat(100_000)
        );
        let root = Element::parse_kept(doc.as_bytes(), Keep::RPC_HEAD).unwrap();
        assert_eq!(root.attr("message-id"), Some("7"));
        let op = &root.children[0];
        assert_eq!(op.name, "load-configuration");
        assert_eq!(op.attr("format"), Some("text"));
        assert_eq!(op.children.len(), 64, "children kept");
        let text = &op.children[0].text;
        assert!(text.len() <= 4096 && text.len() >= 4094, "{}", text.len());
        assert!(
            text.chars().all(|c| c == 'é'),
            "cut at a character boundary"
        );
        // Parsed in full, the same document has every child.
        let full = Element::parse(doc.as_bytes()).unwrap();
        assert_eq!(full.children[0].children.len(), 100_002);
        // Whatever is not kept is still checked: a mismatched tag deep inside, content
        // after the root, and the element bound are errors.
        for bad in [
            format!("<rpc><get>{}<x><y></x></y></get></rpc>", "<a/>".repeat(100)),
            "<rpc><get/></rpc><rpc/>".to_string(),
            format!("<rpc><get>{}</get></rpc>", "<b/>".repeat(MAX_ELEMENTS + 1)),
        ] {
            assert!(
                Element::parse_kept(bad.as_bytes(), Keep::RPC_HEAD).is_err(),
                "{}",
                &bad[..40]
            );
        }
    }
}
