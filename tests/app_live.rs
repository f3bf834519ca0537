//! The under-served tools at the pace of the user (issue 12 §4): the coverage is computed once,
//! in the background, while the map says so; the sliders only re-apply the rule.

mod common;

use cartosol::app::CartoSolApp;
use cartosol::app::Command;
use cartosol::app::basemap::BasemapChoice;
use cartosol::app::coverage_cache::COMPUTING_TEXT;
use cartosol::style::map_style::UNDERSERVED_COLOR;
use common::app;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::sync::atomic::Ordering;

/// Runs frames until `done` (at most 20 s).
fn wait_until(harness: &mut Harness<'static, CartoSolApp>, done: impl Fn(&CartoSolApp) -> bool) {
    for _ in 0..400 {
        harness.run_steps(1);
        if done(harness.state()) {
            harness.run_steps(2);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("timed out");
}

/// Pixels of the rendered window in the red of the under-served outlines (within a few units:
/// the outlines are anti-aliased at their edges only).
fn underserved_pixels(harness: &mut Harness<'static, CartoSolApp>) -> usize {
    let image = harness.render().expect("rendered");
    let [r, g, b] = UNDERSERVED_COLOR;
    image
        .pixels()
        .filter(|p| p.0[0].abs_diff(r) <= 6 && p.0[1].abs_diff(g) <= 6 && p.0[2].abs_diff(b) <= 6)
        .count()
}

#[test]
fn the_map_says_computing_then_fills_in_when_the_background_coverage_ends() {
    let mut harness = app(BasemapChoice::None, "live-attente");
    let before = underserved_pixels(&mut harness);
    // The background job is held before it computes: the map is drawn meanwhile.
    harness
        .state()
        .analysis
        .hold_jobs
        .store(true, Ordering::Relaxed);
    harness.state_mut().send(Command::ShowUnderserved(true));
    harness.run_steps(4);
    assert!(harness.state().analysis.computing());
    assert!(harness.state().analysis.gaps.is_none());
    harness.get_by_label(COMPUTING_TEXT);
    assert_eq!(
        underserved_pixels(&mut harness),
        before,
        "no zone outlined before the figures arrive"
    );
    harness
        .state()
        .analysis
        .hold_jobs
        .store(false, Ordering::Relaxed);
    wait_until(&mut harness, |a| a.analysis.gaps.is_some());
    assert!(harness.query_by_label(COMPUTING_TEXT).is_none());
    let flagged = harness
        .state()
        .analysis
        .gaps
        .as_ref()
        .map_or(0, |g| g.result.flagged.len());
    assert!(flagged > 0);
    let after = underserved_pixels(&mut harness);
    assert!(
        after > before + 200,
        "the flagged zones are outlined once the figures arrive: {before} → {after} red pixels"
    );
    assert_eq!(harness.state().analysis.coverage_runs, 1);
}

#[test]
fn moving_the_need_slider_reapplies_the_rule_without_recomputing_the_coverage() {
    let mut harness = app(BasemapChoice::None, "live-curseur");
    harness.state_mut().send(Command::ShowUnderserved(true));
    wait_until(&mut harness, |a| a.analysis.gaps.is_some());
    assert_eq!(harness.state().analysis.coverage_runs, 1);
    let (lo, hi) = harness.state().analysis.gaps.as_ref().unwrap().need_range;
    let flagged_at = |harness: &Harness<'static, CartoSolApp>| {
        harness
            .state()
            .analysis
            .gaps
            .as_ref()
            .unwrap()
            .result
            .flagged
            .len()
    };
    // The slider of the need threshold, moved as a user would (its accessibility action).
    let mut counts = Vec::new();
    for t in [lo, hi] {
        harness
            .get_by_role_and_label(Role::Slider, "Besoin : TP60 au moins")
            .set_value_accesskit(t);
        harness.run_steps(2);
        assert_eq!(harness.state().analysis.need_threshold, Some(t));
        counts.push(flagged_at(&harness));
    }
    // At the lowest need every zone with a low offer is flagged; at the highest, at most the
    // zones at the maximum: the rule was applied again each time.
    assert!(counts[0] > counts[1], "{counts:?}");
    assert!(!harness.state().analysis.computing());
    assert_eq!(harness.state().analysis.coverage_runs, 1);
}
