//! `show configuration`: the running configuration at a path, in each of its views.

use super::Pipe;
use crate::state::DeviceState;

pub(crate) fn config_at(state: &DeviceState, path: &[String]) -> crate::junos_config::ConfigTree {
    // `show configuration system | display xml` shows that subtree, rooted.
    state.running.subtree(path)
}

/// `show configuration [PATH]` as text, with its configuration pipes: `display set`,
/// `display json`, `display inheritance` and `compare rollback N`. Without them, the
/// statements inside the level, as Junos prints them.
pub(crate) fn configuration_text(state: &DeviceState, path: &[String], pipes: &[Pipe]) -> String {
    let inherited;
    let tree = if pipes.contains(&Pipe::DisplayInheritance) {
        inherited = state.running.inherited();
        &inherited
    } else {
        &*state.running
    };
    if let Some(n) = pipes.iter().find_map(|p| match p {
        Pipe::CompareRollback(n) => Some(*n),
        _ => None,
    }) {
        let Some(old) = state.rollback(n) else {
            return format!("error: rollback {n} does not exist\n");
        };
        let diff = old.subtree(path).compare(&tree.subtree(path));
        return diff.iter().map(|l| format!("{l}\n")).collect();
    }
    if pipes.contains(&Pipe::DisplaySet) {
        let lines = tree.subtree(path).to_set_lines();
        return lines.iter().map(|l| format!("{l}\n")).collect();
    }
    if pipes.contains(&Pipe::DisplayJson) {
        return format!("{}\n", tree.subtree(path).to_json());
    }
    let (sid, level) = tree.level(path);
    level.to_text_at(sid)
}
