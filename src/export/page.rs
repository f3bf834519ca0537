//! Pages of exported maps: their size in pixels (and millimetres for print), the presets
//! offered to the user, and the typographic point that scales text and symbols.

use super::ExportError;

/// Size of the output page.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Page {
    /// Width of the PNG, in pixels.
    pub width_px: u32,
    /// Height of the PNG, in pixels.
    pub height_px: u32,
    /// Physical size for print presets (written in the SVG's `width`/`height`), in millimetres.
    pub size_mm: Option<(f64, f64)>,
}

impl Page {
    /// Pixels per typographic point: the short side of the page counts 595 pt, as the short
    /// side of an A4 page (so 300 dpi A4 gives 300/72 px per pt).
    pub fn pt(&self) -> f64 {
        f64::from(self.width_px.min(self.height_px).max(1)) / 595.0
    }

    /// Whether the page is wider than tall.
    pub fn landscape(&self) -> bool {
        self.width_px >= self.height_px
    }
}

/// Page formats offered to the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    /// A4 landscape at 300 dpi: 3508 × 2480 px.
    A4Landscape,
    /// A4 portrait at 300 dpi: 2480 × 3508 px.
    A4Portrait,
    /// A 16:9 slide: 1920 × 1080 px.
    Slide,
    /// Any size, in pixels.
    Custom {
        /// Width of the page, in pixels.
        width_px: u32,
        /// Height of the page, in pixels.
        height_px: u32,
    },
}

impl Preset {
    /// Parses the command-line name: `a4-paysage`, `a4-portrait`, `diapo` or `LARGEURxHAUTEUR`
    /// (e.g. `1600x900`, from 200 to 20 000 px a side).
    pub fn parse(text: &str) -> Result<Preset, ExportError> {
        let t = text.trim().to_lowercase();
        match t.as_str() {
            "a4-paysage" | "a4" | "a4-landscape" => Ok(Preset::A4Landscape),
            "a4-portrait" => Ok(Preset::A4Portrait),
            "diapo" | "diapositive" | "slide" | "1920x1080" => Ok(Preset::Slide),
            _ => {
                let (w, h) = t
                    .split_once(['x', '×'])
                    .ok_or_else(|| ExportError::Preset(text.to_owned()))?;
                let parse = |s: &str| {
                    s.trim()
                        .parse::<u32>()
                        .ok()
                        .filter(|v| (200..=20_000).contains(v))
                };
                match (parse(w), parse(h)) {
                    (Some(width_px), Some(height_px)) => Ok(Preset::Custom {
                        width_px,
                        height_px,
                    }),
                    _ => Err(ExportError::Preset(text.to_owned())),
                }
            }
        }
    }

    /// The page of this preset.
    pub fn page(self) -> Page {
        match self {
            Preset::A4Landscape => Page {
                width_px: 3508,
                height_px: 2480,
                size_mm: Some((297.0, 210.0)),
            },
            Preset::A4Portrait => Page {
                width_px: 2480,
                height_px: 3508,
                size_mm: Some((210.0, 297.0)),
            },
            Preset::Slide => Page {
                width_px: 1920,
                height_px: 1080,
                size_mm: None,
            },
            Preset::Custom {
                width_px,
                height_px,
            } => Page {
                width_px,
                height_px,
                size_mm: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets() {
        assert_eq!(
            Preset::parse("a4-paysage").map(|p| p.page().width_px).ok(),
            Some(3508)
        );
        assert_eq!(
            Preset::parse("A4-portrait")
                .map(|p| p.page().height_px)
                .ok(),
            Some(3508)
        );
        assert_eq!(
            Preset::parse("diapo").map(|p| p.page().width_px).ok(),
            Some(1920)
        );
        assert_eq!(
            Preset::parse("1600x900").ok(),
            Some(Preset::Custom {
                width_px: 1600,
                height_px: 900
            })
        );
        assert!(Preset::parse("grand").is_err());
        assert!(Preset::parse("10x10").is_err());
    }
}
