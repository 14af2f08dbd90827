//! An unreachable host without root: a listener whose accept queue is full and never
//! drained, so further connects never complete (the kernel drops their SYNs) until the
//! client's own timeout.

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Keep it alive while in use.
#[derive(Debug)]
pub struct Blackhole {
    addr: SocketAddr,
    _fillers: Vec<TcpStream>,
    _sock: socket2::Socket,
}

impl Blackhole {
    /// Bind on 127.0.0.1 with a backlog of 0 and fill the queue.
    pub fn new() -> std::io::Result<Blackhole> {
        let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
        sock.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
        sock.listen(0)?;
        let addr = sock
            .local_addr()?
            .as_socket()
            .ok_or_else(|| std::io::Error::other("not an inet socket"))?;
        let mut fillers = Vec::new();
        for _ in 0..8 {
            match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                Ok(s) => fillers.push(s),
                Err(_) => break,
            }
        }
        tracing::info!(%addr, "fault: blackhole listening (accept queue full)");
        Ok(Blackhole {
            addr,
            _fillers: fillers,
            _sock: sock,
        })
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}
