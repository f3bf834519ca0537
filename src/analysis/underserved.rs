//! Under-served zones by an explicit rule: **need at or above a threshold** (or among the
//! highest values) **and offer at or below a threshold** (or strictly below). A pure function
//! of the values and the thresholds, so the app can drive it with sliders; the rule is also
//! written in French for the legend.

use crate::value::{Value, format_number};

/// How the need side of the rule selects zones.
#[derive(Clone, Debug, PartialEq)]
pub enum NeedThreshold {
    /// Need ≥ the value.
    AtLeast(f64),
    /// Need among the highest `share` (0–1) of the zones with a value (e.g. 0.2 = top quintile):
    /// need ≥ the value at that rank.
    TopShare(f64),
}

/// How the offer side of the rule selects zones.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OfferThreshold {
    /// Offer ≤ the value (« au plus »).
    AtMost(f64),
    /// Offer < the value (« moins de »).
    Below(f64),
}

/// An under-served rule, with the words that describe its two indicators.
#[derive(Clone, Debug, PartialEq)]
pub struct UnderservedRule {
    /// The need indicator in words (« taux de pauvreté »).
    pub need_label: String,
    /// Its unit as written after a value (« % », « ménages »…), empty for none.
    pub need_unit: String,
    /// The need side.
    pub need: NeedThreshold,
    /// The offer indicator in words, as written after a number
    /// (« France Services pour 10 000 habitants »).
    pub offer_label: String,
    /// The offer side.
    pub offer: OfferThreshold,
}

/// A flagged zone with the figures that flagged it.
#[derive(Clone, Debug, PartialEq)]
pub struct FlaggedZone {
    /// The zone's index in the layer.
    pub zone: usize,
    /// Its need value.
    pub need: f64,
    /// Its offer value.
    pub offer: f64,
}

/// The result of the rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Underserved {
    /// Flagged zones, highest need first.
    pub flagged: Vec<FlaggedZone>,
    /// The need threshold actually applied (the value at the rank for `TopShare`).
    pub need_threshold: Option<f64>,
    /// Zones left out because their need or offer is missing (their index).
    pub not_assessed: Vec<usize>,
    /// The rule in French (« Zones sous-desservies : … »).
    pub rule_text: String,
}

fn with_unit(x: f64, unit: &str) -> String {
    if unit.is_empty() {
        format_number(x)
    } else {
        format!("{} {unit}", format_number(x))
    }
}

/// The default threshold of a side of the rule (the app's starting point): the median of the
/// present values — for an even count, the upper of the two middle values (rank n/2 + 1 of the
/// sorted values, 1-based). `None` when no value is present.
pub fn median_threshold(values: &[Value]) -> Option<f64> {
    let mut xs: Vec<f64> = values.iter().filter_map(Value::as_f64).collect();
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied()
}

/// Applies `rule` to one need and one offer value per zone. Zones with a missing need or
/// offer are never flagged: they are listed in `not_assessed`.
pub fn underserved(need: &[Value], offer: &[Value], rule: &UnderservedRule) -> Underserved {
    let pairs: Vec<(usize, f64, f64)> = need
        .iter()
        .zip(offer)
        .enumerate()
        .filter_map(|(i, (n, o))| Some((i, n.as_f64()?, o.as_f64()?)))
        .collect();
    let mut assessed = vec![false; need.len().min(offer.len())];
    for &(i, _, _) in &pairs {
        if let Some(a) = assessed.get_mut(i) {
            *a = true;
        }
    }
    let not_assessed = (0..assessed.len())
        .filter(|&i| !assessed.get(i).copied().unwrap_or(true))
        .collect();
    let need_threshold = match &rule.need {
        NeedThreshold::AtLeast(t) => Some(*t),
        NeedThreshold::TopShare(share) => {
            let mut values: Vec<f64> = pairs.iter().map(|(_, n, _)| *n).collect();
            values.sort_by(|a, b| b.total_cmp(a));
            let k = ((values.len() as f64) * share.clamp(0.0, 1.0)).ceil() as usize;
            k.checked_sub(1).and_then(|k| values.get(k)).copied()
        }
    };
    let offer_ok = |o: f64| match rule.offer {
        OfferThreshold::AtMost(t) => o <= t,
        OfferThreshold::Below(t) => o < t,
    };
    let mut flagged: Vec<FlaggedZone> = pairs
        .iter()
        .filter(|(_, n, o)| need_threshold.is_some_and(|t| *n >= t) && offer_ok(*o))
        .map(|&(zone, need, offer)| FlaggedZone { zone, need, offer })
        .collect();
    flagged.sort_by(|a, b| b.need.total_cmp(&a.need).then(a.zone.cmp(&b.zone)));
    let need_text = match (&rule.need, need_threshold) {
        (NeedThreshold::AtLeast(t), _) => {
            format!("{} ≥ {}", rule.need_label, with_unit(*t, &rule.need_unit))
        }
        (NeedThreshold::TopShare(s), t) => format!(
            "{} parmi les {} % de zones les plus élevées{}",
            rule.need_label,
            format_number(s * 100.0),
            t.map(|t| format!(" (≥ {})", with_unit(t, &rule.need_unit)))
                .unwrap_or_default()
        ),
    };
    let offer_text = match rule.offer {
        OfferThreshold::AtMost(t) => format!("au plus {} {}", format_number(t), rule.offer_label),
        OfferThreshold::Below(t) => format!("moins de {} {}", format_number(t), rule.offer_label),
    };
    Underserved {
        flagged,
        need_threshold,
        not_assessed,
        rule_text: format!("Zones sous-desservies : {need_text} et {offer_text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Missing;

    fn rule(need: NeedThreshold, offer: OfferThreshold) -> UnderservedRule {
        UnderservedRule {
            need_label: "taux de pauvreté".into(),
            need_unit: "%".into(),
            need,
            offer_label: "France Services pour 10 000 habitants".into(),
            offer,
        }
    }

    #[test]
    fn threshold_rule_with_words() {
        let need = [20.0, 18.0, 25.0, 10.0].map(Value::Number).to_vec();
        let mut need = need;
        need.push(Value::Missing(Missing::Secret));
        let offer = [0.5, 1.0, 2.0, 0.0, 0.0].map(Value::Number).to_vec();
        let r = underserved(
            &need,
            &offer,
            &rule(NeedThreshold::AtLeast(18.0), OfferThreshold::Below(1.0)),
        );
        // Zone 0: 20 ≥ 18 and 0.5 < 1 → flagged; zone 1: 1.0 is not < 1; zone 2: offer 2;
        // zone 3: need 10 < 18; zone 4: need secret → not assessed.
        assert_eq!(
            r.flagged,
            vec![FlaggedZone {
                zone: 0,
                need: 20.0,
                offer: 0.5
            }]
        );
        assert_eq!(r.not_assessed, vec![4]);
        assert_eq!(
            r.rule_text,
            "Zones sous-desservies : taux de pauvreté ≥ 18 % et moins de 1 France Services pour 10 000 habitants"
        );
        let r = underserved(
            &need,
            &offer,
            &rule(NeedThreshold::AtLeast(18.0), OfferThreshold::AtMost(1.0)),
        );
        assert_eq!(
            r.flagged.iter().map(|f| f.zone).collect::<Vec<_>>(),
            vec![0, 1]
        );
    }

    #[test]
    fn median_threshold_is_the_middle_value() {
        // Sorted 1, 3, 7 → 3; sorted 1, 3, 7, 9 → the upper middle value, 7; missing ignored.
        let v = |xs: &[f64]| xs.iter().copied().map(Value::Number).collect::<Vec<_>>();
        assert_eq!(median_threshold(&v(&[7.0, 1.0, 3.0])), Some(3.0));
        let mut four = v(&[9.0, 1.0, 7.0, 3.0]);
        four.push(Value::Missing(Missing::Secret));
        assert_eq!(median_threshold(&four), Some(7.0));
        assert_eq!(median_threshold(&[Value::Missing(Missing::Secret)]), None);
    }

    #[test]
    fn top_share_uses_the_value_at_rank() {
        // Needs 10, 20, 30, 40, 50; top 40 % = 2 zones → threshold 40.
        let need: Vec<Value> = [10.0, 20.0, 30.0, 40.0, 50.0].map(Value::Number).to_vec();
        let offer: Vec<Value> = [0.0, 0.0, 0.0, 0.0, 3.0].map(Value::Number).to_vec();
        let r = underserved(
            &need,
            &offer,
            &rule(NeedThreshold::TopShare(0.4), OfferThreshold::AtMost(0.0)),
        );
        assert_eq!(r.need_threshold, Some(40.0));
        assert_eq!(
            r.flagged.iter().map(|f| f.zone).collect::<Vec<_>>(),
            vec![3]
        );
        assert!(
            r.rule_text
                .contains("parmi les 40 % de zones les plus élevées (≥ 40 %)"),
            "{}",
            r.rule_text
        );
    }
}
