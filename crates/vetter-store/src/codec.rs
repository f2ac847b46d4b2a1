//! zstd encoding of blobs: whole frames, and delta frames against an older blob.
//!
//! A delta is a plain zstd frame compressed with the base's raw bytes as a referenced prefix
//! (the `zstd --patch-from` technique), so decoding needs the base's bytes and nothing else.
//! Decoding writes into a buffer sized from the row's declared raw size, which the caller caps,
//! so a hostile frame can never make us allocate more than that.

use zstd::zstd_safe::{self, CCtx, CParameter, DCtx, DParameter};

/// zstd level for blobs stored whole. On pdfjs-dist's files level 19 is 8 % smaller but about
/// five times slower (figures in `docs/store.md`); whole blobs are mostly a first import's.
pub(crate) const WHOLE_LEVEL: i32 = 12;

/// zstd level for deltas: on pdf.js's changed files level 19 is 20–30 % smaller than 12, which
/// is what brings an ordinary update under 5 % of its zip; deltas are few, so the time is paid
/// only on what changed.
pub(crate) const DELTA_LEVEL: i32 = 19;

/// A delta at most this fraction (1/N) of the raw size is kept without also trying a whole
/// frame; above it, both are computed and the smaller one is stored.
pub(crate) const DELTA_GOOD_ENOUGH_DIVISOR: usize = 16;

/// zstd's smallest window log (`ZSTD_WINDOWLOG_ABSOLUTEMIN`).
const MIN_WINDOW_LOG: u32 = 10;

/// Why zstd refused to encode or decode.
#[derive(Debug)]
pub(crate) struct CodecError(pub(crate) &'static str);

fn zstd_err(code: usize) -> CodecError {
    CodecError(zstd_safe::get_error_name(code))
}

/// The smallest window log whose window covers `bytes` (zstd's own bounds applied).
fn window_log_for(bytes: usize) -> u32 {
    let needed = usize::BITS - bytes.saturating_sub(1).leading_zeros();
    needed.clamp(MIN_WINDOW_LOG, 30)
}

/// Compresses `raw` as a standalone frame.
pub(crate) fn compress_whole(raw: &[u8]) -> Result<Vec<u8>, CodecError> {
    let mut cctx = CCtx::try_create().ok_or(CodecError("cannot allocate a zstd context"))?;
    cctx.set_parameter(CParameter::CompressionLevel(WHOLE_LEVEL))
        .map_err(zstd_err)?;
    let mut out = Vec::with_capacity(zstd_safe::compress_bound(raw.len()));
    cctx.compress2(&mut out, raw).map_err(zstd_err)?;
    Ok(out)
}

/// Compresses `raw` as a frame that refers back into `base` (a long window covers both).
pub(crate) fn compress_delta(base: &[u8], raw: &[u8]) -> Result<Vec<u8>, CodecError> {
    let mut cctx = CCtx::try_create().ok_or(CodecError("cannot allocate a zstd context"))?;
    cctx.set_parameter(CParameter::CompressionLevel(DELTA_LEVEL))
        .map_err(zstd_err)?;
    cctx.set_parameter(CParameter::WindowLog(window_log_for(
        base.len().saturating_add(raw.len()),
    )))
    .map_err(zstd_err)?;
    cctx.set_parameter(CParameter::EnableLongDistanceMatching(true))
        .map_err(zstd_err)?;
    cctx.ref_prefix(base).map_err(zstd_err)?;
    let mut out = Vec::with_capacity(zstd_safe::compress_bound(raw.len()));
    cctx.compress2(&mut out, raw).map_err(zstd_err)?;
    Ok(out)
}

/// Decodes one frame into exactly `raw_size` bytes, with `base` as the prefix for deltas.
///
/// The output buffer is allocated once at `raw_size` (already capped by the caller); a frame that
/// would produce more fails with zstd's "destination buffer too small" instead of growing it.
pub(crate) fn decompress(
    frame: &[u8],
    base: Option<&[u8]>,
    raw_size: usize,
) -> Result<Vec<u8>, CodecError> {
    let mut dctx = DCtx::try_create().ok_or(CodecError("cannot allocate a zstd context"))?;
    // One-shot decoding writes straight into `out`, so a wide window costs no extra memory;
    // deltas need it because their matches reach back across the whole base.
    dctx.set_parameter(DParameter::WindowLogMax(31))
        .map_err(zstd_err)?;
    if let Some(base) = base {
        dctx.ref_prefix(base).map_err(zstd_err)?;
    }
    let mut out = Vec::with_capacity(raw_size);
    let written = dctx.decompress(&mut out, frame).map_err(zstd_err)?;
    if written != raw_size {
        return Err(CodecError(
            "frame decodes to a size other than the recorded one",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(seed: u32, lines: usize) -> Vec<u8> {
        (0..lines)
            .map(|i| {
                format!(
                    "function f{i}() {{ return {} * {i}; }}\n",
                    seed ^ (i as u32)
                )
            })
            .collect::<String>()
            .into_bytes()
    }

    #[test]
    fn whole_frame_round_trips() {
        let raw = text(7, 500);
        let frame = compress_whole(&raw).unwrap();
        assert!(frame.len() < raw.len());
        assert_eq!(decompress(&frame, None, raw.len()).unwrap(), raw);
    }

    #[test]
    fn delta_of_a_small_edit_is_far_smaller_than_a_whole_frame() {
        let base = text(7, 5000);
        let mut raw = base.clone();
        raw.splice(1000..1000, b"/* inserted */".iter().copied());
        let delta = compress_delta(&base, &raw).unwrap();
        let whole = compress_whole(&raw).unwrap();
        assert!(
            delta.len() * 10 < whole.len(),
            "{} vs {}",
            delta.len(),
            whole.len()
        );
        assert_eq!(decompress(&delta, Some(&base), raw.len()).unwrap(), raw);
    }

    #[test]
    fn delta_needs_its_base() {
        let base = text(1, 2000);
        let mut raw = base.clone();
        raw.extend_from_slice(b"tail");
        let delta = compress_delta(&base, &raw).unwrap();
        assert!(decompress(&delta, None, raw.len()).is_err());
        let other = text(2, 2000);
        assert_ne!(
            decompress(&delta, Some(&other), raw.len()).ok(),
            Some(raw.clone())
        );
    }

    #[test]
    fn refuses_frame_that_decodes_past_the_recorded_size() {
        let raw = vec![0u8; 1 << 20];
        let frame = compress_whole(&raw).unwrap();
        assert!(decompress(&frame, None, 1024).is_err());
        assert!(decompress(&frame, None, (1 << 20) + 1).is_err());
    }

    #[test]
    fn empty_input_round_trips() {
        let frame = compress_whole(b"").unwrap();
        assert_eq!(decompress(&frame, None, 0).unwrap(), b"");
        let delta = compress_delta(b"", b"").unwrap();
        assert_eq!(decompress(&delta, Some(b""), 0).unwrap(), b"");
    }

    #[test]
    fn window_covers_base_and_data() {
        assert_eq!(window_log_for(0), MIN_WINDOW_LOG);
        assert_eq!(window_log_for(1 << 20), 20);
        assert_eq!(window_log_for((1 << 20) + 1), 21);
        assert_eq!(window_log_for(usize::MAX), 30);
    }
}
