//! The routing engine as a host, each command's XML and text in one place: its files
//! (`file-list`, `file-show`: PyEZ's `HOME`, `iri_*` and `_is_linux` facts and its `FS`
//! utility read them), its commit revisions (`get-commit-revision-information`: NAPALM's
//! pending commit-confirm check), and commands sent into the forwarding engine
//! (`request-pfe-execute`: the published MCP server's `execute_junos_pfe_command` tool).
//!
//! The file system is a small fixed tree: the user's home, `/var/log`, `/var/tmp` and
//! `/etc/hosts.junos`. A path outside it is Junos's "No such file or directory"
//! (`file-list`) or "could not resolve file" (`file-show`).

use std::fmt::Write as _;

use netconf_wire::RpcError;

use super::xml::X;
use super::{one, output_element, Pieces};
use crate::spec::DeviceSpec;
use crate::state::DeviceState;

/// The home directory `~` names (the fleet's user's).
const HOME: &str = "/var/home/lab/";

/// Directories and their entries (a trailing `/` marks a directory).
const DIRS: &[(&str, &[&str])] = &[
    (HOME, &[".cshrc", ".ssh/"]),
    ("/var/home/lab/.ssh/", &[]),
    (
        "/var/log/",
        &["chassisd", "interactive-commands", "messages"],
    ),
    ("/var/tmp/", &[]),
    ("/etc/", &["hosts.junos"]),
];

/// The routing instances' internal addresses a vMX lists in `/etc/hosts.junos`.
const HOSTS_JUNOS: &str = "#\n# Internal hosts of the routing engine and line cards\n#\n128.0.0.1\tmaster re0\n128.0.0.4\tre1\n128.0.0.16\tfpc0\n128.0.0.17\tfpc1\n";

/// A path as Junos resolves it: `~` is the home, a relative path is under it.
fn resolve(path: &str) -> String {
    let path = path.trim();
    if path == "~" || path.is_empty() {
        return HOME.into();
    }
    if let Some(rest) = path.strip_prefix("~/") {
        return format!("{HOME}{rest}");
    }
    if path.starts_with('/') {
        path.into()
    } else {
        format!("{HOME}{path}")
    }
}

/// The directory `path` names, with its trailing `/`.
fn dir(path: &str) -> Option<(&'static str, &'static [&'static str])> {
    let with_slash = if path.ends_with('/') {
        path.to_string()
    } else {
        format!("{path}/")
    };
    DIRS.iter().copied().find(|(d, _)| *d == with_slash)
}

/// Whether `path` is a file of the tree.
fn is_file(path: &str) -> bool {
    let (parent, name) = path.rsplit_once('/').unwrap_or(("", path));
    dir(&format!("{parent}/")).is_some_and(|(_, entries)| entries.contains(&name))
}

/// A file's contents.
fn contents(path: &str, spec: &DeviceSpec, state: &DeviceState) -> String {
    let host = state.host_name(spec);
    match path {
        "/etc/hosts.junos" => HOSTS_JUNOS.into(),
        "/var/home/lab/.cshrc" => "set prompt = \"%m> \"\nset history = 100\n".into(),
        "/var/log/messages" => format!(
            "Nov 18 18:33:12  {host} newsyslog[1234]: logfile turned over due to size>1024K\nNov 18 18:35:40  {host} rpd[2001]: RPD_OSPF_NBRUP: OSPF neighbor up\nNov 18 18:40:02  {host} mgd[2310]: UI_COMMIT: User 'lab' requested 'commit' operation\n"
        ),
        "/var/log/interactive-commands" => format!(
            "Nov 18 18:40:02  {host} mgd[2310]: UI_CMDLINE_READ_LINE: User 'lab', command 'show version '\n"
        ),
        "/var/log/chassisd" => "Nov 18 18:33:20 CHASSISD_IFDEV_DETACH_FPC: ifdev_detach_fpc(0)\n".into(),
        _ => String::new(),
    }
}

/// `file-list` was asked for a path outside the tree, or `file-show` for a file that
/// is not one.
fn could_not_resolve(path: &str) -> Box<RpcError> {
    Box::new(
        RpcError::new(
            "application",
            "operation-failed",
            format!("could not resolve file: {path}"),
        )
        .with_info("bad-element", path.to_string()),
    )
}

/// Check `file-show`'s file: it must be a file of the tree.
pub(super) fn check_file_show(filename: Option<&str>) -> Result<String, Box<RpcError>> {
    let Some(name) = filename.map(str::trim).filter(|n| !n.is_empty()) else {
        return Err(missing("filename"));
    };
    let path = resolve(name);
    if is_file(&path) {
        Ok(path)
    } else {
        Err(could_not_resolve(name))
    }
}

/// A mandatory argument is missing.
pub(super) fn missing(what: &str) -> Box<RpcError> {
    Box::new(
        RpcError::new("protocol", "missing-element", "missing mandatory argument")
            .with_info("bad-element", what.to_string()),
    )
}

/// A listed entry: the name shown, whether it is a directory, its size.
type Entry = (String, bool, usize);

/// `file-list [detail] path P` / `file list [detail] P`: a directory's entries, or one
/// file's; for a path that is not there, the `<output>` Junos answers with (PyEZ's
/// `FS.ls` and `FS.stat` read it as "no such path").
pub(crate) fn file_list(
    path: &str,
    detail: bool,
    spec: &DeviceSpec,
    state: &DeviceState,
    xml: bool,
) -> Pieces {
    let path = resolve(path);
    let booted = crate::clock::unix_secs(state.booted);
    let entries: Option<(Option<&str>, Vec<Entry>)> = if let Some((d, names)) = dir(&path) {
        let list = names
            .iter()
            .map(|n| match n.strip_suffix('/') {
                Some(sub) => (sub.to_string(), true, 512),
                None => (
                    n.to_string(),
                    false,
                    contents(&format!("{d}{n}"), spec, state).len(),
                ),
            })
            .collect();
        Some((Some(d), list))
    } else if is_file(&path) {
        Some((
            None,
            vec![(path.clone(), false, contents(&path, spec, state).len())],
        ))
    } else {
        None
    };
    if !xml {
        let Some((_, list)) = entries else {
            return one(format!("{path}: No such file or directory\n"));
        };
        let mut s = format!("{path}:\n");
        for (name, is_dir, size) in &list {
            if detail {
                let perms = if *is_dir { "drwxr-xr-x" } else { "-rw-r--r--" };
                let _ = writeln!(
                    s,
                    "{perms}  2 lab   staff  {size:>8} Nov 18 18:33 {name}{}",
                    if *is_dir { "/" } else { "" }
                );
            } else {
                let _ = writeln!(s, "{name}{}", if *is_dir { "/" } else { "" });
            }
        }
        return one(s);
    }
    let mut x = X::default();
    x.raw(&format!(
        "<directory-list root-path=\"{}\">\n",
        netconf_wire::escape_text(&path)
    ));
    let Some((name, list)) = entries else {
        x.raw(&output_element(&format!(
            "ls: {path}: No such file or directory\n"
        )));
        return x.done("directory-list");
    };
    match name {
        Some(d) => x.raw(&format!("<directory name=\"{d}\">\n")),
        None => x.raw("<directory>\n"),
    };
    for (file, is_dir, size) in &list {
        x.open("file-information").leaf("file-name", file);
        if detail {
            let (text, mode) = if *is_dir {
                ("drwxr-xr-x", 755)
            } else {
                ("-rw-r--r--", 644)
            };
            x.leaf_attr("file-permissions", "format", text, mode)
                .leaf("file-links", 2)
                .leaf("file-owner", "lab")
                .leaf("file-group", "staff")
                .leaf("file-size", size)
                .leaf_attr("file-date", "format", "Nov 18 18:33", booted);
        }
        if *is_dir {
            x.flag("file-directory");
        }
        x.close("file-information");
    }
    if name.is_some() {
        x.leaf("total-files", list.len());
    }
    x.close("directory");
    x.done("directory-list")
}

/// `file-show filename F` / `file show F`: the file's contents.
pub(crate) fn file_show(path: &str, spec: &DeviceSpec, state: &DeviceState, xml: bool) -> Pieces {
    let text = contents(path, spec, state);
    if !xml {
        return one(text);
    }
    one(format!(
        "<file-content filename=\"{}\">\n{}</file-content>\n",
        netconf_wire::escape_text(path),
        netconf_wire::escape_text(&text)
    ))
}

/// `get-commit-revision-information [detail]` / `show system commit revision [detail]`:
/// the running configuration's revision; with `detail`, when and by whom it was
/// committed, and its comment (Junos writes "commit confirmed, rollback in Nmins" there
/// while a `commit confirmed` awaits confirmation).
pub(crate) fn commit_revision(state: &DeviceState, detail: bool, xml: bool) -> Pieces {
    // The running revision: when it was committed (the boot before any commit), by whom.
    let secs = state.changed_at();
    let (user, client, comment) = match state.commits.last() {
        Some(c) => (
            c.user.clone(),
            c.client,
            state.confirm_note().or(c.comment.clone()),
        ),
        None => ("root".into(), "other", None),
    };
    let revision = state.revision();
    if !xml {
        let mut s = format!("Revision: {revision}\n");
        if detail {
            let _ = writeln!(
                s,
                "Date: {}\nUser: {user}\nClient: {client}",
                crate::clock::junos_time(secs)
            );
            if let Some(c) = &comment {
                let _ = writeln!(s, "Comment: {c}");
            }
        }
        return one(s);
    }
    let mut x = X::with_ns("commit-revision-information", "junos-commit", None);
    if detail {
        x.leaf_attr(
            "date-time",
            "junos:seconds",
            secs,
            crate::clock::junos_time(secs),
        )
        .leaf("user", user)
        .leaf("client", client);
    }
    x.leaf("revision", revision);
    if detail {
        if let Some(c) = comment {
            x.leaf("comment", c);
        }
    }
    x.done("commit-revision-information")
}

/// `request-pfe-execute target T command C` / `request pfe execute target T command C`:
/// the line card shell's answer, in the `SENT:` / `GOT:` form Junos relays it in.
pub(crate) fn pfe_execute(
    command: &str,
    spec: &DeviceSpec,
    state: &DeviceState,
    xml: bool,
) -> Pieces {
    let got: String = match command.trim() {
        "show pfe statistics traffic" => super::engine::pfe_statistics(spec, state, false).collect(),
        "show jnh 0 pool summary" => "                Name        Size      Allocs        Fails       %\n      US      NH       2097152      118456            0      5\n      US      FW       1048576        8210            0      0\n      EDMEM overall   16777216      126666            0      1\n".into(),
        "show nhdb summary" => format!(
            "  Total number of NH = {}\n",
            spec.interfaces().iter().filter(|i| i.up).count() * 4 + 12
        ),
        other => format!("Invalid command: '{other}'\n"),
    };
    let mut s = format!("SENT: Ukern command: {}\n\n", command.trim());
    for line in got.lines() {
        let _ = writeln!(s, "GOT: {line}");
    }
    s.push_str("LOCAL: End of file\n");
    if xml {
        one(output_element(&s))
    } else {
        one(s)
    }
}

/// Check `request-pfe-execute`'s target: a vMX has one line card, `fpc0`.
pub(super) fn check_pfe_target(target: Option<&str>) -> Result<(), Box<RpcError>> {
    match target.map(str::trim) {
        None | Some("") => Err(missing("target")),
        Some("fpc0") => Ok(()),
        Some(other) => Err(Box::new(
            RpcError::new(
                "application",
                "operation-failed",
                format!("target {other} is not online (this vMX has fpc0)"),
            )
            .with_info("bad-element", other.to_string()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_from_the_home_and_the_tree_holds_what_facts_read() {
        assert_eq!(resolve("~"), HOME);
        assert_eq!(resolve("~/.cshrc"), "/var/home/lab/.cshrc");
        assert_eq!(resolve(".cshrc"), "/var/home/lab/.cshrc");
        assert!(is_file("/etc/hosts.junos"));
        assert!(is_file("/var/log/messages"));
        assert!(!is_file("/var/log"), "a directory is not a file");
        assert!(dir("/var/log").is_some() && dir("/var/log/").is_some());
        // PyEZ's _is_linux fact asks for the EVO version file: not on Junos.
        assert!(check_file_show(Some("/usr/share/cevo/cevo_version")).is_err());
        assert!(check_file_show(None).is_err());
        assert!(check_pfe_target(Some("fpc0")).is_ok());
        assert!(check_pfe_target(Some("fpc1")).is_err());
    }
}
