//! The RPC table: each RPC's arguments as Junos 21.4R1 publishes them (generated from
//! the YANG `junos/rpc` modules by `tools/junos-schema/gen.py`).

use std::sync::OnceLock;

/// The RPC table, as committed (generated from `junos/rpc`; see its header).
const RPC_TABLE: &str = include_str!("../../schema/rpc.schema");

/// One argument of an RPC, from the `input` of its YANG `rpc`.
#[derive(Debug)]
pub struct RpcArg {
    /// The argument's element name.
    pub name: Box<str>,
    /// A flag (`<terse/>`) rather than an element with a value.
    pub flag: bool,
    /// The values of an enumerated argument. Junos also takes each as a flag of its own
    /// (`level` is `extensive|statistics|media`: `<extensive/>` is how clients send it).
    pub enums: Box<[Box<str>]>,
}

/// The arguments of the RPC `name` as Junos 21.4R1 publishes them; `None` for an RPC
/// the table does not know.
pub fn rpc_args(name: &str) -> Option<&'static [RpcArg]> {
    static RPCS: OnceLock<std::collections::HashMap<&'static str, Vec<RpcArg>>> = OnceLock::new();
    let table = RPCS.get_or_init(|| {
        let mut out = std::collections::HashMap::new();
        let mut cur: Option<(&'static str, Vec<RpcArg>)> = None;
        for line in RPC_TABLE.lines() {
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            if let Some(n) = line.strip_prefix('=') {
                if let Some((k, v)) = cur.take() {
                    out.insert(k, v);
                }
                cur = Some((n, Vec::new()));
                continue;
            }
            let mut words = line.split_whitespace();
            let (Some(kind), Some(name), Some((_, args))) =
                (words.next(), words.next(), cur.as_mut())
            else {
                continue;
            };
            let enums = words
                .find_map(|w| w.strip_prefix('='))
                .map(|e| e.split('|').map(Into::into).collect())
                .unwrap_or_default();
            args.push(RpcArg {
                name: name.into(),
                flag: kind.starts_with('f'),
                enums,
            });
        }
        if let Some((k, v)) = cur {
            out.insert(k, v);
        }
        out
    });
    table.get(name).map(Vec::as_slice)
}

/// Whether the RPC `rpc` takes the argument element `arg`: one of its arguments, or a
/// value of one of its enumerated arguments sent as a flag.
pub fn rpc_takes(rpc: &str, arg: &str) -> bool {
    rpc_args(rpc).is_some_and(|args| {
        args.iter()
            .any(|a| &*a.name == arg || a.enums.iter().any(|e| &**e == arg))
    })
}

/// Whether `w` can be written as an XML element name.
pub fn is_xml_name(w: &str) -> bool {
    let mut chars = w.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}
