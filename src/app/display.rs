//! How values are written on screen, shared by the panels and the dialogs.

use crate::value::{ValueRef, format_number};

/// A value as the UI shows it (missing values with their reason).
pub fn display_value<'a>(v: impl Into<ValueRef<'a>>) -> String {
    match v.into() {
        ValueRef::Missing(m) => format!("— ({m})"),
        ValueRef::Number(x) => format_number((x * 100.0).round() / 100.0),
        ValueRef::Text(t) => t.to_owned(),
    }
}
