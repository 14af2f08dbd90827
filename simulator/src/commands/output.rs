//! A command's output forms: pieces of text, Junos's JSON of an XML reply, the CLI's
//! `| display xml` envelope and the `<output>` element.

use netconf_wire::{escape_text, Element};

use super::JUNOS_NS;

/// Output produced in pieces so that a 100,000-route table is never built whole.
pub type Pieces = Box<dyn Iterator<Item = String> + Send>;

pub(crate) fn one(s: String) -> Pieces {
    Box::new(std::iter::once(s))
}

/// An RPC's XML output as Junos writes it for `format="json"`: every element a key whose
/// value is a list of objects, text as `data`, attributes as `attributes`.
pub fn junos_json(xml: &str) -> Result<String, String> {
    use serde_json::{Map, Value};
    fn convert(el: &Element) -> Value {
        let mut obj = Map::new();
        if !el.attrs.is_empty() {
            let attrs: Map<String, Value> = el
                .attrs
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            obj.insert("attributes".into(), Value::Object(attrs));
        }
        let text = el.text.trim();
        if !text.is_empty() {
            obj.insert("data".into(), Value::String(text.to_string()));
        }
        for c in &el.children {
            match obj
                .entry(c.name.clone())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(a) => a.push(convert(c)),
                other => *other = Value::Array(vec![convert(c)]),
            }
        }
        Value::Object(obj)
    }
    // The output may hold several top-level elements: wrap them for the parser.
    let root = Element::parse(format!("<r xmlns:junos=\"{JUNOS_NS}\">{xml}</r>").as_bytes())
        .map_err(|e| format!("json rendering: {e}"))?;
    let mut top = Map::new();
    for c in &root.children {
        top.insert(c.name.clone(), Value::Array(vec![convert(c)]));
    }
    serde_json::to_string_pretty(&Value::Object(top)).map_err(|e| e.to_string())
}

/// The rpc-reply body for a `| display xml` on the CLI.
pub fn display_xml(body: Pieces) -> Pieces {
    Box::new(
        std::iter::once(format!("<rpc-reply xmlns:junos=\"{JUNOS_NS}\">\n"))
            .chain(body)
            .chain(std::iter::once(
                "    <cli>\n        <banner></banner>\n    </cli>\n</rpc-reply>\n".to_string(),
            )),
    )
}

/// Escape CLI text for `<output>`.
pub fn output_element(text: &str) -> String {
    format!("<output>\n{}</output>\n", escape_text(text))
}
