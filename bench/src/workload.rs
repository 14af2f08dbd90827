//! Workloads: the seed workload of the design, or one read from a TOML file.

use serde::Deserialize;

/// One operation: a CLI command on one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    /// Index of the target device.
    pub target: usize,
    /// The command.
    pub command: String,
}

/// A list of operations and how to run them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// Name for reports.
    pub name: String,
    /// Operations in order (per-call and sequential modes run them in this order).
    pub ops: Vec<Op>,
    /// Concurrency cap of the parallel modes.
    pub concurrency: usize,
}

/// The seven commands of the seed workload (design.md), each with `| no-more`.
pub use junos_sim::commands::SEED_COMMANDS;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkloadFile {
    name: Option<String>,
    devices: Option<usize>,
    commands: Vec<String>,
    #[serde(default = "one")]
    repetitions: usize,
    concurrency: Option<usize>,
}

fn one() -> usize {
    1
}

impl Workload {
    /// The seed workload: every command on every router (router-major order, as a script
    /// that walks its inventory would run it).
    pub fn seed(routers: usize) -> Workload {
        Self::build(
            "seed".into(),
            routers,
            SEED_COMMANDS.iter().map(|s| s.to_string()).collect(),
            1,
            None,
        )
    }

    fn build(
        name: String,
        routers: usize,
        commands: Vec<String>,
        reps: usize,
        concurrency: Option<usize>,
    ) -> Workload {
        let mut ops = Vec::new();
        for _ in 0..reps {
            for target in 0..routers {
                for c in &commands {
                    ops.push(Op {
                        target,
                        command: c.clone(),
                    });
                }
            }
        }
        let n = ops.len();
        Workload {
            name,
            ops,
            concurrency: concurrency.unwrap_or(n).max(1),
        }
    }

    /// Read a workload file:
    /// ```toml
    /// name = "ospf-audit"      # optional
    /// devices = 5              # optional: defaults to every router
    /// commands = ["show ospf neighbor | no-more", "show route summary"]
    /// repetitions = 3          # optional, default 1
    /// concurrency = 16         # optional, default: all at once
    /// ```
    pub fn from_toml(path: &std::path::Path, routers: usize) -> Result<Workload, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let f: WorkloadFile =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if f.commands.is_empty() {
            return Err(format!("{}: commands is empty", path.display()));
        }
        let devices = f.devices.unwrap_or(routers);
        if devices == 0 || devices > routers {
            return Err(format!(
                "{}: devices = {devices}, but {routers} routers are available",
                path.display()
            ));
        }
        if f.repetitions == 0 {
            return Err(format!(
                "{}: repetitions must be at least 1",
                path.display()
            ));
        }
        let name = f.name.unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        Ok(Self::build(
            name,
            devices,
            f.commands,
            f.repetitions,
            f.concurrency,
        ))
    }

    /// How many targets the workload touches.
    pub fn targets(&self) -> usize {
        self.ops.iter().map(|o| o.target + 1).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_is_five_routers_by_seven_commands() {
        let w = Workload::seed(5);
        assert_eq!(w.ops.len(), 35);
        assert_eq!(w.targets(), 5);
        assert_eq!(
            w.ops[7],
            Op {
                target: 1,
                command: SEED_COMMANDS[0].into()
            }
        );
    }

    #[test]
    fn workload_file_errors_name_the_file() {
        let dir = std::env::temp_dir().join(format!("wl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("w.toml");
        std::fs::write(
            &p,
            "commands = [\"show version\"]\nrepetitions = 2\nconcurrency = 4\n",
        )
        .unwrap();
        let w = Workload::from_toml(&p, 3).unwrap();
        assert_eq!((w.ops.len(), w.concurrency), (6, 4));
        std::fs::write(&p, "commands = []\n").unwrap();
        assert!(Workload::from_toml(&p, 3).unwrap_err().contains("w.toml"));
        std::fs::write(&p, "comands = [\"x\"]\n").unwrap();
        assert!(Workload::from_toml(&p, 3)
            .unwrap_err()
            .contains("unknown field"));
    }
}
