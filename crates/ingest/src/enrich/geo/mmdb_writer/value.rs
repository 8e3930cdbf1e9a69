//! The data section's typed values and their binary encoding.
//!
//! Each value starts with a control byte: the type in its top three bits and the payload
//! size in the low five. Sizes of 29 and more spill into one to three following bytes.
//! Types above 7 are "extended": the control byte's type bits are zero and the next byte
//! holds the type minus 7. Integers are big-endian with leading zero bytes left out.

/// Type numbers from the MaxMind DB format.
const TYPE_STRING: u8 = 2;
const TYPE_DOUBLE: u8 = 3;
const TYPE_UINT16: u8 = 5;
const TYPE_UINT32: u8 = 6;
const TYPE_MAP: u8 = 7;
const TYPE_UINT64: u8 = 9;
const TYPE_ARRAY: u8 = 11;
const TYPE_BOOLEAN: u8 = 14;

/// Sizes from this one on take one extra byte, then two, then three.
const ONE_BYTE_SIZE: usize = 29;
const TWO_BYTE_SIZE: usize = ONE_BYTE_SIZE + 0x100;
const THREE_BYTE_SIZE: usize = TWO_BYTE_SIZE + 0x1_0000;
/// The largest size the format can express (strings in bytes, maps and arrays in entries).
pub(super) const MAX_SIZE: usize = THREE_BYTE_SIZE + 0xFF_FFFF;

/// A value in a MaxMind DB data section.
#[derive(Debug, Clone, PartialEq)]
pub enum MmdbValue {
    /// A UTF-8 string.
    String(String),
    /// An IEEE 754 double.
    Double(f64),
    /// An unsigned 16-bit integer.
    Uint16(u16),
    /// An unsigned 32-bit integer.
    Uint32(u32),
    /// An unsigned 64-bit integer.
    Uint64(u64),
    /// A boolean.
    Bool(bool),
    /// An ordered list.
    Array(Vec<MmdbValue>),
    /// A map with string keys, written in the given order (duplicates are kept, which lets
    /// tests build records a reader must survive).
    Map(Vec<(String, MmdbValue)>),
}

impl MmdbValue {
    /// A map from `(key, value)` pairs.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, MmdbValue)>) -> Self {
        Self::Map(entries.into_iter().map(|(key, value)| (key.into(), value)).collect())
    }

    /// Appends the encoding of this value to `out`.
    ///
    /// # Panics
    /// When a string, array or map is longer than the format allows (about 16.8 million).
    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::String(text) => write_string(out, text),
            Self::Double(number) => {
                write_header(out, TYPE_DOUBLE, 8);
                out.extend_from_slice(&number.to_be_bytes());
            }
            Self::Uint16(number) => write_unsigned(out, TYPE_UINT16, u64::from(*number)),
            Self::Uint32(number) => write_unsigned(out, TYPE_UINT32, u64::from(*number)),
            Self::Uint64(number) => write_unsigned(out, TYPE_UINT64, *number),
            Self::Bool(flag) => write_header(out, TYPE_BOOLEAN, usize::from(*flag)),
            Self::Array(items) => {
                write_header(out, TYPE_ARRAY, items.len());
                items.iter().for_each(|item| item.encode(out));
            }
            Self::Map(entries) => {
                write_header(out, TYPE_MAP, entries.len());
                for (key, value) in entries {
                    write_string(out, key);
                    value.encode(out);
                }
            }
        }
    }
}

impl From<&str> for MmdbValue {
    fn from(text: &str) -> Self {
        Self::String(text.to_owned())
    }
}

fn write_string(out: &mut Vec<u8>, text: &str) {
    write_header(out, TYPE_STRING, text.len());
    out.extend_from_slice(text.as_bytes());
}

/// An unsigned integer in as few big-endian bytes as it needs (zero takes none).
fn write_unsigned(out: &mut Vec<u8>, type_number: u8, number: u64) {
    let bytes = number.to_be_bytes();
    let leading_zeros = usize::try_from(number.leading_zeros() / 8).unwrap_or(0);
    let significant = &bytes[leading_zeros..];
    write_header(out, type_number, significant.len());
    out.extend_from_slice(significant);
}

/// The control byte, the extended type byte when needed, then the size bytes.
fn write_header(out: &mut Vec<u8>, type_number: u8, size: usize) {
    assert!(size <= MAX_SIZE, "a MaxMind DB value cannot hold {size} entries or bytes");
    let (size_bits, extra_bytes, base) = match size {
        0..ONE_BYTE_SIZE => (size as u8, 0, 0),
        ONE_BYTE_SIZE..TWO_BYTE_SIZE => (29, 1, ONE_BYTE_SIZE),
        TWO_BYTE_SIZE..THREE_BYTE_SIZE => (30, 2, TWO_BYTE_SIZE),
        _ => (31, 3, THREE_BYTE_SIZE),
    };
    if type_number <= TYPE_MAP {
        out.push(type_number << 5 | size_bits);
    } else {
        out.push(size_bits);
        out.push(type_number - 7);
    }
    let extra_size = (size - base) as u64;
    out.extend_from_slice(&extra_size.to_be_bytes()[8 - extra_bytes..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(value: &MmdbValue) -> Vec<u8> {
        let mut out = Vec::new();
        value.encode(&mut out);
        out
    }

    fn string_of(len: usize) -> MmdbValue {
        MmdbValue::String("a".repeat(len))
    }

    #[test]
    fn short_strings_keep_their_size_in_the_control_byte() {
        assert_eq!(encoded(&"".into()), [0x40]);
        assert_eq!(encoded(&"US".into()), [0x42, b'U', b'S']);
        assert_eq!(encoded(&string_of(28))[0], 0x5C);
    }

    #[test]
    fn long_sizes_spill_into_one_two_or_three_bytes() {
        assert_eq!(encoded(&string_of(29))[..2], [0x5D, 0x00]);
        assert_eq!(encoded(&string_of(284))[..2], [0x5D, 0xFF]);
        assert_eq!(encoded(&string_of(285))[..3], [0x5E, 0x00, 0x00]);
        assert_eq!(encoded(&string_of(65_820))[..3], [0x5E, 0xFF, 0xFF]);
        assert_eq!(encoded(&string_of(65_821))[..4], [0x5F, 0x00, 0x00, 0x00]);
        assert_eq!(encoded(&string_of(70_000)).len(), 4 + 70_000);
    }

    #[test]
    fn integers_drop_leading_zero_bytes() {
        assert_eq!(encoded(&MmdbValue::Uint16(0)), [0xA0]);
        assert_eq!(encoded(&MmdbValue::Uint16(0x1234)), [0xA2, 0x12, 0x34]);
        assert_eq!(encoded(&MmdbValue::Uint32(0xFF)), [0xC1, 0xFF]);
        assert_eq!(encoded(&MmdbValue::Uint32(u32::MAX)), [0xC4, 0xFF, 0xFF, 0xFF, 0xFF]);
        assert_eq!(encoded(&MmdbValue::Uint64(0x0100)), [0x02, 0x02, 0x01, 0x00]);
    }

    #[test]
    fn doubles_are_eight_big_endian_bytes() {
        let mut expected = vec![0x68];
        expected.extend_from_slice(&48.8566_f64.to_be_bytes());
        assert_eq!(encoded(&MmdbValue::Double(48.8566)), expected);
    }

    #[test]
    fn extended_types_put_their_type_after_the_control_byte() {
        assert_eq!(encoded(&MmdbValue::Bool(true)), [0x01, 0x07]);
        assert_eq!(encoded(&MmdbValue::Bool(false)), [0x00, 0x07]);
        let array = MmdbValue::Array(vec!["a".into(), MmdbValue::Uint16(1)]);
        assert_eq!(encoded(&array), [0x02, 0x04, 0x41, b'a', 0xA1, 0x01]);
        let long_array = MmdbValue::Array(vec![MmdbValue::Bool(true); 30]);
        assert_eq!(encoded(&long_array)[..3], [0x1D, 0x04, 0x01]);
    }

    #[test]
    fn maps_alternate_string_keys_and_values() {
        let map = MmdbValue::map([("en", MmdbValue::from("Paris"))]);
        assert_eq!(encoded(&map), [0xE1, 0x42, b'e', b'n', 0x45, b'P', b'a', b'r', b'i', b's']);
    }
}
