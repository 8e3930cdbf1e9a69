//! Compression bombs: a megabyte of gzip or zlib that inflates to a gigabyte of zeros.
//!
//! Compressing a gigabyte takes seconds, so the stream is assembled instead: after
//! a sync flush every further mebibyte of zeros compresses to the very same bytes
//! (the window holds nothing but zeros), so one such block is repeated. The result
//! is a valid stream with a correct checksum and length.

use flate2::{Compress, Compression, Crc, FlushCompress};

const MIB: usize = 1 << 20;

/// gzip (RFC 1952) of `mib` mebibytes of zeros.
pub fn gzip_bomb(mib: usize) -> Vec<u8> {
    let mut crc_of_one = Crc::new();
    crc_of_one.update(&vec![0u8; MIB]);
    let mut crc = Crc::new();
    (0..mib).for_each(|_| crc.combine(&crc_of_one));
    let mut bomb = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff];
    bomb.extend(raw_deflate_of_zeros(mib));
    bomb.extend(crc.sum().to_le_bytes());
    bomb.extend(((mib as u64 * MIB as u64) as u32).to_le_bytes());
    bomb
}

/// zlib-wrapped deflate (RFC 1950, HTTP's `deflate`) of `mib` mebibytes of zeros.
pub fn zlib_bomb(mib: usize) -> Vec<u8> {
    // Adler-32 of n zeros: a stays 1, b adds a (1) n times.
    let b = (mib as u64 * MIB as u64 % 65_521) as u32;
    let mut bomb = vec![0x78, 0xda];
    bomb.extend(raw_deflate_of_zeros(mib));
    bomb.extend(((b << 16) | 1).to_be_bytes());
    bomb
}

fn raw_deflate_of_zeros(mib: usize) -> Vec<u8> {
    assert!(mib >= 2, "a bomb of at least 2 MiB");
    let zeros = vec![0u8; MIB];
    let mut compressor = Compress::new(Compression::best(), false);
    let mut block = |input: &[u8], flush| {
        let mut out = Vec::with_capacity(64 * 1024);
        compressor.compress_vec(input, &mut out, flush).expect("compress zeros");
        out
    };
    let first = block(&zeros, FlushCompress::Sync);
    let repeated = block(&zeros, FlushCompress::Sync);
    assert_eq!(
        block(&zeros, FlushCompress::Sync),
        repeated,
        "a mebibyte of zeros after a sync flush compresses the same every time"
    );
    let end = block(&[], FlushCompress::Finish);
    let mut stream = Vec::with_capacity(first.len() + repeated.len() * mib + end.len());
    stream.extend(&first);
    (1..mib).for_each(|_| stream.extend(&repeated));
    stream.extend(&end);
    stream
}
