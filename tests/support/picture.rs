//! Decodes the PNGs the bot draws, so tests can check sizes and colours where the drawing says.

/// A decoded RGB picture.
pub struct Picture {
    pub width: u32,
    pub height: u32,
    rgb: Vec<u8>,
}

impl Picture {
    /// Decodes an 8-bit RGB PNG, panicking with the reason if it is not one.
    pub fn decode(png_bytes: &[u8]) -> Picture {
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().expect("a valid PNG header");
        let mut rgb = vec![0; reader.output_buffer_size().expect("a sane PNG size")];
        let info = reader.next_frame(&mut rgb).expect("valid PNG image data");
        assert_eq!(info.color_type, png::ColorType::Rgb, "an RGB picture");
        assert_eq!(info.bit_depth, png::BitDepth::Eight, "8 bits per channel");
        rgb.truncate(info.buffer_size());
        Picture {
            width: info.width,
            height: info.height,
            rgb,
        }
    }

    /// The colour at `(x, y)`.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        assert!(
            x < self.width && y < self.height,
            "({x}, {y}) is outside the picture"
        );
        let at = (y as usize * self.width as usize + x as usize) * 3;
        [self.rgb[at], self.rgb[at + 1], self.rgb[at + 2]]
    }
}
