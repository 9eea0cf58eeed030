//! Our LZ4 decoder against liblz4 on real and on corrupted streams: on
//! every stream liblz4 decodes, ours gives the same bytes (whole and
//! partial decodes); on corrupted ones it returns, never panics (host
//! tests run with overflow checks and debug assertions), and never
//! claims more output than asked.

use erofs_inspect::bench::{liblz4_decode, lz4hc_pclusters, Pcluster};
use std::path::Path;

/// Real bytes of several kinds, the same on every run: the committed
/// seed images (metadata, tables, binary data) and the format core's
/// sources (text), as 4 KiB and 64 KiB pclusters.
fn corpus() -> Vec<Pcluster> {
    let mut data = Vec::new();
    let format = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fs/erofs_rs/format");
    for dir in [format.join("tests/images"), format] {
        let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files.iter().filter(|f| f.extension().is_some_and(|x| x == "rs" || x == "img")) {
            data.extend(std::fs::read(f).unwrap());
        }
    }
    // Runs and short periods (offsets below 16), which real text lacks.
    for period in 1..20u8 {
        data.extend((0..3000u32).map(|i| (i % period as u32) as u8 ^ period));
    }
    let mut pcs = lz4hc_pclusters(&data, 4096);
    pcs.extend(lz4hc_pclusters(&data, 65536));
    pcs
}

#[test]
fn equals_liblz4_on_real_streams() {
    let (mut ours, mut theirs) = (vec![0u8; 65536], vec![0u8; 65536]);
    for p in corpus() {
        let n = erofs_format::lz4::decompress(&p.stream, &mut ours[..p.len], false).expect("valid stream");
        assert_eq!((n, liblz4_decode(&p, &mut theirs)), (p.len, p.len));
        assert!(ours[..n] == theirs[..n]);
        // Partial decodes of every length class stop where asked.
        for cut in [1, 15, 16, 17, 63, 64, 65, 1000, p.len / 2, p.len - 1] {
            if cut == 0 || cut >= p.len {
                continue;
            }
            let mut part = vec![0u8; cut];
            assert_eq!(erofs_format::lz4::decompress(&p.stream, &mut part, true), Ok(cut));
            assert!(part[..] == theirs[..cut]);
        }
    }
}

#[test]
fn corrupted_streams_fail_cleanly() {
    let pcs = corpus();
    let (mut ours, mut theirs) = (vec![0u8; 65536], vec![0u8; 65536]);
    let mut seed = 0x2545_f491_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut agreed = 0;
    for round in 0..50_000 {
        let p = &pcs[next() as usize % pcs.len()];
        let mut stream = p.stream.clone();
        for _ in 0..1 + next() % 4 {
            let at = next() as usize % stream.len();
            match next() % 3 {
                0 => stream[at] = next() as u8,
                1 => stream[at] ^= 1 << (next() % 8),
                _ => stream.truncate(at.max(1)),
            }
        }
        let bad = Pcluster { stream, len: p.len, partial: round % 2 == 1 };
        let r = erofs_format::lz4::decompress(&bad.stream, &mut ours[..bad.len], bad.partial);
        if let Ok(n) = r {
            assert!(n <= bad.len);
        }
        // Where liblz4 decodes the corrupted stream to the full length,
        // ours must give the same bytes, unless the stream has a match at
        // offset 0, which the LZ4 format makes invalid: liblz4 takes it
        // as a copy of the bytes about to be written (what its previous
        // wild copy left there, or what the buffer held); ours refuses it.
        theirs.fill(0);
        if liblz4_decode(&bad, &mut theirs) == bad.len {
            if has_zero_offset(&bad.stream, bad.len) {
                assert!(r.is_err(), "ours decodes a match at offset 0");
                continue;
            }
            assert_eq!(r, Ok(bad.len), "liblz4 decodes a stream ours refuses (partial {}, round {round})", bad.partial);
            assert!(ours[..bad.len] == theirs[..bad.len]);
            agreed += 1;
        }
    }
    eprintln!("{agreed} corrupted streams liblz4 decodes, decoded alike");
    assert!(agreed > 1000);
}

/// Whether a stream that decodes to `len` bytes has a match at offset 0
/// before its output is full.
fn has_zero_offset(s: &[u8], len: usize) -> bool {
    let length = |ip: &mut usize, mut n: usize| {
        if n == 15 {
            while let Some(&b) = s.get(*ip) {
                *ip += 1;
                n += b as usize;
                if b != 255 {
                    break;
                }
            }
        }
        n
    };
    let (mut ip, mut out) = (0, 0);
    while ip < s.len() && out < len {
        let token = s[ip];
        ip += 1;
        let lit = length(&mut ip, (token >> 4) as usize);
        ip += lit;
        out += lit;
        if ip + 2 > s.len() || out >= len {
            return false;
        }
        if s[ip] == 0 && s[ip + 1] == 0 {
            return true;
        }
        ip += 2;
        out += length(&mut ip, (token & 15) as usize) + 4;
    }
    false
}
