//! One module per `netlab` subcommand, and what they share.

pub mod bench;
pub mod calibrate;
pub mod chaos;
pub mod scale;
pub mod sim;
pub mod validate;

use std::path::Path;

use netpool_bench::Target;

use crate::inventory::Inventory;

/// PASS in green and FAIL in red when stdout is a terminal.
pub fn paint(verdict: &str) -> String {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return verdict.to_string();
    }
    let code = if verdict == "PASS" { 32 } else { 31 };
    format!("\x1b[{code}m{verdict:<7}\x1b[0m")
}

/// Write `value` as pretty JSON to `path`; errors name the file.
pub fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Real devices from an inventory as bench targets (no simulator counters to read).
pub fn real_targets(inv: &Inventory) -> Vec<Target> {
    inv.devices
        .iter()
        .map(|d| Target {
            device: d.device.clone(),
            sim: None,
        })
        .collect()
}
