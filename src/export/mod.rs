//! Report-ready exports of maps and layers (being built).
