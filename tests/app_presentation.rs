//! Presentation mode (placeholder).
