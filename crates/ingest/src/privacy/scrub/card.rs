//! Payment card numbers.
//!
//! A card is 13 to 19 digits, in groups joined by single spaces, dashes, `+` or `%20`
//! (`4111 1111 1111 1111`, `4111-1111-1111-1111`, `4111+1111…` in a query string), starting
//! with 2–6 (the issuer ranges of Visa, Mastercard, Amex, Discover, JCB, Diners and UnionPay:
//! this spares millisecond timestamps, which start with 1) and passing the Luhn check.
//! Within a longer run of groups, the longest valid card starting at each group wins; a run
//! of 20+ digits without separators is a number, not a card.

use super::Scan;

const MIN_DIGITS: usize = 13;
const MAX_DIGITS: usize = 19;

/// Digits `start..end` of the text, with no separator inside.
#[derive(Debug, Clone, Copy)]
struct Group {
    start: usize,
    end: usize,
}

/// Handles the run of digit groups starting at `at`; returns where the run ends.
pub(super) fn digit_run(scan: &mut Scan<'_>, at: usize) -> usize {
    let bytes = scan.bytes;
    let (end, digits) = measure_run(bytes, at);
    if digits < MIN_DIGITS {
        return end;
    }
    let groups = groups(bytes, at, end);
    let mut first = 0;
    while first < groups.len() {
        match longest_card(bytes, &groups[first..]) {
            Some(count) => {
                let last = groups[first + count - 1];
                scan.redact(groups[first].start, last.end, "[card]");
                first += count;
            }
            None => first += 1,
        }
    }
    end
}

/// The end of the run of groups starting at `at`, and how many digits it holds.
fn measure_run(bytes: &[u8], at: usize) -> (usize, usize) {
    let mut i = at;
    let mut digits = 0;
    loop {
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
            digits += 1;
        }
        match separator_len(bytes, i) {
            0 => return (i, digits),
            len => i += len,
        }
    }
}

/// The groups of the run `at..end`.
fn groups(bytes: &[u8], at: usize, end: usize) -> Vec<Group> {
    let mut groups = Vec::new();
    let mut start = at;
    while start < end {
        let len = bytes[start..end].iter().position(|b| !b.is_ascii_digit()).unwrap_or(end - start);
        groups.push(Group { start, end: start + len });
        start += len + separator_len(bytes, start + len);
    }
    groups
}

/// The length of a group separator at `i` (a space, `-`, `+` or `%20` followed by a digit), or 0.
fn separator_len(bytes: &[u8], i: usize) -> usize {
    let len = match bytes.get(i) {
        Some(b' ' | b'-' | b'+') => 1,
        Some(b'%') if bytes.get(i + 1..i + 3) == Some(b"20") => 3,
        _ => return 0,
    };
    if bytes.get(i + len).is_some_and(u8::is_ascii_digit) { len } else { 0 }
}

/// How many of `groups`, from the first, make the longest valid card, if any do.
fn longest_card(bytes: &[u8], groups: &[Group]) -> Option<usize> {
    let first = groups.first()?;
    if !(b'2'..=b'6').contains(&bytes[first.start]) {
        return None;
    }
    let mut digits = 0;
    let mut longest = None;
    for (index, group) in groups.iter().enumerate() {
        digits += group.end - group.start;
        if digits > MAX_DIGITS {
            break;
        }
        if digits >= MIN_DIGITS && passes_luhn(bytes, &groups[..=index]) {
            longest = Some(index + 1);
        }
    }
    longest
}

/// The Luhn checksum over the digits of `groups`.
fn passes_luhn(bytes: &[u8], groups: &[Group]) -> bool {
    let digits = groups.iter().rev().flat_map(|group| bytes[group.start..group.end].iter().rev());
    let sum: u32 = digits
        .enumerate()
        .map(|(position, &b)| {
            let digit = u32::from(b - b'0');
            match position % 2 {
                0 => digit,
                _ if digit < 5 => digit * 2,
                _ => digit * 2 - 9,
            }
        })
        .sum();
    // Not `is_multiple_of`: it needs Rust 1.87 and the workspace supports 1.85.
    let remainder = sum % 10;
    remainder == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn luhn(text: &str) -> bool {
        let bytes = text.as_bytes();
        passes_luhn(bytes, &groups(bytes, 0, bytes.len()))
    }

    #[test]
    fn luhn_checksum() {
        assert!(luhn("4111111111111111"));
        assert!(luhn("4111 1111 1111 1111"));
        assert!(luhn("378282246310005"));
        assert!(luhn("6011111111111117"));
        assert!(!luhn("4111111111111112"));
        assert!(!luhn("1234567812345678"));
    }

    #[test]
    fn runs_join_groups_with_single_separators_only() {
        assert_eq!(measure_run(b"4111 1111-1111+1111%201 x", 0), (23, 17));
        assert_eq!(measure_run(b"4111  1111", 0), (4, 4));
        assert_eq!(measure_run(b"4111- 1111", 0), (4, 4));
        assert_eq!(measure_run(b"4111-", 0), (4, 4));
        assert_eq!(measure_run(b"12%2034", 0), (7, 4));
    }

    #[test]
    fn longest_valid_card_from_the_first_group() {
        let text = b"4111 1111 1111 1111 2";
        let groups = groups(text, 0, text.len());
        assert_eq!(longest_card(text, &groups), Some(4));
        let timestamp = b"1700000000004";
        assert!(passes_luhn(timestamp, &groups_of(timestamp)));
        assert_eq!(longest_card(timestamp, &groups_of(timestamp)), None);
    }

    fn groups_of(text: &[u8]) -> Vec<Group> {
        groups(text, 0, text.len())
    }
}
