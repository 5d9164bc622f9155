//! A compact, immutable set of strings: one buffer, sorted, without duplicates.
//!
//! Shared by [`ScopeSet`](crate::ScopeSet) and [`RoleSet`](crate::RoleSet). Building it costs
//! two allocations whatever the number of members; lookups and prefix scans allocate nothing.

use std::cmp::Ordering;

#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct SortedStrs {
    /// The members, concatenated in byte order.
    text: Box<str>,
    /// `ends[i]` is the end offset of member `i` in `text`; member `i` starts at `ends[i - 1]`.
    ends: Box<[u32]>,
}

impl SortedStrs {
    /// Builds the set from members in any order; duplicates collapse.
    ///
    /// Members that would push the buffer past `u32::MAX` bytes are dropped; callers bound their
    /// input far below that (a token is at most a few KiB).
    pub(crate) fn from_members<'a>(members: impl IntoIterator<Item = &'a str>) -> Self {
        let mut members: Vec<&str> = members.into_iter().collect();
        members.sort_unstable();
        members.dedup();
        let mut text = String::with_capacity(members.iter().map(|m| m.len()).sum());
        let mut ends = Vec::with_capacity(members.len());
        for member in members {
            text.push_str(member);
            match u32::try_from(text.len()) {
                Ok(end) => ends.push(end),
                Err(_) => {
                    text.truncate(text.len() - member.len());
                    break;
                }
            }
        }
        Self { text: text.into_boxed_str(), ends: ends.into_boxed_slice() }
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Member `index`, which must be below [`len`](Self::len): every caller iterates or
    /// bisects within `0..len`. An index out of range is a bug, and panics rather than answer
    /// with an empty string that a lookup could mistake for a member.
    #[allow(clippy::expect_used, reason = "indexes come from 0..len; see the doc comment")]
    fn get(&self, index: usize) -> &str {
        let start = match index.checked_sub(1) {
            Some(previous) => *self.ends.get(previous).expect("member index within len"),
            None => 0,
        };
        let end = *self.ends.get(index).expect("member index within len");
        // Offsets were recorded at member boundaries when the buffer was built.
        self.text.get(start as usize..end as usize).expect("offsets at member boundaries")
    }

    /// Bytewise membership test, `O(log n)`, no allocation.
    pub(crate) fn contains(&self, member: &str) -> bool {
        self.search(member).is_ok()
    }

    fn search(&self, member: &str) -> Result<usize, usize> {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let middle = low + (high - low) / 2;
            match self.get(middle).cmp(member) {
                Ordering::Less => low = middle + 1,
                Ordering::Greater => high = middle,
                Ordering::Equal => return Ok(middle),
            }
        }
        Err(low)
    }

    /// Members that start with `prefix`, in byte order.
    pub(crate) fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let first = match self.search(prefix) {
            Ok(index) | Err(index) => index,
        };
        (first..self.len()).map(|index| self.get(index)).take_while(move |m| m.starts_with(prefix))
    }

    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|index| self.get(index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_and_dedups() {
        let set = SortedStrs::from_members(["b", "a", "c", "a", ""]);
        assert_eq!(set.iter().collect::<Vec<_>>(), ["", "a", "b", "c"]);
        assert!(set.contains("a") && set.contains("") && !set.contains("d"));
    }

    #[test]
    fn prefix_scan_stops_at_the_first_non_match() {
        let set = SortedStrs::from_members(["transaction-1", "transaction-22", "transfer", "t"]);
        let found: Vec<_> = set.with_prefix("transaction-").collect();
        assert_eq!(found, ["transaction-1", "transaction-22"]);
        assert_eq!(set.with_prefix("zzz").count(), 0);
    }

    #[test]
    fn empty_set() {
        let set = SortedStrs::from_members([]);
        assert!(set.is_empty() && !set.contains("") && set.with_prefix("").count() == 0);
    }
}
