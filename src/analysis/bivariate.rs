//! Bivariate 3×3 classification: need tercile × offer tercile, with its key (French labels and
//! the 3×3 colour matrix of Joshua Stevens' pink–blue scheme, as RGB).
//!
//! Terciles are computed over the zones where both values are present: a value `v` is in class
//! 0 (faible) if `v ≤ t1`, 1 (moyen) if `t1 < v ≤ t2`, 2 (fort) otherwise, where `t1`, `t2` are
//! the values at ranks ⌈n/3⌉ and ⌈2n/3⌉ of the sorted values (1-based).

use crate::value::Value;

/// Joshua Stevens' bivariate scheme, `COLOURS[need][offer]` as RGB: need grows to the red,
/// offer to the blue; high need with low offer (`[2][0]`) is the strong red.
pub const COLOURS: [[[u8; 3]; 3]; 3] = [
    [[0xe8, 0xe8, 0xe8], [0xb0, 0xd5, 0xdf], [0x64, 0xac, 0xbe]],
    [[0xe4, 0xac, 0xac], [0xad, 0x9e, 0xa5], [0x62, 0x7f, 0x8c]],
    [[0xc8, 0x5a, 0x5a], [0x98, 0x53, 0x56], [0x57, 0x42, 0x49]],
];

const NEED_WORDS: [&str; 3] = ["faible", "moyen", "fort"];
const OFFER_WORDS: [&str; 3] = ["faible", "moyenne", "forte"];

/// The class of one zone: `(need tercile, offer tercile)`, each 0–2.
pub type BivariateClass = (usize, usize);

/// The classification and its key.
#[derive(Clone, Debug, PartialEq)]
pub struct Bivariate {
    /// One class per zone; `None` when the need or the offer is missing.
    pub classes: Vec<Option<BivariateClass>>,
    /// Need tercile bounds `(t1, t2)`.
    pub need_breaks: Option<(f64, f64)>,
    /// Offer tercile bounds `(t1, t2)`.
    pub offer_breaks: Option<(f64, f64)>,
}

/// The French label of a class (« Besoin fort, offre faible »).
pub fn class_label((need, offer): BivariateClass) -> String {
    format!(
        "Besoin {}, offre {}",
        NEED_WORDS.get(need).unwrap_or(&"?"),
        OFFER_WORDS.get(offer).unwrap_or(&"?")
    )
}

/// The RGB colour of a class.
pub fn class_colour((need, offer): BivariateClass) -> [u8; 3] {
    COLOURS
        .get(need)
        .and_then(|row| row.get(offer))
        .copied()
        .unwrap_or([0x99, 0x99, 0x99])
}

/// The key: the nine classes with their French label and colour, need-major order.
pub fn key() -> Vec<(BivariateClass, String, [u8; 3])> {
    (0..3)
        .flat_map(|n| (0..3).map(move |o| (n, o)))
        .map(|c| (c, class_label(c), class_colour(c)))
        .collect()
}

fn terciles(mut values: Vec<f64>) -> Option<(f64, f64)> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let at = |k: usize| values.get(k.saturating_sub(1)).copied();
    Some((at(n.div_ceil(3))?, at((2 * n).div_ceil(3))?))
}

fn class_of(v: f64, (t1, t2): (f64, f64)) -> usize {
    if v <= t1 {
        0
    } else if v <= t2 {
        1
    } else {
        2
    }
}

/// Classifies every zone by need tercile × offer tercile.
pub fn classify(need: &[Value], offer: &[Value]) -> Bivariate {
    let both: Vec<(f64, f64)> = need
        .iter()
        .zip(offer)
        .filter_map(|(n, o)| Some((n.as_f64()?, o.as_f64()?)))
        .collect();
    let need_breaks = terciles(both.iter().map(|p| p.0).collect());
    let offer_breaks = terciles(both.iter().map(|p| p.1).collect());
    let classes = need
        .iter()
        .zip(offer)
        .map(|(n, o)| {
            Some((
                class_of(n.as_f64()?, need_breaks?),
                class_of(o.as_f64()?, offer_breaks?),
            ))
        })
        .collect();
    Bivariate {
        classes,
        need_breaks,
        offer_breaks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Missing;

    #[test]
    fn terciles_of_six_values() {
        // Sorted needs 1..6: t1 = value at rank ⌈6/3⌉ = 2 → 2, t2 = rank 4 → 4.
        let need: Vec<Value> = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0].map(Value::Number).to_vec();
        // Offers 60..10 (decreasing): t1 = 20, t2 = 40.
        let offer: Vec<Value> = [60.0, 50.0, 40.0, 30.0, 20.0, 10.0]
            .map(Value::Number)
            .to_vec();
        let b = classify(&need, &offer);
        assert_eq!(b.need_breaks, Some((2.0, 4.0)));
        assert_eq!(b.offer_breaks, Some((20.0, 40.0)));
        assert_eq!(
            b.classes,
            vec![
                Some((0, 2)),
                Some((0, 2)),
                Some((1, 1)),
                Some((1, 1)),
                Some((2, 0)),
                Some((2, 0))
            ]
        );
        assert_eq!(class_label((2, 0)), "Besoin fort, offre faible");
        assert_eq!(class_colour((2, 0)), [0xc8, 0x5a, 0x5a]);
        assert_eq!(key().len(), 9);
        let m = classify(&[Value::Missing(Missing::Secret)], &[Value::Number(1.0)]);
        assert_eq!(m.classes, vec![None]);
    }
}
