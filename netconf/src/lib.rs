//! NETCONF over SSH on the wire, with no I/O policy of its own.
//!
//! - [`FrameCodec`]: RFC 6242 framing as a `tokio_util` codec, both base:1.0
//!   end-of-message (`]]>]]>`) and base:1.1 chunked framing, incremental and bounded.
//! - [`Element`]: a small XML element tree (quick-xml) that both the pool and the
//!   simulator use to read RPCs and replies.
//! - [`Hello`], [`Rpc`], [`RpcReply`], [`RpcError`]: the messages themselves.
//!
//! ```
//! use netconf_wire::{Hello, Rpc, RpcReply, BASE_1_0};
//!
//! let hello = Hello::server(vec![BASE_1_0.to_string()], 42);
//! let parsed = Hello::parse(hello.to_xml().as_bytes()).unwrap();
//! assert_eq!(parsed.session_id, Some(42));
//!
//! let rpc = Rpc::parse(br#"<rpc message-id="7"><get-software-information/></rpc>"#).unwrap();
//! assert_eq!(rpc.operation.name, "get-software-information");
//! let reply = RpcReply::ok_for(&rpc);
//! assert!(reply.to_xml().contains(r#"message-id="7""#));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod framing;
mod message;
mod relay;
mod xml;

pub use error::{FrameError, ParseError};
pub use framing::{FrameCodec, Framed, Framing, DEFAULT_MAX_FRAME, EOM, ONE_WRITE};
pub use message::{ErrorSeverity, Hello, Rpc, RpcError, RpcReply, BASE_1_0, BASE_1_1, NETCONF_NS};
pub use relay::{rewrite_head, set_message_id, Head, Rewritten};
pub use xml::{escape_text, unescape_text, Element, Keep};
