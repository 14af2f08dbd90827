//! Property tests: framing round-trips whatever the read boundaries, and garbage never panics.

use bytes::BytesMut;
use netconf_wire::{Element, FrameCodec, Framing, Hello, Rpc, RpcReply};
use proptest::prelude::*;
use tokio_util::codec::{Decoder, Encoder};

/// A byte that is often `]` or `>`: content that comes near the end-of-message marker
/// (`]]>]]` , `]]>]`, `]]]>]]>`-like runs) without being it.
fn near_marker_byte() -> impl Strategy<Value = u8> {
    prop_oneof![3 => Just(b']'), 2 => Just(b'>'), 1 => any::<u8>()]
}

fn message() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(near_marker_byte(), 1..600)
        .prop_map(|m| {
            // Frames are trimmed of surrounding whitespace in EOM mode: none inside here,
            // and a `<` / `>` at each end.
            let mut v = vec![b'<'];
            v.extend(m.into_iter().filter(|b| !b.is_ascii_whitespace()));
            v.push(b'>');
            v
        })
        // Messages never contain the EOM marker (RFC 6242 forbids it in base:1.0
        // content), nor end so that they and the marker make an earlier one (`<]]>` then
        // `]]>]]>`): base:1.0 framing is ambiguous there, and well-formed XML never ends
        // that way (`]]>` cannot end a document).
        .prop_filter("no EOM marker inside or across the boundary", |m| {
            let mut w = m.clone();
            w.extend_from_slice(b"]]>]]>");
            w.windows(6).position(|x| x == b"]]>]]>") == Some(m.len())
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

/// A chunked wire written by hand: each message split into chunks of the given sizes.
fn chunked_wire(msgs: &[Vec<u8>], sizes: &[usize]) -> Vec<u8> {
    let mut wire = Vec::new();
    let mut k = 0;
    for m in msgs {
        let mut rest = &m[..];
        while !rest.is_empty() {
            let n = sizes[k % sizes.len()].clamp(1, rest.len());
            k += 1;
            wire.extend_from_slice(format!("\n#{n}\n").as_bytes());
            wire.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
        }
        wire.extend_from_slice(b"\n##\n");
    }
    wire
}

/// Pieces of a hostile chunked stream: valid chunks, headers with any digits, lone end
/// markers, truncated headers and stray bytes.
fn hostile_piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 1..40).prop_map(|d| {
            let mut v = format!("\n#{}\n", d.len()).into_bytes();
            v.extend(d);
            v
        }),
        "[0-9]{1,12}".prop_map(|n| format!("\n#{n}\n").into_bytes()),
        Just(b"\n##\n".to_vec()),
        Just(b"\n#".to_vec()),
        Just(b"\n#0\n".to_vec()),
        Just(b"]]>]]>".to_vec()),
        proptest::collection::vec(any::<u8>(), 1..20),
    ]
}

proptest! {
    #[test]
    fn chunked_messages_of_several_chunks_reassemble(
        msgs in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..300), 1..4),
        sizes in proptest::collection::vec(1usize..64, 1..8),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
    ) {
        let wire = chunked_wire(&msgs, &sizes);
        let mut dec = FrameCodec::default();
        dec.set_framing(Framing::Chunked);
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (wire.len() + 1)).collect();
        cuts.sort_unstable();
        cuts.push(wire.len());
        let mut pos = 0;
        for c in cuts {
            if c <= pos { continue; }
            buf.extend_from_slice(&wire[pos..c]);
            pos = c;
            while let Some(f) = dec.decode(&mut buf).unwrap() {
                out.push(f.to_vec());
            }
        }
        prop_assert_eq!(out, msgs);
    }

    #[test]
    fn a_hostile_chunked_stream_gets_errors_never_panics_or_oversize_frames(
        pieces in proptest::collection::vec(hostile_piece(), 1..30),
    ) {
        let mut dec = FrameCodec::new(256);
        dec.set_framing(Framing::Chunked);
        let mut buf = BytesMut::new();
        'feed: for p in &pieces {
            buf.extend_from_slice(p);
            loop {
                match dec.decode(&mut buf) {
                    Ok(Some(f)) => prop_assert!(f.len() <= 256, "frame of {} bytes", f.len()),
                    Ok(None) => break,
                    Err(_) => break 'feed, // a typed error: the session would end here
                }
            }
        }
    }

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
