//! The iden3 binary container that `.r1cs`, `.wtns` and `.zkey` share: a 4-byte magic, a u32
//! version, a u32 section count, then sections of (u32 id, u64 length, bytes). Little-endian.

use std::path::Path;

use ark_bn254::Fq;
use ark_ff::{BigInt, BigInteger, PrimeField};

use super::error::{CircomError, FormatProblem};

pub(crate) struct BinFile<'a> {
    pub version: u32,
    sections: Vec<(u32, &'a [u8])>,
    /// Names sections in errors, e.g. `|5| "A points"`.
    names: fn(u32) -> &'static str,
}

/// Splits `bytes` into sections. `kind` describes the file for errors ("a circom .r1cs").
pub(crate) fn parse<'a>(
    bytes: &'a [u8],
    magic: &'static [u8; 4],
    kind: &'static str,
    names: fn(u32) -> &'static str,
) -> Result<BinFile<'a>, FormatProblem> {
    if bytes.len() < 4 || &bytes[..4] != magic {
        let start = bytes.iter().take(4).flat_map(|b| std::ascii::escape_default(*b)).map(char::from).collect();
        return Err(FormatProblem::Magic { kind, expected: magic, found: start });
    }
    let mut r = Reader::new(&bytes[4..], "the file header");
    let version = r.u32()?;
    let count = r.u32()?;
    let mut sections = Vec::new();
    for _ in 0..count {
        let id = r.u32()?;
        let len = r.u64()?;
        let what = names(id);
        let available = r.remaining() as u64;
        if len > available {
            return Err(FormatProblem::Truncated { what: section_label(id, what), need: len, have: available });
        }
        sections.push((id, r.take(len as usize)?));
    }
    Ok(BinFile { version, sections, names })
}

fn section_label(id: u32, name: &str) -> String {
    format!("section {id} ({name})")
}

impl<'a> BinFile<'a> {
    /// The first section with this id.
    pub(crate) fn section(&self, id: u32) -> Result<Reader<'a>, FormatProblem> {
        let name = (self.names)(id);
        self.sections
            .iter()
            .find(|(s, _)| *s == id)
            .map(|(_, bytes)| Reader { bytes, pos: 0, what: name })
            .ok_or_else(|| FormatProblem::MissingSection(section_label(id, name)))
    }
}

/// Reads a section front to back; running off its end is a [`FormatProblem::Truncated`] naming it.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Reader { bytes, pos: 0, what }
    }

    pub(crate) fn what(&self) -> &'static str {
        self.what
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], FormatProblem> {
        if n > self.remaining() {
            return Err(FormatProblem::Truncated {
                what: self.what.to_string(),
                need: (self.pos + n) as u64,
                have: self.bytes.len() as u64,
            });
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, FormatProblem> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, FormatProblem> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
    }

    /// The rest of the section, which must be exactly `n` bytes (trailing bytes mean the
    /// counts in the header do not describe this file).
    pub(crate) fn rest_exactly(&mut self, n: usize) -> Result<&'a [u8], FormatProblem> {
        let have = self.remaining();
        if have < n {
            return Err(FormatProblem::Truncated { what: self.what.to_string(), need: (self.pos + n) as u64, have: self.bytes.len() as u64 });
        }
        if have > n {
            return Err(FormatProblem::Invalid(format!("{} holds {} bytes more than its header announces", self.what, have - n)));
        }
        self.take(n)
    }

    /// A field modulus as the header writes it: a u32 byte length, then the value. Checks that it
    /// is `F`'s, naming `which` ("scalar field", "base field") otherwise.
    pub(crate) fn modulus<F: PrimeField>(&mut self, which: &'static str) -> Result<(), FormatProblem> {
        let n8 = self.u32()? as usize;
        let value = self.take(n8)?;
        let want = F::MODULUS.to_bytes_le();
        if value != want.as_slice() {
            let found = num_bigint::BigUint::from_bytes_le(value).to_string();
            return Err(FormatProblem::Curve { which, found });
        }
        Ok(())
    }
}

/// A 32-byte little-endian integer, `None` when ≥ `F`'s modulus (not canonical).
pub(crate) fn bigint<F: PrimeField<BigInt = BigInt<4>>>(bytes: &[u8]) -> Option<BigInt<4>> {
    let limb = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(bytes.get(8 * i..8 * i + 8)?);
        Some(u64::from_le_bytes(b))
    };
    let v = BigInt::new([limb(0)?, limb(1)?, limb(2)?, limb(3)?]);
    (v < F::MODULUS).then_some(v)
}

/// A field element in standard form (as `.r1cs` and `.wtns` store them).
pub(crate) fn standard<F: PrimeField<BigInt = BigInt<4>>>(bytes: &[u8]) -> Option<F> {
    F::from_bigint(bigint::<F>(bytes)?)
}

/// A base-field element in Montgomery form, which is arkworks' own representation (as `.zkey`
/// points are stored), so it is taken as is.
pub(crate) fn montgomery_fq(bytes: &[u8]) -> Option<Fq> {
    Some(Fq::new_unchecked(bigint::<Fq>(bytes)?))
}

/// The whole file at `path`; a file that cannot be read is named.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, CircomError> {
    std::fs::read(path).map_err(|source| CircomError::Io { path: path.to_path_buf(), source })
}
