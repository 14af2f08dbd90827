//! OpenSSH's `ssh`: exec, the netconf subsystem, keys, rekeying.

use std::path::PathBuf;
use std::time::Duration;

use junos_sim::User;
use netpool_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Debian's openssh-client (ssh, ssh-keygen); .ci/run installs it"]
async fn openssh_exec_and_netconf_subsystem() {
    let dir = tempfile::tempdir().unwrap();
    let (key, fleet) = keyed_router(dir.path()).await;
    let r1 = &fleet.devices()[0];
    let ssh = |extra: &[&str]| ssh(&key, r1.addr().port(), None, extra);
    exec_output_and_status(&ssh, "ssh exec").await;

    let (hello, reply) = netconf_over(ssh(&["-s", "lab@127.0.0.1", "netconf"]), "42").await;
    assert!(hello.supports("http://xml.juniper.net/netconf/junos/1.0"));
    assert!(hello.session_id.is_some());
    assert_eq!(reply.message_id(), Some("42"));
    assert_eq!(host_name(&reply), Some("r1"));
}

/// The host name a `get-software-information` reply names.
pub(crate) fn host_name(reply: &netconf_wire::RpcReply) -> Option<&str> {
    reply
        .root
        .find(&["software-information", "host-name"])
        .map(|e| e.text.as_str())
}

/// OpenSSH renegotiating keys after every KiB (`RekeyLimit`) in a NETCONF session of six
/// RPCs, one at a time: key exchanges complete between them, each answered by the
/// router's server (which keeps no payloads of the last exchange: the vendored russh's
/// third change), and every reply arrives whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Debian's openssh-client (ssh, ssh-keygen); .ci/run installs it"]
async fn openssh_rekeys_again_and_again_in_one_netconf_session() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let (key, fleet) = keyed_router(dir.path()).await;
    let port = fleet.devices()[0].addr().port();
    let mut child = ssh(
        &key,
        port,
        None,
        &[
            "-v",
            "-o",
            "RekeyLimit=1K",
            "-s",
            "lab@127.0.0.1",
            "netconf",
        ],
    )
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut text = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let frames = |t: &[u8]| t.windows(6).filter(|w| w == b"]]>]]>").count();
    let hello = b"<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]>";
    stdin.write_all(hello).await.unwrap();
    for i in 1..=6 {
        let rpc = format!("<rpc message-id=\"{i}\"><get-route-information/></rpc>]]>]]>");
        stdin.write_all(rpc.as_bytes()).await.unwrap();
        while frames(&text) < i + 1 {
            let n = tokio::time::timeout(Duration::from_secs(20), stdout.read(&mut buf))
                .await
                .expect("a reply within 20 s")
                .unwrap();
            assert!(n > 0, "the session ended before reply {i}");
            text.extend_from_slice(&buf[..n]);
        }
    }
    stdin
        .write_all(b"<rpc message-id=\"bye\"><close-session/></rpc>]]>]]>")
        .await
        .unwrap();
    drop(stdin);
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("the session ends on close-session")
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    let done = log.matches("SSH2_MSG_NEWKEYS received").count();
    assert!(done >= 3, "{done} key exchanges completed: {log}");
    let text = String::from_utf8_lossy(&text).into_owned();
    let replies: Vec<&str> = text.split("]]>]]>").skip(1).map(str::trim).collect();
    for (i, r) in replies.iter().take(6).enumerate() {
        let reply = netconf_wire::RpcReply::parse(r.as_bytes()).unwrap();
        assert_eq!(reply.message_id(), Some((i + 1).to_string().as_str()));
        assert!(reply.root.find(&["route-information"]).is_some(), "{r}");
    }
}

/// One router whose user `lab` logs in with the password or with a key ssh-keygen makes
/// in `dir`: the private key's path and the fleet.
async fn keyed_router(dir: &std::path::Path) -> (PathBuf, junos_sim::Fleet) {
    let (key, public) = ssh_keygen(dir).await;
    let mut user = User::with_password(USER, PASSWORD);
    user.keys.push(public);
    (key, fleet_one(|c| c.users = vec![user]).await)
}

/// A new Ed25519 key pair made by ssh-keygen in `dir`: the private key's path and the
/// public key.
pub(crate) async fn ssh_keygen(dir: &std::path::Path) -> (PathBuf, russh::keys::PublicKey) {
    let key = dir.join("id_ed25519");
    let st = tokio::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .await
        .expect("ssh-keygen runs");
    assert!(st.success());
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let public = russh::keys::PublicKey::from_openssh(public.trim()).unwrap();
    (key, public)
}

/// OpenSSH's `ssh` in batch mode with `key`, to `port` on 127.0.0.1, then `extra`. With
/// `known_hosts`, the host key is checked strictly against that file; without, not at all.
pub(crate) fn ssh(
    key: &std::path::Path,
    port: u16,
    known_hosts: Option<&std::path::Path>,
    extra: &[&str],
) -> tokio::process::Command {
    let mut c = tokio::process::Command::new("ssh");
    c.args(["-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o"]);
    match known_hosts {
        Some(k) => c
            .arg("StrictHostKeyChecking=yes")
            .arg("-o")
            .arg(format!("UserKnownHostsFile={}", k.display())),
        None => c
            .arg("StrictHostKeyChecking=no")
            .args(["-o", "UserKnownHostsFile=/dev/null"]),
    };
    c.arg("-i")
        .arg(key)
        .args(["-p", &port.to_string()])
        .args(extra);
    c
}

/// Exec through `ssh`: `show version` prints router r1's output and exits 0; an unknown
/// command exits 1 with Junos's `syntax error` on stderr.
pub(crate) async fn exec_output_and_status(
    ssh: &impl Fn(&[&str]) -> tokio::process::Command,
    what: &str,
) {
    let out = ssh(&["lab@127.0.0.1", "show version | no-more"])
        .output()
        .await
        .unwrap();
    assert!(succeeded(what, &out).starts_with("Hostname: r1\n"));
    let out = ssh(&["lab@127.0.0.1", "show bogus"])
        .output()
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{what}: an unknown command exits 1 (the router's exit status)"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("syntax error"));
}

/// Speak NETCONF 1.0 through `ssh`'s stdin and stdout: hello, get-software-information
/// with message-id `id`, close-session (which must end the session, and be answered ok).
/// The server's hello and the reply.
pub(crate) async fn netconf_over(
    mut ssh: tokio::process::Command,
    id: &str,
) -> (netconf_wire::Hello, netconf_wire::RpcReply) {
    use tokio::io::AsyncWriteExt;
    let mut child = ssh
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]><rpc message-id=\"{id}\"><get-software-information/></rpc>]]>]]><rpc message-id=\"close\"><close-session/></rpc>]]>]]>").as_bytes())
        .await
        .unwrap();
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("the session ends on close-session")
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let frames: Vec<&str> = text
        .split("]]>]]>")
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    assert_eq!(frames.len(), 3, "{text}");
    let hello = netconf_wire::Hello::parse(frames[0].as_bytes()).unwrap();
    let reply = netconf_wire::RpcReply::parse(frames[1].as_bytes()).unwrap();
    assert!(netconf_wire::RpcReply::parse(frames[2].as_bytes())
        .unwrap()
        .is_ok());
    (hello, reply)
}
