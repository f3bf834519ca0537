//! The *Implantation de nouveaux sites* window driven on the real app (egui_kittest): the
//! question set, the answer computed in the background and shown as the library gives it on
//! the sample project opened from disk, the scenario saved in the project and drawn.

mod common;

use cartosol::analysis::siting::{
    CandidatePlaces, ExistingSites, Goal, SitingOptions, SitingRequest, answer,
};
use cartosol::app::basemap::BasemapChoice;
use cartosol::app::siting::{SitingCommand, summary_text};
use cartosol::app::{CartoSolApp, Command};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn wait(harness: &mut Harness<'static, CartoSolApp>) {
    for _ in 0..600 {
        harness.run_steps(1);
        if !harness.state().siting.running() {
            harness.run_steps(2);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("calcul de l'implantation trop long");
}

#[test]
fn siting_in_the_app_equals_the_library_and_saves_a_scenario() {
    let mut harness = common::app(BasemapChoice::None, "siting");
    harness.get_by_label("Affichage").click();
    harness.run_steps(2);
    harness
        .get_by_label("Implantation de nouveaux sites")
        .click();
    harness.run_steps(3);
    let mut form = harness.state().siting.form.clone().expect("formulaire");
    // The defaults: poor households of the communes, the town halls as candidates.
    assert_eq!(form.demand_layer, "communes");
    assert_eq!(form.weight_field, "NB_MEN_PAUV");
    assert_eq!(form.candidates, "mairies");
    form.theme = Some("France Services".into());
    form.radius_km = 5.0;
    form.k = 3;
    harness
        .state_mut()
        .send(Command::Siting(SitingCommand::SetForm(form)));
    harness.run_steps(2);
    harness.get_by_label("Calculer l'implantation").click();
    harness.run_steps(1);
    wait(&mut harness);

    // The library on the project read from disk, as `cartosol siting` does.
    let project =
        cartosol::project::open_project(&cartosol::bundled::find_sample_project().unwrap())
            .unwrap();
    let request = SitingRequest {
        demand_layer: "communes".into(),
        weight_field: "NB_MEN_PAUV".into(),
        candidates: CandidatePlaces::Points("mairies".into()),
        existing: Some(ExistingSites {
            layer: "services".into(),
            theme_field: "dispositif".into(),
            theme: "France Services".into(),
        }),
        radius_m: 5000.0,
        goal: Goal::Sites(3),
    };
    let (problem, expected) =
        answer(&project, &request, &SitingOptions::default(), &|_| {}).unwrap();
    harness.get_by_label(&summary_text(&expected, 5.0));
    for c in &expected.chosen {
        harness.get_by_label(&problem.candidate_labels[c.candidate].1);
    }
    let image = harness.render().unwrap();
    image
        .save(std::env::temp_dir().join("cartosol-implantation.png"))
        .unwrap();

    harness.get_by_label("Enregistrer le scénario").click();
    harness.run_steps(3);
    let saved = harness.state().ws.file.siting.clone();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].name, "3 site(s) à 5 km");
    assert_eq!(saved[0].covered_after, expected.covered_after);
    harness.get_by_label("Scénarios enregistrés : 1");
}
