//! The binary search tree that maps address prefixes to records.
//!
//! Each node has two records, followed for a 0 bit and a 1 bit of the address. A record
//! holds a node number (below `node_count`), `node_count` itself for "no data", or a data
//! pointer (`node_count + 16 + offset` into the data section). Nodes are written in number
//! order, two records per node, packed into 24, 28 or 32 bits each.

use super::RecordSize;

/// Bytes of zeros between the tree and the data section.
pub(super) const DATA_SECTION_SEPARATOR: [u8; 16] = [0; 16];

/// Where one bit of an address leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// No record for these addresses.
    Empty,
    /// The record with this index (its data-section offset is known at write time).
    Data(usize),
    /// Another node.
    Node(usize),
}

/// A prefix tree over `width`-bit addresses (32 or 128), built in memory and then packed.
#[derive(Debug)]
pub(super) struct SearchTree {
    width: u8,
    nodes: Vec<[Slot; 2]>,
}

impl SearchTree {
    /// An empty tree over addresses of `width` bits: a root whose records point nowhere.
    pub(super) fn new(width: u8) -> Self {
        Self { width, nodes: vec![[Slot::Empty; 2]] }
    }

    /// How many nodes the packed tree has.
    pub(super) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Points every address whose first `len` bits equal those of `bits` at `record`.
    /// Longer prefixes inserted before are overwritten, so insert shortest first to get
    /// longest-prefix-match semantics.
    pub(super) fn insert(&mut self, bits: u128, len: u8, record: usize) {
        if len == 0 {
            self.insert(0, 1, record);
            self.insert(1 << (self.width - 1), 1, record);
            return;
        }
        *self.slot_mut(bits, len) = Slot::Data(record);
    }

    /// Makes the addresses under `alias` lead to whatever `target` leads to (a shared
    /// subtree, or the same record). Both prefixes have `len` bits.
    pub(super) fn alias(&mut self, alias: u128, target: u128, len: u8) {
        let shared = self.slot(target, len);
        if self.slot(alias, len) != shared {
            *self.slot_mut(alias, len) = shared;
        }
    }

    /// The slot reached by the first `len` bits of `bits`, or the record covering them
    /// when the walk ends early on data or on nothing.
    fn slot(&self, bits: u128, len: u8) -> Slot {
        let mut node = 0;
        for depth in 0..len {
            let slot = self.nodes[node][self.bit(bits, depth)];
            match slot {
                Slot::Node(next) if depth + 1 < len => node = next,
                _ => return slot,
            }
        }
        Slot::Node(node)
    }

    /// The slot for the prefix `bits/len` (`len` ≥ 1), creating the nodes on the way.
    /// Walking through a record splits it into a node whose both sides keep that record.
    fn slot_mut(&mut self, bits: u128, len: u8) -> &mut Slot {
        let mut node = 0;
        for depth in 0..len - 1 {
            let side = self.bit(bits, depth);
            node = match self.nodes[node][side] {
                Slot::Node(next) => next,
                covering => {
                    self.nodes.push([covering; 2]);
                    let next = self.nodes.len() - 1;
                    self.nodes[node][side] = Slot::Node(next);
                    next
                }
            };
        }
        let side = self.bit(bits, len - 1);
        &mut self.nodes[node][side]
    }

    /// Bit `depth` of an address, counting from the most significant.
    fn bit(&self, bits: u128, depth: u8) -> usize {
        usize::from((bits >> (self.width - 1 - depth)) & 1 == 1)
    }

    /// The packed tree. `data_offsets[i]` is the data-section offset of record `i`.
    pub(super) fn to_bytes(&self, record_size: RecordSize, data_offsets: &[usize]) -> Vec<u8> {
        let node_count = self.node_count();
        let record = |slot: Slot| -> u32 {
            let value = match slot {
                Slot::Empty => node_count,
                Slot::Node(next) => next,
                Slot::Data(index) => node_count + DATA_SECTION_SEPARATOR.len() + data_offsets[index],
            };
            u32::try_from(value).expect("record value checked against the record size")
        };
        let mut out = Vec::with_capacity(node_count * record_size.node_bytes());
        for [left, right] in &self.nodes {
            write_node(&mut out, record(*left), record(*right), record_size);
        }
        out
    }
}

/// Appends one node. 28-bit records keep their low 24 bits in three bytes each, and share a
/// middle byte holding the left record's top nibble, then the right record's.
pub(super) fn write_node(out: &mut Vec<u8>, left: u32, right: u32, record_size: RecordSize) {
    let (left_bytes, right_bytes) = (left.to_be_bytes(), right.to_be_bytes());
    match record_size {
        RecordSize::Bits24 => {
            out.extend_from_slice(&left_bytes[1..]);
            out.extend_from_slice(&right_bytes[1..]);
        }
        RecordSize::Bits28 => {
            out.extend_from_slice(&left_bytes[1..]);
            out.push((left_bytes[0] & 0x0F) << 4 | (right_bytes[0] & 0x0F));
            out.extend_from_slice(&right_bytes[1..]);
        }
        RecordSize::Bits32 => {
            out.extend_from_slice(&left_bytes);
            out.extend_from_slice(&right_bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(left: u32, right: u32, record_size: RecordSize) -> Vec<u8> {
        let mut out = Vec::new();
        write_node(&mut out, left, right, record_size);
        out
    }

    #[test]
    fn nodes_pack_records_as_the_spec_lays_them_out() {
        assert_eq!(node(0x12_3456, 0xAB_CDEF, RecordSize::Bits24), [0x12, 0x34, 0x56, 0xAB, 0xCD, 0xEF]);
        assert_eq!(node(0x0123_4567, 0x089A_BCDE, RecordSize::Bits28), [0x23, 0x45, 0x67, 0x18, 0x9A, 0xBC, 0xDE]);
        assert_eq!(node(0x0102_0304, 0xA0B0_C0D0, RecordSize::Bits32), [1, 2, 3, 4, 0xA0, 0xB0, 0xC0, 0xD0]);
    }

    #[test]
    fn an_empty_tree_is_one_node_pointing_nowhere() {
        let tree = SearchTree::new(32);
        assert_eq!(tree.to_bytes(RecordSize::Bits24, &[]), [0, 0, 1, 0, 0, 1]);
    }

    #[test]
    fn a_prefix_creates_one_node_per_bit_but_the_last() {
        let mut tree = SearchTree::new(32);
        tree.insert(0xC000_0000, 2, 0);
        assert_eq!(tree.node_count(), 2);
        // root: 0 → nothing, 1 → node 1; node 1: 0 → nothing, 1 → record at offset 0.
        let bytes = tree.to_bytes(RecordSize::Bits24, &[0]);
        assert_eq!(bytes, [0, 0, 2, 0, 0, 1, 0, 0, 2, 0, 0, 18]);
    }

    #[test]
    fn a_longer_prefix_splits_the_covering_record() {
        let mut tree = SearchTree::new(32);
        tree.insert(0, 1, 0);
        tree.insert(0x4000_0000, 2, 1);
        assert_eq!(tree.slot(0x0000_0000, 2), Slot::Data(0), "the rest of 0/1 keeps its record");
        assert_eq!(tree.slot(0x4000_0000, 2), Slot::Data(1));
        assert_eq!(tree.slot(0x8000_0000, 1), Slot::Empty);
    }

    #[test]
    fn the_whole_space_is_both_halves() {
        let mut tree = SearchTree::new(128);
        tree.insert(0, 0, 7);
        assert_eq!(tree.slot(0, 1), Slot::Data(7));
        assert_eq!(tree.slot(u128::MAX, 1), Slot::Data(7));
        assert_eq!(tree.slot(u128::MAX, 100), Slot::Data(7), "a deeper walk ends on the record");
    }

    #[test]
    fn an_alias_shares_the_target_subtree() {
        let mut tree = SearchTree::new(128);
        tree.insert(0x0102_0300, 120, 0);
        tree.alias(0xFFFF << 32, 0, 96);
        let target = tree.slot(0, 96);
        assert!(matches!(target, Slot::Node(_)));
        assert_eq!(tree.slot(0xFFFF << 32, 96), target);
    }
}
