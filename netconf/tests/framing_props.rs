//! Property tests: framing round-trips whatever the read boundaries, and garbage never panics.

use bytes::BytesMut;
use netconf_wire::{Element, FrameCodec, Framing, Hello, Rpc, RpcReply};
use proptest::prelude::*;
use tokio_util::codec::{Decoder, Encoder};

fn message() -> impl Strategy<Value = Vec<u8>> {
    // Messages never contain the EOM marker (RFC 6242 forbids it in base:1.0 content).
    proptest::collection::vec(any::<u8>(), 1..600)
        .prop_filter("no EOM marker inside", |m| {
            !m.windows(6).any(|w| w == b"]]>]]>")
        })
        .prop_map(|mut m| {
            // Frames are trimmed of surrounding whitespace in EOM mode.
            m.insert(0, b'<');
            m.push(b'>');
            m
        })
}

fn round_trip(framing: Framing, msgs: &[Vec<u8>], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut enc = FrameCodec::default();
    enc.set_framing(framing);
    let mut wire = BytesMut::new();
    for m in msgs {
        enc.encode(m, &mut wire).unwrap();
    }
    let wire = wire.freeze();
    let mut dec = FrameCodec::default();
    dec.set_framing(framing);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut pos = 0;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (wire.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.push(wire.len());
    for c in cuts {
        if c <= pos {
            continue;
        }
        buf.extend_from_slice(&wire[pos..c]);
        pos = c;
        while let Some(f) = dec.decode(&mut buf).unwrap() {
            out.push(f.to_vec());
        }
    }
    assert!(dec.decode_eof(&mut buf).unwrap().is_none());
    out
}

proptest! {
    #[test]
    fn eom_round_trip_any_boundaries(msgs in proptest::collection::vec(message(), 1..5),
                                     cuts in proptest::collection::vec(any::<usize>(), 0..20)) {
        let msgs: Vec<Vec<u8>> = msgs.into_iter()
            .map(|m| m.into_iter().filter(|b| !b.is_ascii_whitespace()).collect())
            .collect();
        prop_assert_eq!(round_trip(Framing::EndOfMessage, &msgs, &cuts), msgs);
    }

    #[test]
    fn chunked_round_trip_any_boundaries(msgs in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..600), 1..5),
                                         cuts in proptest::collection::vec(any::<usize>(), 0..20)) {
        prop_assert_eq!(round_trip(Framing::Chunked, &msgs, &cuts), msgs);
    }

    #[test]
    fn garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..400), chunked in any::<bool>()) {
        let mut dec = FrameCodec::new(256);
        if chunked { dec.set_framing(Framing::Chunked); }
        let mut buf = BytesMut::from(&data[..]);
        for _ in 0..8 {
            match dec.decode(&mut buf) { Ok(Some(_)) => continue, _ => break }
        }
        let _ = dec.decode_eof(&mut buf);
        let _ = Element::parse(&data);
        let _ = Hello::parse(&data);
        let _ = Rpc::parse(&data);
        let _ = RpcReply::parse(&data);
    }
}
