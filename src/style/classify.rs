//! Classification of indicator values into classes for a choropleth.
//!
//! The methods follow PySAL `mapclassify` (checked against mapclassify 2.10.0 on the sample
//! data by `tests/style.rs`, reference values in `tests/data/mapclassify/`):
//!
//! | method | mapclassify | breaks |
//! |---|---|---|
//! | [`ClassMethod::Quantiles`] | `Quantiles(y, k)` | percentiles `100·i/k` with linear interpolation (scipy `scoreatpercentile`); repeated breaks are merged, so ties can leave fewer than `k` classes |
//! | [`ClassMethod::EqualInterval`] | `EqualInterval(y, k)` | `min + i·(max − min)/k`, last = max |
//! | [`ClassMethod::NaturalBreaks`] | `FisherJenks(y, k)` | exact Fisher–Jenks optimum (minimal within-class sum of squares), computed in `f64` |
//! | [`ClassMethod::StdDev`] | `StdMean(y, multiples)` | `mean + m·σ` (σ with n − 1), multiples from `classes` (see [`std_dev_multiples`]) |
//! | [`ClassMethod::BoxMap`] | `BoxPlot(y, hinge=1.5)` | `Q1 − 1.5·IQR, Q1, median, Q3, Q3 + 1.5·IQR, max` |
//! | [`ClassMethod::Manual`] | `UserDefined(y, bins)` | the user's upper bounds, plus the max when it lies above them |
//!
//! Classes are closed on the right: class `i` holds the values `v` with
//! `breaks[i − 1] < v ≤ breaks[i]` (class 0: `v ≤ breaks[0]`), as mapclassify counts them.
//!
//! Standard deviation and box maps always keep their full number of classes, even when some
//! are empty (no value below `mean − 2σ`, no outlier): the diverging palette stays centred on
//! the mean and the legend shows the empty classes with a count of 0. When no value lies
//! above the last cut, the last break is that cut instead of the max (mapclassify then drops
//! the last class: its breaks are ours without the last one).

use super::{ClassMethod, StyleError};

/// The fewest classes a user can ask for.
pub const MIN_CLASSES: usize = super::spec::CLASS_COUNT_RANGE.0;
/// The most classes a user can ask for.
pub const MAX_CLASSES: usize = super::spec::CLASS_COUNT_RANGE.1;
/// The box map's hinge: outliers lie beyond `HINGE × IQR` from the quartiles.
pub const BOX_HINGE: f64 = 1.5;
/// Relative tolerance under which a value equal to a break up to rounding is in the class the
/// break closes (see [`Classification::class_of`]).
pub const BREAK_TOLERANCE: f64 = 1e-9;
/// The number of classes of a box map.
pub const BOX_CLASSES: usize = 6;

/// Indicator values cut into classes, with what the legend shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Classification {
    /// The method used.
    pub method: ClassMethod,
    /// Class upper bounds, ascending (non-decreasing for standard deviations and box maps,
    /// whose classes may be empty), one per class; the last is the max of the values, except
    /// for standard deviations and box maps (see the module documentation).
    pub breaks: Vec<f64>,
    /// The smallest value classified (the lower bound of the first class in the legend).
    pub min: f64,
    /// The number of values in each class.
    pub counts: Vec<usize>,
    /// The mean of the values.
    pub mean: f64,
    /// The sample standard deviation of the values (n − 1 in the denominator; 0 for one value).
    pub std_dev: f64,
}

/// Cuts `values` into classes.
///
/// `classes` (3 to 9) is ignored for box maps (always 6 classes) and manual breaks.
/// `manual_breaks` is used by [`ClassMethod::Manual`] only: the class upper bounds, strictly
/// ascending; when the max of the values lies above the last one, one more class ends at the
/// max. Missing values must be filtered out by the caller; a non-finite value is an error.
pub fn classify(
    values: &[f64],
    method: ClassMethod,
    classes: usize,
    manual_breaks: &[f64],
) -> Result<Classification, StyleError> {
    if !matches!(method, ClassMethod::Manual | ClassMethod::BoxMap)
        && !(MIN_CLASSES..=MAX_CLASSES).contains(&classes)
    {
        return Err(StyleError::ClassCount { classes });
    }
    if let Some(index) = values.iter().position(|v| !v.is_finite()) {
        return Err(StyleError::NotFinite { index });
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let (Some(&min), Some(&max)) = (sorted.first(), sorted.last()) else {
        return Err(StyleError::NoValues);
    };
    let n = sorted.len() as f64;
    let mean = sorted.iter().sum::<f64>() / n;
    let std_dev = if sorted.len() > 1 {
        (sorted.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    let breaks = match method {
        ClassMethod::Quantiles => dedup(quantile_breaks(&sorted, classes)),
        ClassMethod::EqualInterval => dedup(equal_interval_breaks(min, max, classes)),
        ClassMethod::NaturalBreaks => dedup(fisher_jenks_breaks(&sorted, classes)),
        ClassMethod::StdDev => {
            let mut cuts: Vec<f64> = std_dev_multiples(classes)
                .iter()
                .map(|m| mean + std_dev * m)
                .collect();
            let last = cuts.last().copied().unwrap_or(max);
            cuts.push(max.max(last));
            cuts
        }
        ClassMethod::BoxMap => box_breaks(&sorted),
        ClassMethod::Manual => manual(manual_breaks, max)?,
    };
    let mut classification = Classification {
        method,
        breaks,
        min,
        counts: Vec::new(),
        mean,
        std_dev,
    };
    let mut counts = vec![0; classification.breaks.len()];
    for &v in &sorted {
        if let Some(c) = classification.class_of(v).and_then(|i| counts.get_mut(i)) {
            *c += 1;
        }
    }
    classification.counts = counts;
    Ok(classification)
}

/// The multiples of σ where the standard-deviation method cuts, for `classes` classes:
/// an odd count puts the mean in a central class `mean ± 1σ` (3: `−1, +1`; 5: `−2, −1, +1, +2`,
/// mapclassify's default; 7: `±1, ±2, ±3`; 9: `±1…±4`), an even count cuts at the mean too
/// (4: `−1, 0, +1`; 6: `−2, −1, 0, +1, +2`; 8: `−3…+3`). A last class above the last cut
/// makes `classes` classes in all.
pub fn std_dev_multiples(classes: usize) -> Vec<f64> {
    let half = (classes.saturating_sub(1) / 2) as i32;
    let mut multiples: Vec<f64> = (1..=half).rev().map(|m| -f64::from(m)).collect();
    if classes.is_multiple_of(2) {
        multiples.push(0.0);
    }
    multiples.extend((1..=half).map(f64::from));
    multiples
}

/// The `p`-th percentile (0–100) of sorted values with linear interpolation between
/// neighbours, as scipy's `scoreatpercentile` (and numpy's default `percentile`).
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let index = p / 100.0 * last as f64;
    let below = index.floor().clamp(0.0, last as f64) as usize;
    let low = *sorted.get(below)?;
    let fraction = index - below as f64;
    if fraction <= 0.0 {
        return Some(low);
    }
    let high = sorted.get(below + 1).copied().unwrap_or(low);
    Some(low + (high - low) * fraction)
}

fn quantile_breaks(sorted: &[f64], classes: usize) -> Vec<f64> {
    // mapclassify: p = np.arange(w, 100 + w, w) with w = 100 / k, the last clamped to 100.
    let step = 100.0 / classes as f64;
    (0..classes)
        .map(|i| (step + i as f64 * step).min(100.0))
        .filter_map(|p| percentile(sorted, p))
        .collect()
}

fn equal_interval_breaks(min: f64, max: f64, classes: usize) -> Vec<f64> {
    // mapclassify: np.arange(min + width, max + width, width), the last replaced by the max.
    let width = (max - min) / classes as f64;
    let start = min + width;
    let delta = (start + width) - start;
    let mut breaks: Vec<f64> = (0..classes.saturating_sub(1))
        .map(|i| start + i as f64 * delta)
        .collect();
    breaks.push(max);
    breaks
}

fn box_breaks(sorted: &[f64]) -> Vec<f64> {
    let q = |p| percentile(sorted, p).unwrap_or(f64::NAN);
    let (q1, median, q3, max) = (q(25.0), q(50.0), q(75.0), q(100.0));
    let iqr = q3 - q1;
    let low_fence = q1 - BOX_HINGE * iqr;
    let high_fence = q3 + BOX_HINGE * iqr;
    vec![low_fence, q1, median, q3, high_fence, max.max(high_fence)]
}

fn manual(breaks: &[f64], max: f64) -> Result<Vec<f64>, StyleError> {
    if let Some(b) = breaks.iter().find(|b| !b.is_finite()) {
        return Err(StyleError::ManualBreaks {
            reason: format!("seuil non fini ({b})"),
        });
    }
    if let Some(w) = breaks.windows(2).find(|w| w.first() >= w.get(1)) {
        return Err(StyleError::ManualBreaks {
            reason: format!(
                "les seuils doivent être strictement croissants ({} puis {})",
                format_fr(w.first().copied().unwrap_or_default(), 4),
                format_fr(w.get(1).copied().unwrap_or_default(), 4)
            ),
        });
    }
    let mut out = breaks.to_vec();
    if out.last().is_none_or(|&last| last < max) {
        out.push(max);
    }
    if !(MIN_CLASSES..=MAX_CLASSES).contains(&out.len()) {
        return Err(StyleError::ManualBreaks {
            reason: format!(
                "{} seuil(s) donnent {} classe(s) ; il en faut de {MIN_CLASSES} à {MAX_CLASSES}",
                breaks.len(),
                out.len()
            ),
        });
    }
    Ok(out)
}

fn dedup(mut breaks: Vec<f64>) -> Vec<f64> {
    breaks.dedup();
    breaks
}

/// Fisher–Jenks natural breaks: the partition of the sorted values into `classes` contiguous
/// groups with the smallest total within-group sum of squared deviations.
///
/// Exact dynamic programming (Fisher 1958), with the divide-and-conquer speed-up that the
/// monotonicity of the optimal split allows (as Ckmeans.1d.dp): O(k·n·log n) instead of the
/// O(k·n²) of mapclassify, so 35,000 communes classify in milliseconds. Among equal-cost
/// splits the earliest start of the upper class is kept, as mapclassify does. With fewer
/// distinct values than classes, each distinct value is its own class.
fn fisher_jenks_breaks(sorted: &[f64], classes: usize) -> Vec<f64> {
    let mut distinct = sorted.to_vec();
    distinct.dedup();
    if distinct.len() <= classes {
        return distinct;
    }
    let n = sorted.len();
    // Prefix sums of values shifted by the median, for a well-conditioned sum of squares.
    let shift = sorted.get(n / 2).copied().unwrap_or(0.0);
    let mut s1 = vec![0.0; n + 1];
    let mut s2 = vec![0.0; n + 1];
    for (i, v) in sorted.iter().enumerate() {
        let x = v - shift;
        s1[i + 1] = s1[i] + x;
        s2[i + 1] = s2[i] + x * x;
    }
    // Sum of squared deviations of sorted[i..=j].
    let ssq = |i: usize, j: usize| -> f64 {
        let w = (j + 1 - i) as f64;
        let a = s1[j + 1] - s1[i];
        (s2[j + 1] - s2[i] - a * a / w).max(0.0)
    };
    // cost[j]: best cost of sorted[0..=j] in c classes; start[c][j]: where its last class starts.
    let mut previous: Vec<f64> = (0..n).map(|j| ssq(0, j)).collect();
    let mut starts: Vec<Vec<usize>> = vec![vec![0; n]];
    for c in 1..classes {
        let mut current = vec![f64::INFINITY; n];
        let mut start = vec![0; n];
        // Ends j from c (c + 1 values at least) to n − 1; the split index is monotone in j.
        let mut stack = vec![(c, n - 1, c, n - 1)];
        while let Some((lo, hi, opt_lo, opt_hi)) = stack.pop() {
            let mid = lo + (hi - lo) / 2;
            let mut best = f64::INFINITY;
            let mut best_i = opt_lo.max(c);
            for i in opt_lo.max(c)..=opt_hi.min(mid) {
                let cost = previous[i - 1] + ssq(i, mid);
                if cost < best {
                    best = cost;
                    best_i = i;
                }
            }
            current[mid] = best;
            start[mid] = best_i;
            if mid > lo {
                stack.push((lo, mid - 1, opt_lo, best_i));
            }
            if mid < hi {
                stack.push((mid + 1, hi, best_i, opt_hi));
            }
        }
        previous = current;
        starts.push(start);
    }
    let mut breaks = vec![0.0; classes];
    let mut end = n - 1;
    for c in (0..classes).rev() {
        breaks[c] = sorted[end];
        if c > 0 {
            let s = starts[c][end];
            end = s.saturating_sub(1);
        }
    }
    breaks
}

impl Classification {
    /// The class of `v` (0 = first class), or `None` for a value above the last break or not a
    /// number. Values below the first break fall in the first class.
    ///
    /// A value within a relative 1e-9 of a break belongs to the class the break closes: a
    /// computed break such as `0 + 3 × 8.1 = 24.299999999999997` must hold the zone at `24.3`
    /// that the legend (`de 16,2 à 24,3`) promises. (mapclassify compares exactly, so its
    /// counts differ on such ties; see `tests/style.rs`.)
    pub fn class_of(&self, v: f64) -> Option<usize> {
        if v.is_nan() {
            return None;
        }
        self.breaks
            .iter()
            .position(|&b| v <= b + BREAK_TOLERANCE * b.abs().max(1.0))
    }

    /// The number of classes.
    pub fn len(&self) -> usize {
        self.breaks.len()
    }

    /// Whether there is no class (never true for a classification made by [`classify`]).
    pub fn is_empty(&self) -> bool {
        self.breaks.is_empty()
    }

    /// The number of decimals the legend uses: enough to tell every break apart (0 to 3),
    /// at least 1 when a break is not an integer.
    pub fn decimals(&self) -> usize {
        let mut bounds = vec![self.min];
        bounds.extend(&self.breaks);
        let all_integers = bounds.iter().all(|b| b.fract() == 0.0);
        let first = if all_integers { 0 } else { 1 };
        (first..=3)
            .find(|&d| {
                bounds
                    .windows(2)
                    .all(|w| w[0] == w[1] || format_fr(w[0], d) != format_fr(w[1], d))
            })
            .unwrap_or(3)
    }

    /// The legend label of each class, in French with a decimal comma: `de 8,2 à 12,5`.
    ///
    /// Open-ended classes say so: standard deviations (`jusqu'à 8,2 (moins de −2 σ)`,
    /// `plus de 20,1 (plus de +2 σ)`, inner classes with their σ range) and box maps
    /// (`valeurs extrêmes basses (jusqu'à 3,1)`, `valeurs extrêmes hautes (plus de 25,4)`).
    pub fn labels(&self) -> Vec<String> {
        let d = self.decimals();
        let f = |x: f64| format_fr(x, d);
        let k = self.breaks.len();
        let range = |i: usize| -> String {
            let low = if i == 0 {
                self.min
            } else {
                self.breaks.get(i - 1).copied().unwrap_or(self.min)
            };
            let high = self.breaks.get(i).copied().unwrap_or(low);
            format!("de {} à {}", f(low), f(high))
        };
        let before_last = |i: usize| self.breaks.get(i.saturating_sub(1)).copied();
        match self.method {
            ClassMethod::StdDev => {
                let multiples = std_dev_multiples(k);
                let sigma = |m: f64| {
                    if m == 0.0 {
                        "moyenne".to_owned()
                    } else {
                        format!("{}{} σ", if m < 0.0 { "−" } else { "+" }, m.abs())
                    }
                };
                (0..k)
                    .map(|i| {
                        let first = self.breaks.first().copied().unwrap_or(self.min);
                        if i == 0 {
                            let m = multiples.first().copied().unwrap_or(0.0);
                            format!("jusqu'à {} (moins de {})", f(first), sigma(m))
                        } else if i + 1 == k {
                            let m = multiples.last().copied().unwrap_or(0.0);
                            let low = before_last(i).unwrap_or(self.min);
                            format!("plus de {} (plus de {})", f(low), sigma(m))
                        } else {
                            let lo = multiples.get(i - 1).copied().unwrap_or(0.0);
                            let hi = multiples.get(i).copied().unwrap_or(0.0);
                            format!("{} ({} à {})", range(i), sigma(lo), sigma(hi))
                        }
                    })
                    .collect()
            }
            ClassMethod::BoxMap if k == BOX_CLASSES => (0..k)
                .map(|i| {
                    if i == 0 {
                        let first = self.breaks.first().copied().unwrap_or(self.min);
                        format!("valeurs extrêmes basses (jusqu'à {})", f(first))
                    } else if i + 1 == k {
                        let low = before_last(i).unwrap_or(self.min);
                        format!("valeurs extrêmes hautes (plus de {})", f(low))
                    } else {
                        range(i)
                    }
                })
                .collect(),
            _ => (0..k).map(range).collect(),
        }
    }
}

/// Formats `x` with `decimals` decimals the French way: decimal comma, thousands separated by
/// a no-break space from 10 000 on, a true minus sign: `-1234.5` → `−1234,5`,
/// `12500` → `12 500`.
pub fn format_fr(x: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, x.abs());
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i.to_owned(), Some(f.to_owned())),
        None => (text.clone(), None),
    };
    let grouped = if int_part.len() > 4 {
        let mut out = String::new();
        for (i, c) in int_part.chars().enumerate() {
            if i > 0 && (int_part.len() - i) % 3 == 0 {
                out.push('\u{a0}');
            }
            out.push(c);
        }
        out
    } else {
        int_part
    };
    let is_zero = text.chars().all(|c| c == '0' || c == '.');
    let sign = if x < 0.0 && !is_zero { "−" } else { "" };
    match frac_part {
        Some(f) => format!("{sign}{grouped},{f}"),
        None => format!("{sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn percentiles_interpolate_linearly() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(percentile(&v, 100.0), Some(4.0));
        assert_relative_eq!(percentile(&v, 25.0).unwrap_or_default(), 1.75);
        assert_relative_eq!(percentile(&v, 50.0).unwrap_or_default(), 2.5);
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn fisher_jenks_finds_obvious_groups() {
        let v = [1.0, 1.1, 1.2, 5.0, 5.1, 9.0, 9.2, 9.3];
        let c = classify(&v, ClassMethod::NaturalBreaks, 3, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.breaks, vec![1.2, 5.1, 9.3]);
        assert_eq!(c.counts, vec![3, 2, 3]);
    }

    #[test]
    fn fisher_jenks_matches_brute_force() {
        // Pseudo-random values; the exhaustive search over every pair of cuts is the oracle.
        let mut x = 12345u64;
        let mut v: Vec<f64> = (0..40)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((x >> 33) % 1000) as f64 / 10.0
            })
            .collect();
        v.sort_by(f64::total_cmp);
        let sse = |s: &[f64]| {
            let m = s.iter().sum::<f64>() / s.len() as f64;
            s.iter().map(|x| (x - m).powi(2)).sum::<f64>()
        };
        let mut best = (f64::INFINITY, 0, 0);
        for a in 1..v.len() - 1 {
            for b in a + 1..v.len() {
                let cost = sse(&v[..a]) + sse(&v[a..b]) + sse(&v[b..]);
                if cost < best.0 - 1e-9 {
                    best = (cost, a, b);
                }
            }
        }
        let c = classify(&v, ClassMethod::NaturalBreaks, 3, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.breaks, vec![v[best.1 - 1], v[best.2 - 1], v[v.len() - 1]]);
    }

    #[test]
    fn class_counts_and_legend() {
        let v = [8.2, 9.0, 10.0, 12.5, 14.0, 20.0];
        let c =
            classify(&v, ClassMethod::Manual, 0, &[10.0, 12.5]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.breaks, vec![10.0, 12.5, 20.0]);
        assert_eq!(c.counts, vec![3, 1, 2]);
        assert_eq!(
            c.labels(),
            vec!["de 8,2 à 10,0", "de 10,0 à 12,5", "de 12,5 à 20,0"]
        );
        assert_eq!(c.class_of(0.0), Some(0));
        assert_eq!(c.class_of(20.0), Some(2));
        assert_eq!(c.class_of(20.1), None);
    }

    #[test]
    fn std_dev_multiples_make_the_asked_classes() {
        for k in MIN_CLASSES..=MAX_CLASSES {
            assert_eq!(std_dev_multiples(k).len() + 1, k, "{k}");
        }
        assert_eq!(std_dev_multiples(5), vec![-2.0, -1.0, 1.0, 2.0]);
        assert_eq!(std_dev_multiples(4), vec![-1.0, 0.0, 1.0]);
    }

    #[test]
    fn errors_are_in_french() {
        let e = classify(&[1.0], ClassMethod::Quantiles, 12, &[]).err();
        assert_eq!(
            e.map(|e| e.to_string()),
            Some("nombre de classes invalide : 12 (choisir entre 3 et 9)".to_owned())
        );
        assert!(matches!(
            classify(&[], ClassMethod::Quantiles, 5, &[]),
            Err(StyleError::NoValues)
        ));
        assert!(matches!(
            classify(&[1.0, 2.0, 3.0], ClassMethod::Manual, 5, &[2.0, 1.0]),
            Err(StyleError::ManualBreaks { .. })
        ));
    }

    #[test]
    fn french_numbers() {
        assert_eq!(format_fr(12.46, 1), "12,5");
        assert_eq!(format_fr(-3.0, 0), "−3");
        assert_eq!(format_fr(-0.01, 1), "0,0");
        assert_eq!(format_fr(12500.0, 0), "12\u{a0}500");
        assert_eq!(format_fr(1250.0, 0), "1250");
    }
}
