//! A small RGB canvas for the digest chart: filled rectangles and anti-aliased text in DejaVu
//! Sans, which the `dejavu` crate ships, so no system font is read. Glyphs are laid out with
//! their advances, kerning and side bearings.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};

/// An RGB colour.
pub type Rgb = [u8; 3];

/// The two weights the chart uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Regular,
    Bold,
}

/// DejaVu Sans regular and bold, parsed once.
struct Fonts {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

fn fonts() -> Option<&'static Fonts> {
    static FONTS: OnceLock<Option<Fonts>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            Some(Fonts {
                regular: FontRef::try_from_slice(dejavu::sans::regular()).ok()?,
                bold: FontRef::try_from_slice(dejavu::sans::bold()).ok()?,
            })
        })
        .as_ref()
}

/// A font at a size, ready to measure and draw text.
#[derive(Clone, Copy)]
pub struct TextStyle {
    font: &'static FontRef<'static>,
    size: f32,
}

impl TextStyle {
    /// DejaVu Sans at `size` pixels (line height), or `None` if the font could not be read.
    pub fn new(weight: Weight, size: f32) -> Option<TextStyle> {
        let fonts = fonts()?;
        let font = match weight {
            Weight::Regular => &fonts.regular,
            Weight::Bold => &fonts.bold,
        };
        Some(TextStyle { font, size })
    }

    /// DejaVu Sans with an em of `em` pixels, as CSS sizes text (`font-size: 16px`).
    pub fn with_em(weight: Weight, em: f32) -> Option<TextStyle> {
        let style = TextStyle::new(weight, 1.0)?;
        let per_em = style.font.units_per_em()?;
        TextStyle::new(weight, em * style.font.height_unscaled() / per_em)
    }

    /// The em of the text, in pixels (its CSS `font-size`).
    pub fn em(&self) -> f32 {
        self.font.units_per_em().map_or(self.size, |per_em| {
            self.size * per_em / self.font.height_unscaled()
        })
    }

    /// The width of `text` on one line, in pixels.
    pub fn width(&self, text: &str) -> f32 {
        self.advances(text).last().map_or(0.0, |(_, end)| *end)
    }

    /// The height of a line (ascent plus descent), in pixels.
    pub fn line_height(&self) -> f32 {
        let scaled = self.font.as_scaled(PxScale::from(self.size));
        scaled.ascent() - scaled.descent()
    }

    /// `text` shortened with an ellipsis until it fits in `room` pixels (whole if it fits).
    pub fn fit(&self, text: &str, room: f32) -> String {
        if self.width(text) <= room {
            return text.to_string();
        }
        let chars: Vec<char> = text.chars().collect();
        (1..chars.len())
            .rev()
            .map(|keep| chars[..keep].iter().chain(['…'].iter()).collect::<String>())
            .find(|candidate| self.width(candidate) <= room)
            .unwrap_or_else(|| "…".to_string())
    }

    /// Each character's pen position and the pen position after it.
    fn advances(&self, text: &str) -> Vec<(f32, f32)> {
        let scaled = self.font.as_scaled(PxScale::from(self.size));
        let mut pen = 0.0;
        let mut previous = None;
        text.chars()
            .map(|c| {
                let id = scaled.glyph_id(c);
                if let Some(before) = previous {
                    pen += scaled.kern(before, id);
                }
                previous = Some(id);
                let start = pen;
                pen += scaled.h_advance(id);
                (start, pen)
            })
            .collect()
    }
}

/// An RGB image being drawn.
pub struct Canvas {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl Canvas {
    /// A canvas filled with `background`.
    pub fn new(width: u32, height: u32, background: Rgb) -> Canvas {
        let pixels = background
            .iter()
            .copied()
            .cycle()
            .take(width as usize * height as usize * 3)
            .collect();
        Canvas {
            width,
            height,
            pixels,
        }
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    /// Fills `x..x+width`, `y..y+height` (clipped to the canvas).
    pub fn fill_rect(&mut self, x: i64, y: i64, width: i64, height: i64, color: Rgb) {
        let (x0, x1) = (x.max(0), (x + width).min(i64::from(self.width)));
        let (y0, y1) = (y.max(0), (y + height).min(i64::from(self.height)));
        for row in y0..y1 {
            for column in x0..x1 {
                self.blend(column, row, color, 1.0);
            }
        }
    }

    /// Draws `text` with its line box's top-left corner at `(x, y)`.
    pub fn text(&mut self, text: &str, style: &TextStyle, x: f32, y: f32, color: Rgb) {
        let scaled = style.font.as_scaled(PxScale::from(style.size));
        let ascent = scaled.ascent();
        for (c, (pen, _)) in text.chars().zip(style.advances(text)) {
            let glyph = scaled
                .glyph_id(c)
                .with_scale_and_position(PxScale::from(style.size), point(pen, ascent));
            let Some(outline) = style.font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                let px = x + bounds.min.x + gx as f32;
                let py = y + bounds.min.y + gy as f32;
                self.blend(px.round() as i64, py.round() as i64, color, coverage);
            });
        }
    }

    /// Mixes `color` into a pixel by `coverage` (0 to 1).
    fn blend(&mut self, x: i64, y: i64, color: Rgb, coverage: f32) {
        if x < 0 || y < 0 || x >= i64::from(self.width) || y >= i64::from(self.height) {
            return;
        }
        let coverage = coverage.clamp(0.0, 1.0);
        let at = (y as usize * self.width as usize + x as usize) * 3;
        for (channel, target) in self.pixels[at..at + 3].iter_mut().zip(color) {
            let mixed = f32::from(*channel) * (1.0 - coverage) + f32::from(target) * coverage;
            *channel = mixed.round().clamp(0.0, 255.0) as u8;
        }
    }

    /// The canvas as PNG bytes.
    pub fn to_png(&self) -> Result<Vec<u8>, png::EncodingError> {
        let mut png = Vec::new();
        let mut encoder = png::Encoder::new(&mut png, self.width, self.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&self.pixels)?;
        writer.finish()?;
        Ok(png)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_measured_and_shortened_to_fit() {
        let style = TextStyle::new(Weight::Regular, 14.0).unwrap();
        let long = "margaret.hamilton";
        assert!(style.width(long) > style.width("ada"));
        let short = style.fit(long, 60.0);
        assert!(short.ends_with('…'));
        assert!(style.width(&short) <= 60.0);
        assert_eq!(style.fit("ada", 60.0), "ada");
    }

    #[test]
    fn rectangles_are_clipped_and_text_leaves_ink() {
        let mut canvas = Canvas::new(40, 20, [255, 255, 255]);
        canvas.fill_rect(-5, -5, 10, 10, [0, 0, 0]);
        assert_eq!(&canvas.pixels[0..3], &[0, 0, 0]);
        let style = TextStyle::new(Weight::Bold, 16.0).unwrap();
        canvas.text("Hi", &style, 12.0, 0.0, [255, 0, 0]);
        assert!(canvas.pixels.chunks(3).any(|p| p == [255, 0, 0]));
    }
}
