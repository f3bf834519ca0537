//! Minimal order-preserving parallel maps over a slice, on the machine's cores (scoped threads,
//! no pool): enough for the per-feature reprojection that dominates loading and for the
//! catchment queries of the 2SFCA.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Applies `f(index, item)` to every item, in parallel chunks, and returns the results in order.
pub fn map_indexed<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(usize, &T) -> R + Sync,
{
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || items.len() < 256 {
        return items.iter().enumerate().map(|(i, t)| f(i, t)).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .enumerate()
            .map(|(c, part)| {
                scope.spawn(move || {
                    part.iter()
                        .enumerate()
                        .map(|(i, t)| f(c * chunk + i, t))
                        .collect::<Vec<R>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// Applies `f(index, item)` to every item and returns the results in order, the threads taking
/// chunks of `chunk_len` items from a shared counter as they finish the previous one: for work
/// whose cost varies a lot from item to item (dense and sparse areas of a map).
pub fn map_indexed_balanced<T, R, F>(items: &[T], chunk_len: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(usize, &T) -> R + Sync,
{
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk_len = chunk_len.max(1);
    if threads < 2 || items.len() <= chunk_len {
        return items.iter().enumerate().map(|(i, t)| f(i, t)).collect();
    }
    let next = AtomicUsize::new(0);
    let chunks = items.len().div_ceil(chunk_len);
    let (f, next) = (&f, &next);
    let mut done: Vec<(usize, Vec<R>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.min(chunks))
            .map(|_| {
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    loop {
                        let c = next.fetch_add(1, Ordering::Relaxed);
                        let start = c.saturating_mul(chunk_len);
                        let Some(part) = items.get(start..items.len().min(start + chunk_len))
                        else {
                            break;
                        };
                        if part.is_empty() {
                            break;
                        }
                        let out: Vec<R> = part
                            .iter()
                            .enumerate()
                            .map(|(i, t)| f(start + i, t))
                            .collect();
                        mine.push((c, out));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    done.sort_unstable_by_key(|(c, _)| *c);
    done.into_iter().flat_map(|(_, v)| v).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order() {
        let items: Vec<usize> = (0..10_000).collect();
        let out = super::map_indexed(&items, |i, x| i * 1_000_000 + x * 2);
        assert!(
            out.iter()
                .enumerate()
                .all(|(i, v)| *v == i * 1_000_000 + i * 2)
        );
    }

    #[test]
    fn balanced_keeps_order() {
        let items: Vec<usize> = (0..10_007).collect();
        let out = super::map_indexed_balanced(&items, 64, |i, x| i * 1_000_000 + x * 2);
        assert_eq!(out.len(), items.len());
        assert!(
            out.iter()
                .enumerate()
                .all(|(i, v)| *v == i * 1_000_000 + i * 2)
        );
    }
}
