//! Byte-exact relaying of messages written by someone else (a proxy's client or its
//! upstream): only the root element's `message-id` is rewritten, everything else (the
//! XML declaration, namespace prefixes, whitespace, CDATA in configuration text) passes
//! through untouched.

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::error::ParseError;

/// A document with its root element's `message-id` replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    /// The new document.
    pub doc: Vec<u8>,
    /// The root's `message-id` before the rewrite, as written (still escaped).
    pub old_id: Option<Vec<u8>>,
    /// The root element's local name (`rpc`, `rpc-reply`, `hello`...).
    pub root: String,
}

/// The root's start tag of a document, rewritten: what [`rewrite_head`] returns. The
/// rewritten document is `head` followed by `doc[rest..]`, so that a large message is
/// relayed without a copy of its body ([`Head::parts`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Everything up to and including the root's start tag, rewritten.
    pub head: Vec<u8>,
    /// Where the rest of the original document starts.
    pub rest: usize,
    /// The root's `message-id` before the rewrite, as written (still escaped).
    pub old_id: Option<Vec<u8>>,
    /// The root element's local name (`rpc`, `rpc-reply`, `hello`...).
    pub root: String,
}

impl Head {
    /// The rewritten document as two slices: the new head, then the untouched rest.
    pub fn parts<'a>(&'a self, doc: &'a [u8]) -> [&'a [u8]; 2] {
        [&self.head, &doc[self.rest..]]
    }
}

/// Replace (`Some`) or remove (`None`) the `message-id` attribute of the root element
/// of `doc`. `new_id` is written as given, so it must already be escaped for an
/// attribute value (a value taken from [`Rewritten::old_id`] is). The root element must
/// come first: only an XML declaration, comments, processing instructions and
/// whitespace may precede it.
pub fn set_message_id(doc: &[u8], new_id: Option<&[u8]>) -> Result<Rewritten, ParseError> {
    let h = rewrite_head(doc, new_id)?;
    Ok(Rewritten {
        doc: h.parts(doc).concat(),
        old_id: h.old_id,
        root: h.root,
    })
}

/// [`set_message_id`] without copying the document: the rewritten head, and where the
/// rest of `doc` goes on.
pub fn rewrite_head(doc: &[u8], new_id: Option<&[u8]>) -> Result<Head, ParseError> {
    let mut reader = Reader::from_reader(doc);
    let xml_err = |reader: &Reader<&[u8]>, why: String| ParseError::Xml {
        position: reader.error_position(),
        reason: why,
    };
    loop {
        let start = reader.buffer_position() as usize;
        let ev = reader
            .read_event()
            .map_err(|e| xml_err(&reader, e.to_string()))?;
        let (tag, empty) = match ev {
            Event::Start(t) => (t, false),
            Event::Empty(t) => (t, true),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => continue,
            Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => continue,
            Event::Eof => return Err(ParseError::Missing("root element")),
            _ => return Err(xml_err(&reader, "text before the root element".into())),
        };
        let end = reader.buffer_position() as usize;
        let qname = tag.name();
        let root = String::from_utf8_lossy(qname.local_name().as_ref()).into_owned();
        let mut out = Vec::with_capacity(end + 32);
        out.extend_from_slice(&doc[..start]);
        out.push(b'<');
        out.extend_from_slice(qname.as_ref());
        let mut old_id = None;
        let mut attrs = tag.attributes();
        attrs.with_checks(true);
        for (i, a) in attrs.enumerate() {
            if i == crate::xml::MAX_ATTRIBUTES {
                return Err(xml_err(
                    &reader,
                    format!(
                        "more than {} attributes on <{root}>",
                        crate::xml::MAX_ATTRIBUTES
                    ),
                ));
            }
            let a = a.map_err(|e| xml_err(&reader, e.to_string()))?;
            let value = a.value.as_ref();
            if a.key.as_ref() == b"message-id" {
                old_id = Some(value.to_vec());
                continue;
            }
            push_attr(&mut out, a.key.as_ref(), value);
        }
        if let Some(id) = new_id {
            push_attr(&mut out, b"message-id", id);
        }
        out.extend_from_slice(if empty { b"/>" } else { b">" });
        return Ok(Head {
            head: out,
            rest: end,
            old_id,
            root,
        });
    }
}

fn push_attr(out: &mut Vec<u8>, key: &[u8], raw_value: &[u8]) {
    // The raw value is written back as it was; it keeps its escaping. A value holding a
    // double quote was single-quoted and stays so.
    let q = if raw_value.contains(&b'"') {
        b'\''
    } else {
        b'"'
    };
    out.push(b' ');
    out.extend_from_slice(key);
    out.push(b'=');
    out.push(q);
    out.extend_from_slice(raw_value);
    out.push(q);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Rpc, RpcReply};
    use proptest::prelude::*;

    #[test]
    fn ncclient_style_rpc_keeps_its_prefix_and_body() {
        let doc = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<nc:rpc xmlns:nc=\"urn:ietf:params:xml:ns:netconf:base:1.0\" message-id=\"urn:uuid:5d1c\"><nc:get-config><nc:source><nc:running/></nc:source></nc:get-config></nc:rpc>";
        let r = set_message_id(doc, Some(b"17")).unwrap();
        assert_eq!(r.old_id.as_deref(), Some(&b"urn:uuid:5d1c"[..]));
        assert_eq!(r.root, "rpc");
        let text = String::from_utf8(r.doc.clone()).unwrap();
        assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<nc:rpc xmlns:nc=\"urn:ietf:params:xml:ns:netconf:base:1.0\" message-id=\"17\"><nc:get-config>"), "{text}");
        let rpc = Rpc::parse(&r.doc).unwrap();
        assert_eq!(rpc.message_id(), Some("17"));
        assert_eq!(rpc.operation.name, "get-config");
        // And back: the reply gets the client's id as it was written.
        let reply = b"<rpc-reply xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\" xmlns:junos=\"http://xml.juniper.net/junos/21.4R0/junos\" message-id=\"17\">\n<ok/>\n</rpc-reply>";
        let back = set_message_id(reply, r.old_id.as_deref()).unwrap();
        let parsed = RpcReply::parse(&back.doc).unwrap();
        assert_eq!(parsed.message_id(), Some("urn:uuid:5d1c"));
        assert!(parsed.is_ok());
    }

    #[test]
    fn a_missing_id_is_added_and_can_be_removed() {
        let r = set_message_id(b"<rpc><get-software-information/></rpc>", Some(b"3")).unwrap();
        assert_eq!(r.old_id, None);
        assert_eq!(
            r.doc,
            b"<rpc message-id=\"3\"><get-software-information/></rpc>"
        );
        let back = set_message_id(b"<rpc-reply message-id=\"3\"><ok/></rpc-reply>", None).unwrap();
        assert_eq!(back.doc, b"<rpc-reply><ok/></rpc-reply>");
    }

    #[test]
    fn configuration_text_passes_byte_for_byte() {
        let body = "<load-configuration format=\"text\"><configuration-text><![CDATA[system {\n  host-name \"a<b\";\n}]]></configuration-text></load-configuration>";
        let doc = format!("<rpc message-id='a\"b' xmlns=\"urn:x\">{body}</rpc>");
        let r = set_message_id(doc.as_bytes(), Some(b"9")).unwrap();
        assert_eq!(r.old_id.as_deref(), Some(&b"a\"b"[..]));
        let text = String::from_utf8(r.doc).unwrap();
        assert_eq!(
            text,
            format!("<rpc xmlns=\"urn:x\" message-id=\"9\">{body}</rpc>")
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [
            &b""[..],
            b"   ",
            b"hello <rpc/>",
            b"<rpc message-id=\"1\" message-id=\"2\">",
            b"<rpc a=b>",
        ] {
            assert!(set_message_id(bad, Some(b"1")).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(doc in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = set_message_id(&doc, Some(b"1"));
        }

        #[test]
        fn the_body_is_untouched(id in "[a-zA-Z0-9:.-]{1,40}", body in "[a-z<>/ =\"]{0,80}") {
            let doc = format!("<rpc message-id=\"{id}\">{body}");
            let r = set_message_id(doc.as_bytes(), Some(b"1")).unwrap();
            prop_assert_eq!(r.old_id, Some(id.into_bytes()));
            prop_assert_eq!(r.doc, format!("<rpc message-id=\"1\">{body}").into_bytes());
        }
    }
}
