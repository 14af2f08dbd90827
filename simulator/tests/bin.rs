//! The `junos-sim` binary as a container or a user runs it: it lists its routers, serves SSH
//! on the addresses it lists, stops cleanly on SIGTERM (what `docker stop` and Kubernetes
//! send), and refuses bad arguments with an error that names them. These tests also make
//! `cargo test` build the binary, which CI's container images reuse.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn junos_sim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_junos-sim"))
}

/// Kills the child if a test fails before it stops it.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "junos-sim did not exit within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn lists_its_routers_serves_ssh_on_them_and_stops_on_sigterm() {
    let child = junos_sim()
        .args(["--routers", "2", "--first-port", "0", "--routes", "10"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("junos-sim starts");
    let mut sim = Running(child);
    let mut out = BufReader::new(sim.0.stdout.take().expect("stdout"));
    let mut routers = Vec::new();
    loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).expect("read stdout") > 0,
            "junos-sim ended before serving; it printed {routers:?}"
        );
        if line.starts_with("serving") {
            assert_eq!(
                line.trim(),
                "serving 2 routers (profile instant); Ctrl-C to stop"
            );
            break;
        }
        routers.push(line.trim().to_string());
    }
    assert_eq!(routers.len(), 2, "{routers:?}");
    for (i, line) in routers.iter().enumerate() {
        let mut words = line.split(' ');
        assert_eq!(words.next(), Some(format!("r{}", i + 1).as_str()), "{line}");
        let addr = words.next().expect("an address").split(',').next().unwrap();
        assert!(
            line.contains("user=lab password=lab123 hostkey=SHA256:"),
            "{line}"
        );
        let mut conn = TcpStream::connect(addr).expect("the listed address accepts");
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut banner = [0u8; 8];
        conn.read_exact(&mut banner).expect("an SSH version line");
        assert_eq!(&banner, b"SSH-2.0-", "{line}");
    }
    let pid = sim.0.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = wait_exit(&mut sim.0, Duration::from_secs(10));
    assert!(status.success(), "SIGTERM should be a clean stop: {status}");
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert!(
        rest.lines().any(|l| l.starts_with("r1 {")) && rest.ends_with("stopped\n"),
        "the counters, then `stopped`: {rest:?}"
    );
}

#[test]
fn bad_arguments_are_errors_that_name_them() {
    for (args, says) in [
        (
            &["--profile", "nope"][..],
            "--profile: unknown profile \"nope\" (instant, vmx)",
        ),
        (
            &["--shards", "2", "--first-index", "2"][..],
            "shard index 2 is not below --shards 2",
        ),
        (
            &["--per-device-ip", "--listen", "::1"][..],
            "--per-device-ip needs an IPv4 --listen",
        ),
    ] {
        let out = junos_sim()
            .args(args)
            .env_remove("JUNOS_SIM_INDEX")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
