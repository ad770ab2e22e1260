//! Key images: a proving key's points laid out in a file exactly as this build holds them in
//! memory, so that the prover reads them from a read-only memory map instead of the heap. Every
//! process that maps the same image shares one copy of its pages (the page cache's): N prover
//! processes on a machine hold a large key once, not N times, and a restart finds it warm.
//!
//! Layout (integers little-endian):
//! ```text
//! 0    8   magic "ZKBATCHM"
//! 8    4   image version (1)
//! 12  64   this build's layout of the points: 14 u32s (sizes, alignments and field offsets of
//!          Fq, Fq2, G1Affine and G2Affine) and 2 zero; an image made by a build that lays them out
//!          otherwise is refused, and made again from the key
//! 76  32   BLAKE3 of everything after the header
//! 108 80   five sections (a, b_g1, b_g2, h, l): offset and number of points, u64 each
//! 188 16   the rest: offset and length, u64 each
//! …        each section's points, at a 64-byte-aligned offset; then the rest: the key file's
//!          payload (keys.rs) of the key with its five point vectors emptied
//! ```
//! A BN254 point in affine form is its two coordinates and nothing else (arkworks 0.6 marks the
//! point at infinity as (0, 0), with no flag), and a coordinate is its Montgomery limbs: every bit
//! pattern is a valid point value, so reading the bytes in place needs only this build's layout and
//! the alignment; the hash, checked on every open, makes them the values written. Like the key file,
//! an image is the prover's own artefact. It is written to a temporary file and renamed into place, never rewritten in place: a
//! process that has it mapped keeps the file it mapped.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::mem::{align_of, offset_of, size_of};
use std::path::Path;

use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use memmap2::Mmap;

use crate::keys::{KeyError, KeyPoints, ProvingKey};

const MAGIC: &[u8; 8] = b"ZKBATCHM";
/// The image format version this build writes and reads.
pub const IMAGE_VERSION: u32 = 1;
const LAYOUT_AT: usize = 12;
const HASH_AT: usize = LAYOUT_AT + 64;
const SECTIONS_AT: usize = HASH_AT + 32;
const REST_AT: usize = SECTIONS_AT + 5 * 16;
const HEADER_LEN: usize = REST_AT + 16;
const ALIGN: usize = 64;

/// This build's memory layout of the points, as the image's header records it.
fn layout() -> [u32; 16] {
    [
        size_of::<Fq>() as u32,
        align_of::<Fq>() as u32,
        offset_of!(Fq, 0) as u32,
        size_of::<Fq2>() as u32,
        offset_of!(Fq2, c0) as u32,
        offset_of!(Fq2, c1) as u32,
        size_of::<G1Affine>() as u32,
        align_of::<G1Affine>() as u32,
        offset_of!(G1Affine, x) as u32,
        offset_of!(G1Affine, y) as u32,
        size_of::<G2Affine>() as u32,
        align_of::<G2Affine>() as u32,
        offset_of!(G2Affine, x) as u32,
        offset_of!(G2Affine, y) as u32,
        0,
        0,
    ]
}

/// Whether a point is its coordinates alone (no flag, no padding), each coordinate its limbs alone:
/// then every bit pattern is a point value, and an image may be read in place.
fn points_are_bare() -> bool {
    size_of::<Fq>() == 32
        && size_of::<Fq2>() == 2 * size_of::<Fq>()
        && size_of::<G1Affine>() == 2 * size_of::<Fq>()
        && size_of::<G2Affine>() == 2 * size_of::<Fq2>()
        && align_of::<G1Affine>() <= ALIGN
        && align_of::<G2Affine>() <= ALIGN
}

/// A key image, mapped: its points, read in place.
pub struct MappedKey {
    map: Mmap,
    /// (offset, count) of a, b_g1, b_g2, h, l.
    sections: [(usize, usize); 5],
}

/// Appends a field element's Montgomery limbs at `at` in `out` (the bytes of the element in memory).
fn put_fq(out: &mut [u8], at: usize, v: &Fq) {
    let at = at + offset_of!(Fq, 0);
    for (i, limb) in v.0 .0.iter().enumerate() {
        out[at + 8 * i..at + 8 * i + 8].copy_from_slice(&limb.to_ne_bytes());
    }
}

/// A G1 point's bytes as this build holds it in memory.
fn g1_bytes(p: &G1Affine, out: &mut [u8]) {
    put_fq(out, offset_of!(G1Affine, x), &p.x);
    put_fq(out, offset_of!(G1Affine, y), &p.y);
}

/// A G2 point's bytes as this build holds it in memory.
fn g2_bytes(p: &G2Affine, out: &mut [u8]) {
    for (at, v) in [(offset_of!(G2Affine, x), &p.x), (offset_of!(G2Affine, y), &p.y)] {
        put_fq(out, at + offset_of!(Fq2, c0), &v.c0);
        put_fq(out, at + offset_of!(Fq2, c1), &v.c1);
    }
}

/// Refuses to make or read images where points are more than their coordinates.
fn bare(path: &Path) -> Result<(), KeyError> {
    if points_are_bare() {
        Ok(())
    } else {
        Err(KeyError::Inconsistent { path: path.to_path_buf(), what: "this build's points are not bare coordinates: key images cannot be used".into() })
    }
}

fn pad(out: &mut Vec<u8>) {
    out.resize(out.len().next_multiple_of(ALIGN), 0);
}

impl MappedKey {
    /// Writes `key`'s image to `path` (through a temporary file renamed into place).
    pub fn write(key: &ProvingKey, path: &Path) -> Result<(), KeyError> {
        let io = |source| KeyError::Io { path: path.to_path_buf(), source };
        bare(path)?;
        let points = KeyPoints::of(key);
        let mut body = vec![0u8; HEADER_LEN];
        pad(&mut body);
        let mut sections = [(0usize, 0usize); 5];
        let g1s = [points.a, points.b_g1];
        for (i, s) in g1s.iter().enumerate() {
            sections[i] = append_g1(&mut body, s);
        }
        sections[2] = (body.len(), points.b_g2.len());
        let mut buf = vec![0u8; size_of::<G2Affine>()];
        for p in points.b_g2 {
            g2_bytes(p, &mut buf);
            body.extend_from_slice(&buf);
        }
        pad(&mut body);
        sections[3] = append_g1(&mut body, points.h);
        sections[4] = append_g1(&mut body, points.l);
        let mut rest = key.clone();
        let pk = &mut rest.groth16;
        (pk.a_query, pk.b_g1_query, pk.b_g2_query, pk.h_query, pk.l_query) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let rest_at = body.len();
        rest.serialize_uncompressed(&mut body).map_err(KeyError::Encode)?;
        let rest_len = body.len() - rest_at;

        body[..8].copy_from_slice(MAGIC);
        body[8..12].copy_from_slice(&IMAGE_VERSION.to_le_bytes());
        for (i, v) in layout().iter().enumerate() {
            body[LAYOUT_AT + 4 * i..LAYOUT_AT + 4 * i + 4].copy_from_slice(&v.to_le_bytes());
        }
        for (i, (offset, count)) in sections.iter().enumerate() {
            let at = SECTIONS_AT + 16 * i;
            body[at..at + 8].copy_from_slice(&(*offset as u64).to_le_bytes());
            body[at + 8..at + 16].copy_from_slice(&(*count as u64).to_le_bytes());
        }
        body[REST_AT..REST_AT + 8].copy_from_slice(&(rest_at as u64).to_le_bytes());
        body[REST_AT + 8..REST_AT + 16].copy_from_slice(&(rest_len as u64).to_le_bytes());
        let hash = hash(&body[SECTIONS_AT..]);
        body[HASH_AT..HASH_AT + 32].copy_from_slice(&hash);

        let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
        std::fs::write(&tmp, &body).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Maps an image and checks it (magic, version, this build's layout, hash, sections in bounds);
    /// returns the key without its points, and the points mapped.
    pub fn open(path: &Path) -> Result<(ProvingKey, MappedKey), KeyError> {
        let at = || path.to_path_buf();
        let io = |source| KeyError::Io { path: path.to_path_buf(), source };
        bare(path)?;
        // The header, the hash and the rest are read with plain reads: only the points are read
        // through the map, so a process's resident memory holds the points it proves with (shared)
        // and not a second copy of the rest, which it decodes into its heap.
        let mut file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len() as usize;
        let mut header = [0u8; HEADER_LEN];
        if len < HEADER_LEN {
            return Err(KeyError::Foreign { path: at() });
        }
        file.read_exact(&mut header).map_err(io)?;
        if &header[..8] != MAGIC {
            return Err(KeyError::Foreign { path: at() });
        }
        let word = |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
        let long = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&header[i..i + 8]);
            u64::from_le_bytes(b) as usize
        };
        if word(8) != IMAGE_VERSION {
            return Err(KeyError::Version { path: at(), found: word(8) });
        }
        if (0..16).map(|i| word(LAYOUT_AT + 4 * i)).ne(layout()) {
            return Err(KeyError::Inconsistent { path: at(), what: "an image made by a build that lays points out otherwise".into() });
        }
        let mut hasher = blake3::Hasher::new();
        hasher.update(&header[SECTIONS_AT..]);
        hasher.update_reader(std::io::BufReader::with_capacity(1 << 20, &mut file)).map_err(io)?;
        if hasher.finalize().as_bytes() != &header[HASH_AT..HASH_AT + 32] {
            return Err(KeyError::Corrupt { path: at() });
        }
        let sizes = [size_of::<G1Affine>(), size_of::<G1Affine>(), size_of::<G2Affine>(), size_of::<G1Affine>(), size_of::<G1Affine>()];
        let mut sections = [(0usize, 0usize); 5];
        for (i, size) in sizes.iter().enumerate() {
            let (offset, count) = (long(SECTIONS_AT + 16 * i), long(SECTIONS_AT + 16 * i + 8));
            let end = count.checked_mul(*size).and_then(|n| n.checked_add(offset));
            if offset % ALIGN != 0 || end.is_none_or(|e| e > len) {
                return Err(KeyError::Inconsistent { path: at(), what: format!("section {i} lies outside the file") });
            }
            sections[i] = (offset, count);
        }
        let (rest_at, rest_len) = (long(REST_AT), long(REST_AT + 8));
        if rest_at.checked_add(rest_len).is_none_or(|end| end > len) {
            return Err(KeyError::Truncated { path: at(), expected: rest_at.saturating_add(rest_len) as u64, found: len as u64 });
        }
        let mut rest = vec![0u8; rest_len];
        file.seek(SeekFrom::Start(rest_at as u64)).and_then(|_| file.read_exact(&mut rest)).map_err(io)?;
        let key = ProvingKey::deserialize_uncompressed_unchecked(&rest[..]).map_err(|source| KeyError::Decode { path: at(), source })?;
        drop(rest);
        // SAFETY: the map is read-only and private, and images are replaced by rename, never
        // written in place (see the module docs): the bytes under it, those just hashed through
        // the same open file, do not change while it lives.
        let map = unsafe { Mmap::map(&file) }.map_err(io)?;
        if map.len() != len {
            return Err(KeyError::Corrupt { path: at() });
        }
        let mapped = MappedKey { map, sections };
        key.check_shape_with(&mapped.points()).map_err(|what| KeyError::Inconsistent { path: at(), what })?;
        Ok((key, mapped))
    }

    /// The points, read in place.
    pub fn points(&self) -> KeyPoints<'_> {
        KeyPoints { a: self.g1(0), b_g1: self.g1(1), b_g2: self.g2(), h: self.g1(3), l: self.g1(4) }
    }

    /// The image's size in bytes.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the image is empty (never, for one that opened).
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    fn g1(&self, i: usize) -> &[G1Affine] {
        let (offset, count) = self.sections[i];
        // SAFETY: `open` checked that the section lies inside the map at a 64-byte-aligned offset
        // (the map is page-aligned; `points_are_bare` bounds the alignment by 64) and that this
        // build lays points out as the image does, with nothing in a point but limbs, for which
        // every bit pattern is a valid value (the hash checks they are the ones written). The
        // slice borrows `self`, which owns the map.
        unsafe { std::slice::from_raw_parts(self.map.as_ptr().add(offset).cast::<G1Affine>(), count) }
    }

    fn g2(&self) -> &[G2Affine] {
        let (offset, count) = self.sections[2];
        // SAFETY: as for `g1`, for the G2 section.
        unsafe { std::slice::from_raw_parts(self.map.as_ptr().add(offset).cast::<G2Affine>(), count) }
    }
}

fn append_g1(body: &mut Vec<u8>, points: &[G1Affine]) -> (usize, usize) {
    let offset = body.len();
    let mut buf = vec![0u8; size_of::<G1Affine>()];
    for p in points {
        g1_bytes(p, &mut buf);
        body.extend_from_slice(&buf);
    }
    pad(body);
    (offset, points.len())
}

fn hash(bytes: &[u8]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update_rayon(bytes);
    *hasher.finalize().as_bytes()
}
