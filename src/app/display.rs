//! How values are written on screen, shared by the panels and the dialogs.

use crate::value::{Value, format_number};

/// A value as the UI shows it (missing values with their reason).
pub fn display_value(v: &Value) -> String {
    match v {
        Value::Missing(m) => format!("— ({m})"),
        Value::Number(x) => format_number((x * 100.0).round() / 100.0),
        Value::Text(t) => t.clone(),
    }
}
