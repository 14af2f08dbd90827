//! Route helpers shared by the route commands' parsers and renderers.

use crate::spec::{DeviceSpec, Route};

pub(crate) fn nh(r: &Route) -> String {
    if r.next_hop.is_unspecified() {
        "rslv".into()
    } else {
        r.next_hop.to_string()
    }
}

/// Whether a `table` argument names the one table the simulator has.
pub(crate) fn table_matches(table: &Option<String>) -> bool {
    table.as_deref().is_none_or(|t| t == "inet.0")
}

/// Whether a route is of the `protocol` asked for (any when none is).
pub(crate) fn proto_matches(r: &Route, protocol: &Option<String>) -> bool {
    protocol
        .as_deref()
        .is_none_or(|p| r.protocol.eq_ignore_ascii_case(p))
}

/// How many routes `inet.0` holds: the synthetic ones, two per up interface, two more.
pub(crate) fn route_total(spec: &DeviceSpec) -> usize {
    spec.route_count as usize + 2 * spec.interfaces().iter().filter(|i| i.up).count() + 2
}
