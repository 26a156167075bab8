//! Unions of closed intervals: the media seconds a learner played, and the wall-clock spans
//! a page was visible. Pure functions, the heart of "watched" and "time spent".
//!
//! A stored union is sorted, and neighbours are further apart than the tolerance. Merging is
//! order-independent: `merge(merge(a) ++ b) == merge(a ++ b)` for any split of the input, so
//! events may arrive in any order, twice, or be replayed by a rebuild, with the same result.

use std::ops::{Add, Sub};

/// A number intervals are made of: seconds (`f64`) or milliseconds (`i64`).
pub trait Point: Copy + PartialOrd + Add<Output = Self> + Sub<Output = Self> + Default {}

impl Point for f64 {}
impl Point for i64 {}

/// `[from, to]` with `from <= to`.
pub type Interval<T> = [T; 2];

/// Sorts and coalesces `list` in place: intervals that overlap, touch, or leave a gap of at
/// most `tolerance` between them become one. Reversed intervals are ignored.
pub fn merge<T: Point>(list: &mut Vec<Interval<T>>, tolerance: T) {
    list.retain(|[a, b]| a <= b);
    list.sort_by(|x, y| x[0].partial_cmp(&y[0]).unwrap_or(std::cmp::Ordering::Equal));
    let mut out: Vec<Interval<T>> = Vec::with_capacity(list.len());
    for &[from, to] in list.iter() {
        match out.last_mut() {
            Some(last) if from <= last[1] + tolerance => {
                if to > last[1] {
                    last[1] = to;
                }
            }
            _ => out.push([from, to]),
        }
    }
    *list = out;
}

/// The union of a stored (merged) list and new intervals.
pub fn union<T: Point>(stored: &[Interval<T>], new: &[Interval<T>], tolerance: T) -> Vec<Interval<T>> {
    let mut all = Vec::with_capacity(stored.len() + new.len());
    all.extend_from_slice(stored);
    all.extend_from_slice(new);
    merge(&mut all, tolerance);
    all
}

/// Total length of a merged list inside `[lo, hi]`.
pub fn covered<T: Point>(merged: &[Interval<T>], lo: T, hi: T) -> T {
    let mut total = T::default();
    for &[a, b] in merged {
        let from = if a > lo { a } else { lo };
        let to = if b < hi { b } else { hi };
        if to > from {
            total = total + (to - from);
        }
    }
    total
}

/// Total length of a list (merged or not: overlaps count twice in an unmerged one).
pub fn length<T: Point>(list: &[Interval<T>]) -> T {
    list.iter().fold(T::default(), |sum, &[a, b]| if b > a { sum + (b - a) } else { sum })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(mut v: Vec<[f64; 2]>) -> Vec<[f64; 2]> {
        merge(&mut v, 0.0);
        v
    }

    #[test]
    fn overlapping_and_touching_intervals_coalesce() {
        assert_eq!(merged(vec![[0.0, 5.0], [3.0, 8.0]]), vec![[0.0, 8.0]]);
        assert_eq!(merged(vec![[0.0, 5.0], [5.0, 8.0]]), vec![[0.0, 8.0]]);
        assert_eq!(merged(vec![[0.0, 5.0], [6.0, 8.0]]), vec![[0.0, 5.0], [6.0, 8.0]]);
        assert_eq!(merged(vec![[2.0, 3.0], [0.0, 10.0]]), vec![[0.0, 10.0]], "contained");
        assert_eq!(merged(vec![[4.0, 1.0], [1.0, 2.0]]), vec![[1.0, 2.0]], "reversed dropped");
    }

    #[test]
    fn tolerance_closes_small_gaps_only() {
        let mut v = vec![[0i64, 1000], [1500, 3000], [6000, 7000]];
        merge(&mut v, 500);
        assert_eq!(v, vec![[0, 3000], [6000, 7000]]);
    }

    #[test]
    fn seeking_back_and_forth_counts_each_second_once() {
        // Played 0-10, seeked back to 5 and played to 12, jumped to 20 and played to 25,
        // jumped back to 0 and played to 3.
        let played = vec![[0.0, 10.0], [5.0, 12.0], [20.0, 25.0], [0.0, 3.0]];
        let m = merged(played);
        assert_eq!(m, vec![[0.0, 12.0], [20.0, 25.0]]);
        assert_eq!(covered(&m, 0.0, 28.0), 17.0);
    }

    #[test]
    fn seeking_to_the_end_covers_only_what_played() {
        let m = merged(vec![[0.0, 2.0], [27.0, 28.0]]);
        assert_eq!(covered(&m, 0.0, 28.0), 3.0);
    }

    #[test]
    fn covered_clips_to_the_range() {
        let m = merged(vec![[-5.0, 3.0], [25.0, 40.0]]);
        assert_eq!(covered(&m, 0.0, 28.0), 6.0);
        assert_eq!(length(&m), 23.0);
    }

    #[test]
    fn arrival_order_and_batching_do_not_matter() {
        let events: Vec<Vec<[f64; 2]>> = vec![
            vec![[0.0, 4.0]],
            vec![[4.0, 9.5], [12.0, 13.0]],
            vec![[3.0, 5.0]],
            vec![[9.75, 11.9]],
            vec![[20.0, 21.0], [0.5, 0.7]],
            vec![[13.0, 14.0]],
        ];
        let tolerance = 0.25;
        let fold = |order: &[usize]| {
            order.iter().fold(Vec::new(), |acc, &i| union(&acc, &events[i], tolerance))
        };
        let expected = fold(&[0, 1, 2, 3, 4, 5]);
        assert_eq!(expected, vec![[0.0, 14.0], [20.0, 21.0]]);
        // Every rotation and the reverse, and everything at once.
        for start in 0..events.len() {
            let order: Vec<usize> = (0..events.len()).map(|k| (start + k) % events.len()).collect();
            assert_eq!(fold(&order), expected, "order {order:?}");
        }
        assert_eq!(fold(&[5, 4, 3, 2, 1, 0]), expected);
        let mut all: Vec<[f64; 2]> = events.concat();
        merge(&mut all, tolerance);
        assert_eq!(all, expected);
        // A retried event changes nothing.
        assert_eq!(union(&expected, &events[1], tolerance), expected);
    }

    #[test]
    fn pseudo_random_splits_agree_with_merging_everything() {
        // A small linear congruential generator: no dependency, same cases on every run.
        let mut seed = 0x2545_f491_u64;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for _ in 0..200 {
            let list: Vec<[i64; 2]> = (0..next(12) + 1)
                .map(|_| {
                    let a = next(100) as i64;
                    [a, a + next(15) as i64]
                })
                .collect();
            let mut all = list.clone();
            merge(&mut all, 2);
            let mut acc = Vec::new();
            for chunk in list.chunks(next(3) as usize + 1).rev() {
                acc = union(&acc, chunk, 2);
            }
            assert_eq!(acc, all, "{list:?}");
        }
    }
}
