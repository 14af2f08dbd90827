//! RFC 6242 framing.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::FrameError;

/// The base:1.0 end-of-message marker.
pub const EOM: &[u8] = b"]]>]]>";

/// Default maximum size of one message: 64 MiB (a full Junos route table in XML fits).
pub const DEFAULT_MAX_FRAME: usize = 64 * 1024 * 1024;

/// Largest chunk size RFC 6242 allows (2^32 - 1).
const MAX_CHUNK: u64 = 4_294_967_295;

/// Which framing a NETCONF session uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// base:1.0: each message is followed by `]]>]]>`.
    EndOfMessage,
    /// base:1.1: `\n#<size>\n<data>` chunks ended by `\n##\n`.
    Chunked,
}

#[derive(Debug)]
enum ChunkState {
    /// Expecting `\n#<size>\n` or `\n##\n`.
    Header,
    /// Inside a chunk with this many bytes left.
    Data(usize),
}

/// A codec that cuts a byte stream into NETCONF messages and frames outgoing ones.
///
/// Sessions start in [`Framing::EndOfMessage`] (hellos always use it) and switch
/// with [`FrameCodec::set_framing`] once both hellos announce base:1.1.
#[derive(Debug)]
pub struct FrameCodec {
    framing: Framing,
    max_frame: usize,
    /// EOM: how far the buffer has been scanned for the marker.
    scanned: usize,
    /// Chunked: the message being assembled.
    assembled: BytesMut,
    chunk: ChunkState,
}

impl Default for FrameCodec {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_FRAME)
    }
}

impl FrameCodec {
    /// A codec in end-of-message framing with the given message size limit.
    pub fn new(max_frame: usize) -> Self {
        Self {
            framing: Framing::EndOfMessage,
            max_frame,
            scanned: 0,
            assembled: BytesMut::new(),
            chunk: ChunkState::Header,
        }
    }

    /// The framing in force.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// Switch framing (after the hello exchange). Bytes already buffered are
    /// decoded with the new framing.
    pub fn set_framing(&mut self, framing: Framing) {
        self.framing = framing;
        self.scanned = 0;
        self.assembled.clear();
        self.chunk = ChunkState::Header;
    }

    /// The maximum message size.
    pub fn max_frame(&self) -> usize {
        self.max_frame
    }

    fn decode_eom(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        if self.scanned == 0 {
            // Whitespace between messages (many peers send a newline after `]]>]]>`) is
            // dropped at once rather than kept as the start of the next message: frames
            // are trimmed anyway, and an idle session then holds no stray bytes.
            let ws = src.iter().take_while(|b| b.is_ascii_whitespace()).count();
            src.advance(ws);
        }
        let start = self.scanned.saturating_sub(EOM.len() - 1);
        if let Some(pos) = find(&src[start..], EOM) {
            let end = start + pos;
            // A whole message can arrive in one read: its delimiter being here already
            // does not make it small enough.
            if end > self.max_frame {
                return Err(FrameError::TooLarge {
                    max: self.max_frame,
                });
            }
            let frame = src.split_to(end);
            src.advance(EOM.len());
            self.scanned = 0;
            return Ok(Some(trim_ascii(frame.freeze())));
        }
        if src.len() > self.max_frame + EOM.len() {
            return Err(FrameError::TooLarge {
                max: self.max_frame,
            });
        }
        self.scanned = src.len();
        Ok(None)
    }

    fn decode_chunked(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        loop {
            match self.chunk {
                ChunkState::Data(left) => {
                    if src.is_empty() {
                        return Ok(None);
                    }
                    let take = left.min(src.len());
                    self.assembled.extend_from_slice(&src[..take]);
                    src.advance(take);
                    self.chunk = if take == left {
                        ChunkState::Header
                    } else {
                        ChunkState::Data(left - take)
                    };
                }
                ChunkState::Header => {
                    // Between messages, peers may leave whitespace (the newline many send after
                    // the end-of-message marker of their hello): skip it up to a header.
                    if self.assembled.is_empty() {
                        while !src.is_empty() && src[0].is_ascii_whitespace() {
                            if src[0] == b'\n' {
                                match src.get(1) {
                                    Some(b'#') => break,
                                    None => return Ok(None),
                                    Some(_) => {}
                                }
                            }
                            src.advance(1);
                        }
                    }
                    // Shortest header is "\n##\n" (4 bytes); longest "\n#4294967295\n" (13).
                    if src.len() < 4 {
                        return Ok(None);
                    }
                    if src[0] != b'\n' || src[1] != b'#' {
                        return Err(FrameError::BadChunkHeader(preview(src)));
                    }
                    if src[2] == b'#' {
                        if src[3] != b'\n' {
                            return Err(FrameError::BadChunkHeader(preview(src)));
                        }
                        src.advance(4);
                        if self.assembled.is_empty() {
                            return Err(FrameError::BadChunkHeader(
                                "end-of-chunks marker without any chunk".into(),
                            ));
                        }
                        let frame = std::mem::take(&mut self.assembled).freeze();
                        return Ok(Some(frame));
                    }
                    let digits_end = match src[2..].iter().position(|b| !b.is_ascii_digit()) {
                        Some(p) => 2 + p,
                        None if src.len() > 13 => {
                            return Err(FrameError::BadChunkHeader(preview(src)))
                        }
                        None => return Ok(None),
                    };
                    if src[digits_end] != b'\n' || digits_end == 2 || src[2] == b'0' {
                        return Err(FrameError::BadChunkHeader(preview(src)));
                    }
                    let size: u64 = std::str::from_utf8(&src[2..digits_end])
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .filter(|n| *n >= 1 && *n <= MAX_CHUNK)
                        .ok_or_else(|| FrameError::BadChunkHeader(preview(src)))?;
                    if self.assembled.len() as u64 + size > self.max_frame as u64 {
                        return Err(FrameError::TooLarge {
                            max: self.max_frame,
                        });
                    }
                    src.advance(digits_end + 1);
                    self.chunk = ChunkState::Data(size as usize);
                }
            }
        }
    }
}

impl Decoder for FrameCodec {
    type Item = Bytes;
    type Error = FrameError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        match self.framing {
            Framing::EndOfMessage => self.decode_eom(src),
            Framing::Chunked => self.decode_chunked(src),
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        if let Some(frame) = self.decode(src)? {
            return Ok(Some(frame));
        }
        let pending =
            self.assembled.len() + src.iter().filter(|b| !b.is_ascii_whitespace()).count();
        if pending == 0 {
            src.clear();
            Ok(None)
        } else {
            Err(FrameError::Truncated(pending))
        }
    }
}

impl FrameCodec {
    /// Frame one part of a message that is streamed in pieces (a large reply).
    /// Call [`FrameCodec::encode_end`] after the last part. Unlike `encode`, this does not
    /// look for `]]>]]>` in base:1.0 parts: the caller streams text it wrote itself.
    pub fn encode_part(&self, part: &[u8], dst: &mut BytesMut) {
        match self.framing {
            Framing::EndOfMessage => dst.put_slice(part),
            Framing::Chunked => {
                if !part.is_empty() {
                    dst.reserve(part.len() + 16);
                    dst.put_slice(format!("\n#{}\n", part.len()).as_bytes());
                    dst.put_slice(part);
                }
            }
        }
    }

    /// End a message streamed with [`FrameCodec::encode_part`].
    pub fn encode_end(&self, dst: &mut BytesMut) {
        match self.framing {
            Framing::EndOfMessage => {
                dst.put_slice(EOM);
                dst.put_u8(b'\n');
            }
            Framing::Chunked => dst.put_slice(b"\n##\n"),
        }
    }
}

/// The framing around a message written as parts ([`FrameCodec::frame_parts`]): write
/// `prefix`, then every part as it is, then `suffix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framed {
    /// Before the first part (a chunk header, or nothing).
    pub prefix: Vec<u8>,
    /// After the last part (the end-of-message delimiter, or the end of chunks).
    pub suffix: &'static [u8],
}

impl FrameCodec {
    /// Frame a message given as consecutive parts (a rewritten head and the rest of a
    /// relayed document) without copying them: the same checks as `encode` (size, and
    /// `]]>]]>` in base:1.0, also across the seams between parts), then what to write
    /// around the parts. Chunked framing sends the message as one chunk.
    pub fn frame_parts(&self, parts: &[&[u8]]) -> Result<Framed, FrameError> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len > self.max_frame {
            return Err(FrameError::TooLarge {
                max: self.max_frame,
            });
        }
        Ok(match self.framing {
            Framing::EndOfMessage => {
                if let Some(at) = find_across(parts, EOM) {
                    return Err(FrameError::DelimiterInMessage { at });
                }
                Framed {
                    prefix: Vec::new(),
                    suffix: b"]]>]]>\n",
                }
            }
            Framing::Chunked => Framed {
                prefix: if len == 0 {
                    Vec::new()
                } else {
                    format!("\n#{len}\n").into_bytes()
                },
                suffix: b"\n##\n",
            },
        })
    }
}

/// Messages up to this size are written as one buffer (one SSH packet, as a small
/// message always went); larger ones are written where they lie, part by part.
pub const ONE_WRITE: usize = 64 * 1024;

impl Framed {
    /// Write the framed message: `prefix`, the parts, `suffix`. A small message is joined
    /// first and written at once; a large one is not copied. Not flushed.
    pub async fn write_to<W>(&self, w: &mut W, parts: &[&[u8]]) -> std::io::Result<()>
    where
        W: tokio::io::AsyncWrite + Unpin,
    {
        use tokio::io::AsyncWriteExt;
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len <= ONE_WRITE {
            let mut buf = Vec::with_capacity(self.prefix.len() + len + self.suffix.len());
            buf.extend_from_slice(&self.prefix);
            parts.iter().for_each(|p| buf.extend_from_slice(p));
            buf.extend_from_slice(self.suffix);
            return w.write_all(&buf).await;
        }
        w.write_all(&self.prefix).await?;
        for part in parts {
            w.write_all(part).await?;
        }
        w.write_all(self.suffix).await
    }
}

/// Where `needle` first occurs in the concatenation of `parts` (which are not copied).
fn find_across(parts: &[&[u8]], needle: &[u8]) -> Option<usize> {
    let mut offset = 0;
    // The last bytes seen, for a needle that straddles a seam.
    let mut tail: Vec<u8> = Vec::with_capacity(2 * needle.len());
    for part in parts {
        let lead = &part[..part.len().min(needle.len() - 1)];
        let mut seam = tail.clone();
        seam.extend_from_slice(lead);
        if let Some(at) = find(&seam, needle) {
            return Some(offset - tail.len() + at);
        }
        if let Some(at) = find(part, needle) {
            return Some(offset + at);
        }
        offset += part.len();
        tail.extend_from_slice(&part[part.len().saturating_sub(needle.len() - 1)..]);
        let cut = tail.len().saturating_sub(needle.len() - 1);
        tail.drain(..cut);
    }
    None
}

impl<T: AsRef<[u8]>> Encoder<T> for FrameCodec {
    type Error = FrameError;

    fn encode(&mut self, item: T, dst: &mut BytesMut) -> Result<(), FrameError> {
        let msg = item.as_ref();
        if msg.len() > self.max_frame {
            return Err(FrameError::TooLarge {
                max: self.max_frame,
            });
        }
        if self.framing == Framing::EndOfMessage {
            if let Some(at) = find(msg, EOM) {
                return Err(FrameError::DelimiterInMessage { at });
            }
        }
        dst.reserve(msg.len() + 24);
        self.encode_part(msg, dst);
        self.encode_end(dst);
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim_ascii(mut b: Bytes) -> Bytes {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    b.advance(start);
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(0, |p| p + 1);
    b.truncate(end);
    b
}

fn preview(src: &[u8]) -> String {
    let n = src.len().min(16);
    format!("{:?}", String::from_utf8_lossy(&src[..n]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_1_0_refuses_a_message_holding_the_delimiter() {
        // A visible operation with a hidden one after "]]>]]>" inside a comment: framed as
        // it is, the peer would run the second as a message of its own.
        let smuggled = b"<rpc message-id=\"1\"><get-software-information/><!-- ]]>]]><rpc><lock/></rpc> --></rpc>";
        let mut eom = FrameCodec::default();
        let mut buf = BytesMut::new();
        let e = eom.encode(&smuggled[..], &mut buf).unwrap_err();
        assert!(
            matches!(e, FrameError::DelimiterInMessage { at: 52 }),
            "{e:?}"
        );
        assert!(e.to_string().contains("not sent"), "{e}");
        assert!(buf.is_empty(), "nothing framed");
        // Chunked framing carries it safely (the length says where the message ends).
        chunked(1 << 20).encode(&smuggled[..], &mut buf).unwrap();
        assert_eq!(
            chunked(1 << 20).decode(&mut buf).unwrap().unwrap(),
            &smuggled[..]
        );
        // A lone "]]>" (legal in text) is fine in base:1.0.
        eom.encode(&b"<a>]]></a>"[..], &mut buf).unwrap();
    }

    /// A codec switched to chunked framing (as after a base:1.1 hello), `max` bytes a message.
    fn chunked(max: usize) -> FrameCodec {
        let mut c = FrameCodec::new(max);
        c.set_framing(Framing::Chunked);
        c
    }

    /// `input` decodes to `expected` with chunked framing however the reads split it.
    fn assert_chunked_decodes(input: &[u8], expected: &[&[u8]]) {
        for step in 1..input.len() {
            let got = decode_all(&mut chunked(1 << 20), input, step);
            assert_eq!(got, expected, "reads of {step} bytes");
        }
    }

    fn decode_all(codec: &mut FrameCodec, input: &[u8], step: usize) -> Vec<Bytes> {
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for piece in input.chunks(step.max(1)) {
            buf.extend_from_slice(piece);
            while let Some(f) = codec.decode(&mut buf).unwrap() {
                out.push(f);
            }
        }
        out
    }

    #[test]
    fn eom_delimiter_split_across_reads() {
        let input = b"<a/>]]>]]><b/>\n]]>]]>";
        for step in 1..input.len() {
            let mut c = FrameCodec::default();
            let frames = decode_all(&mut c, input, step);
            assert_eq!(
                frames,
                vec![Bytes::from_static(b"<a/>"), Bytes::from_static(b"<b/>")]
            );
        }
    }

    #[test]
    fn framing_parts_finds_the_delimiter_across_seams_and_frames_as_encode_does() {
        let eom = FrameCodec::new(1 << 20);
        for split in 0..=6 {
            let (a, b) = b"]]>]]>".split_at(split);
            let parts: [&[u8]; 3] = [b"<rpc>x", a, b];
            let r = eom.frame_parts(&parts);
            assert!(
                matches!(r, Err(FrameError::DelimiterInMessage { at: 6 })),
                "split at {split}: {r:?}"
            );
        }
        let clean: [&[u8]; 2] = [b"<rpc message-id=\"1\">", b"<x/>]]></rpc>"];
        let f = eom.frame_parts(&clean).unwrap();
        let mut by_parts = f.prefix.clone();
        clean.iter().for_each(|p| by_parts.extend_from_slice(p));
        by_parts.extend_from_slice(f.suffix);
        let mut encoded = BytesMut::new();
        let mut enc = FrameCodec::new(1 << 20);
        enc.encode(clean.concat(), &mut encoded).unwrap();
        assert_eq!(by_parts, encoded.to_vec());
        // Chunked: one chunk, decoded back to the message.
        let mut chunked = chunked(1 << 20);
        let f = chunked.frame_parts(&clean).unwrap();
        let mut wire = BytesMut::from(&f.prefix[..]);
        clean.iter().for_each(|p| wire.extend_from_slice(p));
        wire.extend_from_slice(f.suffix);
        let got = chunked.decode(&mut wire).unwrap().unwrap();
        assert_eq!(&got[..], &clean.concat()[..]);
        let small = FrameCodec::new(8);
        assert!(matches!(
            small.frame_parts(&clean),
            Err(FrameError::TooLarge { .. })
        ));
    }

    #[test]
    fn chunked_several_chunks_make_one_message() {
        assert_chunked_decodes(
            b"\n#4\n<rpc\n#8\n message\n##\n\n#3\n<x/\n#1\n>\n##\n",
            &[b"<rpc message", b"<x/>"],
        );
    }

    #[test]
    fn whitespace_between_chunked_messages_is_skipped() {
        // The hello went out with end-of-message framing and a trailing newline.
        assert_chunked_decodes(b"\n\r\n\n#4\n<ok/\n##\n \n\n#1\nx\n##\n", &[b"<ok/", b"x"]);
    }

    #[test]
    fn whitespace_after_an_end_of_message_frame_is_consumed() {
        // An idle session must hold no stray bytes: the pool's zero-cost liveness check
        // relies on an empty read buffer.
        let mut c = FrameCodec::default();
        let mut buf = BytesMut::from(&b"<hello/>]]>]]>"[..]);
        assert_eq!(
            c.decode(&mut buf).unwrap(),
            Some(Bytes::from_static(b"<hello/>"))
        );
        buf.extend_from_slice(b"\r\n \n");
        assert_eq!(c.decode(&mut buf).unwrap(), None);
        assert!(buf.is_empty(), "{buf:?}");
        buf.extend_from_slice(b"\n<rpc-reply/>]]>]]>");
        assert_eq!(
            c.decode(&mut buf).unwrap(),
            Some(Bytes::from_static(b"<rpc-reply/>"))
        );
    }

    #[test]
    fn chunk_header_errors_are_named() {
        for bad in [
            &b"\n#0\n"[..],
            b"\n#x\n",
            b"#4\nabcd",
            b"\n##\n",
            b"\n#99999999999\n",
        ] {
            let mut buf = BytesMut::from(bad);
            assert!(
                matches!(
                    chunked(1 << 20).decode(&mut buf),
                    Err(FrameError::BadChunkHeader(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn oversize_frames_are_refused_in_both_framings() {
        let mut c = FrameCodec::new(16);
        let mut buf = BytesMut::from(&[b'x'; 64][..]);
        assert!(matches!(
            c.decode(&mut buf),
            Err(FrameError::TooLarge { max: 16 })
        ));
        // Delimited, and whole in one buffer: one byte over is still over.
        let mut c = FrameCodec::new(16);
        let mut buf = BytesMut::from(&b"0123456789abcdefg]]>]]>"[..]);
        assert!(matches!(
            c.decode(&mut buf),
            Err(FrameError::TooLarge { max: 16 })
        ));
        let mut buf = BytesMut::from(&b"0123456789abcdef]]>]]>"[..]);
        assert_eq!(
            &c.decode(&mut buf).unwrap().unwrap()[..],
            b"0123456789abcdef"
        );

        let mut buf = BytesMut::from(&b"\n#10\n0123456789\n#10\n"[..]);
        assert!(matches!(
            chunked(16).decode(&mut buf),
            Err(FrameError::TooLarge { max: 16 })
        ));
    }

    #[test]
    fn eof_inside_a_message_is_truncated() {
        let mut c = FrameCodec::default();
        let mut buf = BytesMut::from(&b"<rpc>"[..]);
        assert!(matches!(
            c.decode_eof(&mut buf),
            Err(FrameError::Truncated(5))
        ));
        let mut buf = BytesMut::from(&b"\n  \n"[..]);
        assert!(c.decode_eof(&mut buf).unwrap().is_none());
    }
}
