//! A hostile router, on the SSH server core the simulator and the proxy share: each login
//! name makes it misbehave in one way (the names are [`CASES`]). Used by the suite's `hostile` tests and by the
//! `hostile-rss` binary, which measures the pool's memory against it in a process of its
//! own.

use std::sync::Arc;
use std::time::{Duration, Instant};

use junos_sim::sshd::{Credential, Gate, HeldChannel, Limits, Service, Stop};
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::{HashAlg, PrivateKey};
use russh::server::Msg;
use russh::{Channel, ChannelMsg};
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;

/// The login names, one per misbehaviour.
pub const CASES: [&str; 9] = [
    "endless",
    "huge-chunk",
    "deep-xml",
    "no-message-id",
    "wrong-message-id",
    "garbage",
    "close-mid-reply",
    "silent",
    "endless-exec",
];

/// One misbehaviour against `pool`: a NETCONF RPC, or for `endless-exec` a command.
pub async fn run_case(
    pool: &netpool::Pool,
    addr: std::net::SocketAddr,
    fingerprint: &str,
    user: &str,
) -> Result<(), netpool::Error> {
    let dev = netpool::Device::with_password(addr.ip().to_string(), addr.port(), user, "x")
        .with_host_keys([fingerprint.to_string()]);
    if user == "endless-exec" {
        return pool.cli(&dev, "show route").await.map(drop);
    }
    let mut g = pool.netconf(&dev).await?;
    g.rpc("<get-software-information/>").await.map(drop)
}

const HELLO_1_0: &str = "<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities><session-id>7</session-id></hello>]]>]]>";
const HELLO_1_1: &str = "<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability><capability>urn:ietf:params:netconf:base:1.1</capability></capabilities><session-id>7</session-id></hello>]]>]]>";

/// What the router does to a NETCONF session or an exec, chosen by the login name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Behaviour {
    /// After the hello, answers an RPC with bytes and no end.
    Endless,
    /// Negotiates base:1.1, then sends a 4 GiB chunk header.
    HugeChunk,
    /// Answers with XML nested 10^5 deep.
    DeepXml,
    /// Answers without a message-id.
    NoMessageId,
    /// Answers with another request's message-id.
    WrongMessageId,
    /// Sends garbage after the hello.
    Garbage,
    /// Sends half a reply, then closes the channel.
    CloseMidReply,
    /// Accepts the channel and the subsystem, and never says a word.
    Silent,
    /// Exec: output without end.
    EndlessExec,
}

impl Behaviour {
    fn from_user(u: &str) -> Option<Self> {
        Some(match u {
            "endless" => Self::Endless,
            "huge-chunk" => Self::HugeChunk,
            "deep-xml" => Self::DeepXml,
            "no-message-id" => Self::NoMessageId,
            "wrong-message-id" => Self::WrongMessageId,
            "garbage" => Self::Garbage,
            "close-mid-reply" => Self::CloseMidReply,
            "silent" => Self::Silent,
            "endless-exec" => Self::EndlessExec,
            _ => return None,
        })
    }
}

/// The hostile router on the simulator's SSH server core (`junos_sim::sshd`): any
/// password logs in a known name, and each channel misbehaves as its login name says.
#[derive(Default)]
struct Hostile {
    limits: Limits,
    gate: Gate,
}

impl Service for Hostile {
    type Stream = tokio::net::TcpStream;

    fn wrap(&self, sock: tokio::net::TcpStream) -> Self::Stream {
        sock
    }

    fn limits(&self) -> &Limits {
        &self.limits
    }

    fn gate(&self) -> &Gate {
        &self.gate
    }

    fn allows(&self, user: &str, _cred: Credential<'_>) -> bool {
        Behaviour::from_user(user).is_some()
    }

    fn channel(&self, user: &str, channel: Channel<Msg>, held: HeldChannel) {
        let b = Behaviour::from_user(user).expect("only known names log in");
        tokio::spawn(async move {
            misbehave(channel, b).await;
            drop(held);
        });
    }
}

/// Wait for the client's hello and its first rpc, returning the rpc's message-id.
async fn read_until_rpc(ch: &mut Channel<Msg>) -> Option<String> {
    let mut buf = String::new();
    loop {
        match ch.wait().await? {
            ChannelMsg::Data { data } => buf.push_str(&String::from_utf8_lossy(&data)),
            ChannelMsg::Eof | ChannelMsg::Close => return None,
            _ => {}
        }
        if let Some(i) = buf.find("message-id=\"") {
            let rest = &buf[i + 12..];
            if let Some(j) = rest.find('"') {
                return Some(rest[..j].to_string());
            }
        }
    }
}

async fn misbehave(mut ch: Channel<Msg>, b: Behaviour) {
    // The first request says what the channel is for.
    loop {
        match ch.wait().await {
            Some(ChannelMsg::RequestSubsystem { .. }) => break,
            Some(ChannelMsg::Exec { .. }) => {
                let mut w = ch.make_writer();
                let chunk = vec![b'x'; 64 * 1024];
                // Bounded in time: at most 30 s of output, then it stops by itself.
                let end = Instant::now() + Duration::from_secs(30);
                while Instant::now() < end && w.write_all(&chunk).await.is_ok() {}
                return;
            }
            Some(_) => {}
            None => return,
        }
    }
    if b == Behaviour::Silent {
        tokio::time::sleep(Duration::from_secs(30)).await;
        return;
    }
    let hello = if b == Behaviour::HugeChunk {
        HELLO_1_1
    } else {
        HELLO_1_0
    };
    let mut w = ch.make_writer();
    if w.write_all(hello.as_bytes()).await.is_err() {
        return;
    }
    if b == Behaviour::Garbage {
        let _ = w.write_all(b"\x00\x01garbage<<>>\xff]]>]]>").await;
        tokio::time::sleep(Duration::from_secs(30)).await;
        return;
    }
    let Some(id) = read_until_rpc(&mut ch).await else {
        return;
    };
    let open = format!(
        "<rpc-reply xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\" message-id=\"{id}\">"
    );
    match b {
        Behaviour::Endless => {
            let _ = w.write_all(open.as_bytes()).await;
            let chunk = "<output>more</output>".repeat(4096);
            let end = Instant::now() + Duration::from_secs(30);
            while Instant::now() < end && w.write_all(chunk.as_bytes()).await.is_ok() {}
        }
        Behaviour::HugeChunk => say_and_hang(&mut w, b"\n#4294967296\n".to_vec()).await,
        Behaviour::DeepXml => {
            let deep = format!("{open}{}]]>]]>", "<a>".repeat(100_000));
            say_and_hang(&mut w, deep.into_bytes()).await
        }
        Behaviour::NoMessageId => {
            let reply = "<rpc-reply xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><ok/></rpc-reply>]]>]]>";
            say_and_hang(&mut w, reply.as_bytes().to_vec()).await
        }
        Behaviour::WrongMessageId => {
            let reply = "<rpc-reply xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\" message-id=\"999999\"><ok/></rpc-reply>]]>]]>";
            say_and_hang(&mut w, reply.as_bytes().to_vec()).await
        }
        Behaviour::CloseMidReply => {
            let _ = w.write_all(open.as_bytes()).await;
            let _ = w.write_all(b"<software-information><host-na").await;
            let _ = w.flush().await;
            drop(w);
            let _ = ch.eof().await;
            let _ = ch.close().await;
        }
        _ => {}
    }
}

/// Send these bytes, then hold the channel open without a word more (for 30 s at most).
async fn say_and_hang(w: &mut (impl tokio::io::AsyncWrite + Unpin), bytes: Vec<u8>) {
    let _ = w.write_all(&bytes).await;
    tokio::time::sleep(Duration::from_secs(30)).await;
}

/// Start the hostile router on a free local port; returns its address and key.
pub async fn start_hostile() -> (std::net::SocketAddr, String) {
    let key = PrivateKey::from(Ed25519Keypair::from_seed(&[42u8; 32]));
    let fp = key.public_key().fingerprint(HashAlg::Sha256).to_string();
    let config = Arc::new(junos_sim::sshd::russh_config("hostile", key));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Never stopped: it lives as long as the test process.
    let stop = Stop {
        kill: CancellationToken::new(),
        halt: CancellationToken::new(),
        goodbye: "",
        linger: Duration::ZERO,
    };
    let hostile = Arc::new(Hostile::default());
    tokio::spawn(junos_sim::sshd::serve(hostile, listener, config, stop));
    (addr, fp)
}
