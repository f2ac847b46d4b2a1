//! Images shown inline: recognising raster images by their magic bytes and inlining them as
//! `data:` URLs, kept apart so the one place that decides what may render as an `<img>` is small.

use crate::error::ReviewError;

/// The largest image [`ReviewSession::image_data_url`](crate::ReviewSession::image_data_url)
/// inlines; add-on images are icons and screenshots, and a bigger one is shown by size and hash
/// like any other binary.
pub const MAX_IMAGE_BYTES: usize = 16 * 1024 * 1024;

/// The media type of a raster image by its magic bytes, else `application/octet-stream` (which
/// an `<img>` will not render, so nothing but a recognised image is ever shown as one).
pub fn image_type(bytes: &[u8]) -> &'static str {
    const TYPES: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"BM", "image/bmp"),
        (b"\x00\x00\x01\x00", "image/x-icon"),
    ];
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return "image/webp";
    }
    TYPES
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
        .map_or("application/octet-stream", |(_, t)| t)
}

/// `bytes` of file `path` as a `data:` URL of media type `mime` (from [`image_type`]), refused
/// unless it is a raster image of at most [`MAX_IMAGE_BYTES`].
pub(crate) fn data_url(path: String, bytes: &[u8], mime: &str) -> Result<String, ReviewError> {
    use base64::Engine as _;
    if mime == "application/octet-stream" {
        return Err(ReviewError::NotImage { path });
    }
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ReviewError::ImageTooLarge {
            path,
            size: bytes.len() as u64,
            limit: MAX_IMAGE_BYTES as u64,
        });
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    Ok(format!("data:{mime};base64,{encoded}"))
}
