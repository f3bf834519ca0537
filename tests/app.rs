//! Whole-app UI tests with egui_kittest (feature `ui-tests`).
