//! The configuration as Junos's JSON (`format="json"`), written and loaded by the
//! schema: containers as objects, list entries as arrays of objects holding their keys,
//! a leaf as a string, a leaf-list as an array of strings, a flag or bare presence
//! container as `[null]`.

use serde_json::{json, Map, Value};

use super::{finish, place, ConfigTree, LoadError, Node};
use crate::schema::{self, schema, Kind, Sid, Step, MAX_WORDS, ROOT};

impl ConfigTree {
    /// The configuration as Junos's JSON: `{"configuration": {...}}`.
    pub fn to_json(&self) -> String {
        let mut root = Map::new();
        root.insert("configuration".into(), object(&self.children));
        Value::Object(root).to_string()
    }

    /// Load Junos's JSON (`{"configuration": {...}}`, or the inner object), merging.
    pub fn load_json(&mut self, text: &str) -> Result<(), Vec<LoadError>> {
        let v: Value = serde_json::from_str(text).map_err(|e| {
            vec![LoadError::new(
                format!("syntax error: JSON: {e}"),
                None,
                None,
            )]
        })?;
        let body = match v.get("configuration") {
            Some(c) => c,
            None => &v,
        };
        let Value::Object(members) = body else {
            return Err(vec![LoadError::new(
                "syntax error: JSON configuration is not an object".into(),
                None,
                None,
            )]);
        };
        let mut errors = Vec::new();
        load_members(&mut self.children, ROOT, members, 0, &mut errors);
        finish(errors)
    }
}

fn object(children: &[Node]) -> Value {
    let mut obj = Map::new();
    for node in children {
        let s = node.stmt();
        let name = s.name.to_string();
        let v = match s.kind {
            Kind::Leaf => json!(node.keys.first().cloned().unwrap_or_default()),
            Kind::Flag => json!([null]),
            Kind::Presence if node.children.is_empty() => json!([null]),
            Kind::Container if node.children.is_empty() => continue,
            Kind::Container | Kind::Presence => object(&node.children),
            Kind::LeafList => {
                push(
                    &mut obj,
                    name,
                    json!(node.keys.first().cloned().unwrap_or_default()),
                );
                continue;
            }
            Kind::List => {
                let mut entry = Map::new();
                for (k, v) in s.keys.iter().zip(&node.keys) {
                    entry.insert(k.to_string(), json!(v));
                }
                if let Value::Object(rest) = object(&node.children) {
                    entry.extend(rest);
                }
                push(&mut obj, name, Value::Object(entry));
                continue;
            }
        };
        obj.insert(name, v);
    }
    Value::Object(obj)
}

fn push(obj: &mut Map<String, Value>, key: String, v: Value) {
    match obj.entry(key).or_insert_with(|| Value::Array(Vec::new())) {
        Value::Array(a) => a.push(v),
        other => *other = Value::Array(vec![v]),
    }
}

/// A JSON scalar as Junos's text (`"64512"`, `64512` and `true` all load).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn load_members(
    children: &mut Vec<Node>,
    parent: Sid,
    members: &Map<String, Value>,
    depth: usize,
    errors: &mut Vec<LoadError>,
) {
    let sc = schema();
    for (name, v) in members {
        // Junos's JSON carries attributes as `@name` members; they are not statements.
        if name.starts_with('@') {
            continue;
        }
        let bad = |errors: &mut Vec<LoadError>, message: String| {
            errors.push(LoadError::new(message, Some(name.clone()), None));
        };
        if depth > MAX_WORDS {
            return bad(errors, "syntax error: configuration nested too deep".into());
        }
        let Some(sid) = sc.child(parent, name) else {
            bad(errors, "syntax error".into());
            continue;
        };
        let s = sc.get(sid);
        match (s.kind, v) {
            (Kind::Flag, Value::Array(_) | Value::Null) => {
                place(children, parent, &Step { sid, keys: vec![] });
            }
            // A leaf is one scalar; a leaf-list an array of them (or one).
            (Kind::Leaf | Kind::LeafList, v) => {
                let items: Vec<&Value> = match v {
                    Value::Array(a) if s.kind == Kind::LeafList => a.iter().collect(),
                    one => vec![one],
                };
                for item in items {
                    let Some(text) = scalar(item) else {
                        bad(errors, format!("syntax error, expecting <{name}>"));
                        continue;
                    };
                    match schema::check_value(s, &text) {
                        Ok(()) => {
                            place(
                                children,
                                parent,
                                &Step {
                                    sid,
                                    keys: vec![text],
                                },
                            );
                        }
                        Err(m) => bad(errors, m),
                    }
                }
            }
            (Kind::Container | Kind::Presence, Value::Object(inner)) => {
                let node = place(children, parent, &Step { sid, keys: vec![] });
                load_members(&mut node.children, sid, inner, depth + 1, errors);
                if s.kind == Kind::Container {
                    children.retain(|c| c.sid != sid || !c.children.is_empty());
                }
            }
            (Kind::Presence, Value::Array(_) | Value::Null) => {
                place(children, parent, &Step { sid, keys: vec![] });
            }
            (Kind::List, v) => {
                let entries: Vec<&Value> = match v {
                    Value::Array(a) => a.iter().collect(),
                    one => vec![one],
                };
                for e in entries {
                    let Value::Object(fields) = e else {
                        bad(errors, format!("syntax error, expecting <{name}> entries"));
                        continue;
                    };
                    let keys: Option<Vec<String>> = s
                        .keys
                        .iter()
                        .map(|k| fields.get(&**k).and_then(scalar))
                        .collect();
                    let Some(keys) = keys else {
                        bad(errors, format!("syntax error, expecting <{name}> keys"));
                        continue;
                    };
                    let rest: Map<String, Value> = fields
                        .iter()
                        .filter(|(k, _)| !s.keys.iter().any(|key| **key == **k))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    let node = place(children, parent, &Step { sid, keys });
                    load_members(&mut node.children, sid, &rest, depth + 1, errors);
                }
            }
            _ => bad(
                errors,
                format!("syntax error: unexpected JSON for <{name}>"),
            ),
        }
    }
}
