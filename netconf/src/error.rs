use thiserror::Error;

/// A framing error: the byte stream cannot be cut into NETCONF messages.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum FrameError {
    /// A message grew past the configured maximum before it ended.
    #[error("NETCONF frame exceeds the maximum of {max} bytes")]
    TooLarge {
        /// The configured maximum, in bytes.
        max: usize,
    },
    /// A chunk header (`\n#<size>\n`) or end-of-chunks marker (`\n##\n`) was malformed.
    #[error("malformed NETCONF chunk header: {0}")]
    BadChunkHeader(String),
    /// A base:1.0 message holds the end-of-message delimiter `]]>]]>` (in a comment, a
    /// CDATA section or text): framed as it is, the peer would read what follows the
    /// delimiter as another message. The message is refused, never sent.
    #[error("the message holds \"]]>]]>\" at byte {at}, which base:1.0 framing cannot carry (the peer would read the rest as another message); not sent")]
    DelimiterInMessage {
        /// Byte offset of the delimiter in the message.
        at: usize,
    },
    /// The stream ended in the middle of a message.
    #[error("NETCONF stream ended inside a message ({0} bytes pending)")]
    Truncated(usize),
    /// The underlying transport failed.
    #[error("NETCONF transport I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// A message could be framed, but its XML is not a NETCONF message we understand.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// The XML itself is malformed.
    #[error("malformed XML at byte {position}: {reason}")]
    Xml {
        /// Byte offset where the parser stopped.
        position: u64,
        /// What the parser said.
        reason: String,
    },
    /// The document is well formed but is not the element expected.
    #[error("expected <{expected}>, found <{found}>")]
    UnexpectedElement {
        /// The element that was expected.
        expected: &'static str,
        /// The element that was found.
        found: String,
    },
    /// A required part is missing.
    #[error("missing {0}")]
    Missing(&'static str),
    /// A value could not be read.
    #[error("invalid {what}: {value:?}")]
    Invalid {
        /// What was being read.
        what: &'static str,
        /// The offending value.
        value: String,
    },
}
