//! The configuration as Junos's JSON (`format="json"`).

use super::{is_container, is_xml_list, ConfigTree, PLURALS};

impl ConfigTree {
    /// The configuration as Junos's JSON (`format="json"`): containers as objects, a
    /// statement with one value as a string, a flag as `[null]`, named entries as arrays
    /// of objects with `name`.
    pub fn to_json(&self) -> String {
        let mut root = serde_json::Map::new();
        root.insert("configuration".into(), self.json_value(None));
        serde_json::Value::Object(root).to_string()
    }

    fn json_value(&self, parent: Option<&str>) -> serde_json::Value {
        use serde_json::{json, Map, Value};
        let singular = parent
            .and_then(|p| PLURALS.iter().find(|(pl, _)| *pl == p))
            .map(|(_, s)| *s);
        let mut obj = Map::new();
        for (w, child) in &self.children {
            if let Some(s) = singular {
                let mut entry = child.json_value(None);
                if let Value::Object(m) = &mut entry {
                    m.insert("name".into(), json!(w));
                }
                push_json(&mut obj, s, entry);
            } else if is_xml_list(w) && !child.children.is_empty() {
                for (name, entry) in &child.children {
                    let mut e = entry.json_value(None);
                    if let Value::Object(m) = &mut e {
                        m.insert("name".into(), json!(name));
                    }
                    push_json(&mut obj, w, e);
                }
            } else if child.children.is_empty() {
                obj.insert(w.clone(), json!([null]));
            } else if child.children.len() == 1
                && child.children[0].1.children.is_empty()
                && !is_container(w)
            {
                obj.insert(w.clone(), json!(child.children[0].0));
            } else {
                obj.insert(w.clone(), child.json_value(Some(w)));
            }
        }
        Value::Object(obj)
    }
}

fn push_json(
    obj: &mut serde_json::Map<String, serde_json::Value>,
    key: &str,
    v: serde_json::Value,
) {
    match obj
        .entry(key.to_string())
        .or_insert_with(|| serde_json::Value::Array(Vec::new()))
    {
        serde_json::Value::Array(a) => a.push(v),
        other => *other = serde_json::Value::Array(vec![v]),
    }
}
