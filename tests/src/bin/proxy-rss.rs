//! `netlab proxy`'s peak memory against clients nobody controls: a benchmark, not a test.
//!
//! Starts one simulated router in this process and, for each case, a fresh `netlab proxy`
//! process in front of it, then reads the proxy's resident set from `/proc`:
//! - `one`: one client sends one maximal message (just under `--max-message`);
//! - `many`: N clients each send one maximal message at once;
//! - `idle`: M clients log in, open a NETCONF session, exchange hellos and stay idle.
//!
//! Prints, per case, the proxy's resident set before, its peak (VmHWM) or, for idle clients,
//! its resident set with all of them connected, and the goal of issue 22: peak growth under
//! 2x the message cap per message in flight, under 20 KiB per idle client connection.
//!
//! Usage: `proxy-rss [--netlab PATH] [--cap BYTES] [--clients N] [--idle M] [CASE...]`
//! (defaults: `netlab` beside this binary, 16 MiB, 100, 10000, every case). Build it in
//! release for the figures: `cargo run --release -p netpool-tests --bin proxy-rss`.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use netchaos::status_kib;
use netpool_tests::AnyKey;
use russh::client::{self, Handle, Msg};
use russh::{Channel, ChannelMsg};
use tokio::sync::Semaphore;

const PROXY_PASSWORD: &str = "proxy-rss-pw";
const HELLO: &[u8] = b"<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]>";
const EOM: &[u8] = b"]]>]]>";

struct Args {
    netlab: PathBuf,
    cap: usize,
    clients: usize,
    idle: usize,
    cases: Vec<String>,
}

fn args() -> Result<Args, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut a = Args {
        netlab: exe.with_file_name("netlab"),
        cap: 16 << 20,
        clients: 100,
        idle: 10_000,
        cases: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--netlab" => a.netlab = value("--netlab")?.into(),
            "--cap" => a.cap = number(&value("--cap")?)?,
            "--clients" => a.clients = number(&value("--clients")?)?,
            "--idle" => a.idle = number(&value("--idle")?)?,
            "one" | "many" | "idle" => a.cases.push(arg),
            other => return Err(format!("unknown argument {other:?}; usage: proxy-rss [--netlab PATH] [--cap BYTES] [--clients N] [--idle M] [one|many|idle ...]")),
        }
    }
    if a.cases.is_empty() {
        a.cases = vec!["one".into(), "many".into(), "idle".into()];
    }
    Ok(a)
}

fn number(s: &str) -> Result<usize, String> {
    s.parse().map_err(|_| format!("{s:?} is not a count"))
}

/// The proxy's resident memory (KiB) once `what` has settled for two seconds.
async fn settled_rss(pid: u32, what: &str, t: Instant) -> u64 {
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (kib, _) = rss_kib(pid);
    eprintln!("idle: {what} after {:.1?}", t.elapsed());
    kib
}

/// `VmRSS` and `VmHWM` of process `pid`, in KiB.
fn rss_kib(pid: u32) -> (u64, u64) {
    let pid = pid.to_string();
    (status_kib(&pid, "VmRSS"), status_kib(&pid, "VmHWM"))
}

/// A `netlab proxy` process; killed when dropped.
struct ProxyProcess {
    child: netpool_tests::Reaped,
    addr: std::net::SocketAddr,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

async fn start_proxy(a: &Args, inventory: &std::path::Path, dir: &std::path::Path) -> ProxyProcess {
    let port = free_port();
    let conns = (a.idle.max(a.clients) + 100).to_string();
    let child = Command::new(&a.netlab)
        .args(["proxy", "--inventory"])
        .arg(inventory)
        .args(["--first-port", &port.to_string(), "--host-key"])
        .arg(dir.join("host-key"))
        .args(["--max-message", &a.cap.to_string()])
        .args(["--max-connections", &conns])
        .env("NETLAB_PROXY_PASSWORD", PROXY_PASSWORD)
        .env("NETLAB_SIM_PASSWORD", netpool_tests::PASSWORD)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", a.netlab.display()));
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "the proxy never listened on {addr}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ProxyProcess {
        child: netpool_tests::Reaped(child),
        addr,
    }
}

/// A logged-in SSH client, no channel yet.
async fn logged_in(addr: std::net::SocketAddr) -> Result<Handle<AnyKey>, String> {
    let cfg = Arc::new(client::Config {
        nodelay: true,
        ..Default::default()
    });
    let mut h = client::connect(cfg, addr, AnyKey)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let ok = h
        .authenticate_password(netpool_tests::USER, PROXY_PASSWORD)
        .await
        .map_err(|e| format!("login: {e}"))?;
    if !ok.success() {
        return Err("login refused".into());
    }
    Ok(h)
}

/// A NETCONF session on `h` whose hellos are exchanged.
async fn netconf_session(h: &Handle<AnyKey>) -> Result<Channel<Msg>, String> {
    let mut ch = h
        .channel_open_session()
        .await
        .map_err(|e| format!("channel: {e}"))?;
    ch.request_subsystem(true, "netconf")
        .await
        .map_err(|e| format!("subsystem: {e}"))?;
    read_message(&mut ch).await?;
    ch.data(HELLO).await.map_err(|e| format!("hello: {e}"))?;
    Ok(ch)
}

/// A logged-in client with a NETCONF session whose hellos are exchanged.
async fn netconf_client(
    addr: std::net::SocketAddr,
) -> Result<(Handle<AnyKey>, Channel<Msg>), String> {
    let h = logged_in(addr).await?;
    let ch = netconf_session(&h).await?;
    Ok((h, ch))
}

/// One end-of-message framed message from the channel.
async fn read_message(ch: &mut Channel<Msg>) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    loop {
        if let Some(at) = buf.windows(EOM.len()).position(|w| w == EOM) {
            buf.truncate(at);
            return Ok(buf);
        }
        match tokio::time::timeout(Duration::from_secs(300), ch.wait()).await {
            Err(_) => return Err("no message within 300 s".into()),
            Ok(Some(ChannelMsg::Data { data })) => buf.extend_from_slice(&data),
            Ok(Some(ChannelMsg::Eof | ChannelMsg::Close) | None) => {
                return Err(format!("channel closed after {} bytes", buf.len()))
            }
            Ok(Some(_)) => {}
        }
    }
}

/// An RPC of `size` bytes with its framing: a small operation whose comment fills it.
fn maximal_message(size: usize, id: usize) -> Vec<u8> {
    let head = format!("<rpc message-id=\"{id}\"><get-software-information/><!-- ");
    let tail = " --></rpc>";
    let pad = size.saturating_sub(head.len() + tail.len() + EOM.len());
    let mut m = Vec::with_capacity(size);
    m.extend_from_slice(head.as_bytes());
    m.resize(head.len() + pad, b'x');
    m.extend_from_slice(tail.as_bytes());
    m.extend_from_slice(EOM);
    m
}

/// Send one maximal message and read its reply; the reply must be an `<rpc-reply>`.
async fn send_maximal(addr: std::net::SocketAddr, size: usize, id: usize) -> Result<(), String> {
    let (_h, mut ch) = netconf_client(addr).await?;
    ch.data(&maximal_message(size, id)[..])
        .await
        .map_err(|e| format!("send: {e}"))?;
    let reply = read_message(&mut ch).await?;
    let text = String::from_utf8_lossy(&reply);
    if !text.contains("<rpc-reply") || text.contains("<rpc-error") {
        return Err(format!(
            "unexpected reply: {}",
            &text[..text.len().min(300)]
        ));
    }
    Ok(())
}

struct Row {
    case: String,
    before_kib: u64,
    after_kib: u64,
    per: String,
    goal: String,
    met: bool,
}

async fn case_messages(a: &Args, px: &ProxyProcess, n: usize, name: &str) -> Row {
    let size = a.cap - 1024;
    let pid = px.child.0.id();
    let (before, _) = rss_kib(pid);
    let t = Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|i| tokio::spawn(send_maximal(px.addr, size, i)))
        .collect();
    all_ok("maximal messages", tasks).await;
    let (_, peak) = rss_kib(pid);
    let growth = peak.saturating_sub(before);
    let per_msg = growth as f64 / n as f64 / (a.cap as f64 / 1024.0);
    eprintln!("{name}: {n} x {size} bytes answered in {:.1?}", t.elapsed());
    Row {
        case: format!(
            "{name}: {n} client(s), one {} MiB message each",
            a.cap >> 20
        ),
        before_kib: before,
        after_kib: peak,
        per: format!("{per_msg:.2}x cap per message"),
        goal: "< 2x cap".into(),
        met: per_msg < 2.0,
    }
}

/// Wait for every task; the failures, named, fail the run.
async fn all_ok<T>(what: &str, tasks: Vec<tokio::task::JoinHandle<Result<T, String>>>) -> Vec<T> {
    let n = tasks.len();
    let mut ok = Vec::with_capacity(n);
    let mut failed = Vec::new();
    for t in tasks {
        match t.await.expect("client task") {
            Ok(v) => ok.push(v),
            Err(e) => failed.push(e),
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {n} {what} failed: {:?}",
        failed.len(),
        &failed[..failed.len().min(3)]
    );
    ok
}

/// Idle clients: logged in (handshakes 50 at a time, under the proxy's MaxStartups), then
/// each with a NETCONF session whose hellos are exchanged. Past the upstream sessions, a
/// client's hello waits for a lease (FIFO, up to the checkout timeout): those waits
/// overlap. Two rows: per logged-in connection, and per idle NETCONF session on top.
async fn case_idle(a: &Args, px: &ProxyProcess) -> [Row; 2] {
    let pid = px.child.0.id();
    let (before, _) = rss_kib(pid);
    let t = Instant::now();
    let gate = Arc::new(Semaphore::new(50));
    let tasks: Vec<_> = (0..a.idle)
        .map(|_| {
            let gate = gate.clone();
            let addr = px.addr;
            tokio::spawn(async move {
                let _turn = gate.acquire().await.expect("open semaphore");
                logged_in(addr).await
            })
        })
        .collect();
    let handles: Vec<Arc<Handle<AnyKey>>> = all_ok("logins", tasks)
        .await
        .into_iter()
        .map(Arc::new)
        .collect();
    let logged = settled_rss(pid, &format!("{} clients logged in", handles.len()), t).await;
    let tasks: Vec<_> = handles
        .iter()
        .map(|h| {
            let h = h.clone();
            tokio::spawn(async move { netconf_session(&h).await })
        })
        .collect();
    let channels = all_ok("NETCONF sessions", tasks).await;
    let sessions = settled_rss(pid, &format!("{} NETCONF sessions", channels.len()), t).await;
    drop(channels);
    drop(handles);
    let row = |case: String, after_kib: u64| {
        let per = after_kib.saturating_sub(before) as f64 / a.idle as f64;
        Row {
            case,
            before_kib: before,
            after_kib,
            per: format!("{per:.1} KiB per client"),
            goal: "< 20 KiB".into(),
            met: per < 20.0,
        }
    };
    [
        row(
            format!("idle: {} logged-in SSH connections, no channel", a.idle),
            logged,
        ),
        row(
            "idle: the same with a NETCONF session each (hellos exchanged)".into(),
            sessions,
        ),
    ]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("proxy-rss: {e}");
            std::process::exit(2);
        }
    };
    let nofile = netlab::limits::raise_nofile();
    if a.cases.iter().any(|c| c == "idle") && (nofile.soft as usize) < a.idle + 200 {
        eprintln!(
            "proxy-rss: {} idle clients need {} descriptors; the limit is {}",
            a.idle,
            a.idle + 200,
            nofile.soft
        );
        std::process::exit(2);
    }
    let fleet = netpool_tests::fleet(1).await;
    let dir = tempfile_dir();
    let inventory = dir.join("fleet.toml");
    std::fs::write(
        &inventory,
        netlab::inventory::for_fleet(&fleet, "NETLAB_SIM_PASSWORD"),
    )
    .expect("inventory written");
    let mut rows = Vec::new();
    for case in &a.cases {
        let px = start_proxy(&a, &inventory, &dir).await;
        // Warm: the upstream session exists and the first client's costs are paid.
        send_maximal(px.addr, 1024, 0)
            .await
            .expect("a small message through the fresh proxy");
        match case.as_str() {
            "one" => rows.push(case_messages(&a, &px, 1, "one").await),
            "many" => rows.push(case_messages(&a, &px, a.clients, "many").await),
            _ => rows.extend(case_idle(&a, &px).await),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "| case | proxy RSS before (KiB) | peak or now (KiB) | growth | goal | met |\n|---|---|---|---|---|---|"
    );
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            r.case,
            r.before_kib,
            r.after_kib,
            r.per,
            r.goal,
            if r.met { "yes" } else { "NO" }
        );
    }
}

fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("proxy-rss-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("a temporary directory");
    d
}
