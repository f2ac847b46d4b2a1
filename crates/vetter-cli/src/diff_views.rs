//! The audit views of `vetter diff`: `--pretty` (minified JS, CSS and JSON reformatted before
//! diffing) and `--manifest` (the permission diff with risk notes).

use std::io::Write;

use anyhow::Context;
use vetter_diff::VersionTree;
use vetter_manifest::{PermissionChanges, parse_manifest, permission_changes};
use vetter_syntax::pretty::{PrettyLang, pretty_print};

use crate::display::printable;

/// The tree with every JS, CSS and JSON file that differs from `other` pretty-printed
/// (identical files are left as they are: they diff to nothing either way). Files that are not
/// UTF-8 or are too large stay as they are.
pub fn pretty_tree(
    tree: &VersionTree<'_>,
    other: &VersionTree<'_>,
) -> anyhow::Result<VersionTree<'static>> {
    let mut files = Vec::with_capacity(tree.entries().len());
    for (path, entry) in tree.entries() {
        let bytes = tree.read(path)?.into_owned();
        let same = other.entry(path).is_some_and(|o| o.sha256 == entry.sha256);
        let pretty = match (
            same,
            PrettyLang::for_path(path),
            std::str::from_utf8(&bytes),
        ) {
            (false, Some(lang), Ok(text)) => {
                pretty_print(text, lang).ok().map(|p| p.text.into_bytes())
            }
            _ => None,
        };
        files.push((path.clone(), pretty.unwrap_or(bytes)));
    }
    Ok(VersionTree::from_files(
        format!("{} (pretty)", tree.label()),
        files,
    ))
}

/// Prints what the update changes in the manifest's permissions, with risk notes.
pub fn print_manifest_changes(
    out: &mut impl Write,
    old: &VersionTree<'_>,
    new: &VersionTree<'_>,
    json: bool,
) -> anyhow::Result<()> {
    let manifest = |tree: &VersionTree<'_>| -> anyhow::Result<_> {
        let bytes = tree
            .read("manifest.json")
            .with_context(|| format!("{} has no manifest.json", tree.label()))?;
        parse_manifest(&bytes).with_context(|| format!("{}: manifest.json", tree.label()))
    };
    let changes = permission_changes(&manifest(old)?, &manifest(new)?);
    if json {
        serde_json::to_writer_pretty(&mut *out, &changes)?;
        writeln!(out)?;
        return Ok(());
    }
    write_changes(out, &changes, old.label(), new.label())?;
    Ok(())
}

fn write_changes(
    out: &mut impl Write,
    c: &PermissionChanges,
    old: &str,
    new: &str,
) -> std::io::Result<()> {
    writeln!(out, "manifest: {} → {}", printable(old), printable(new))?;
    if c.is_empty() {
        writeln!(out, "  no permission changes")?;
        return Ok(());
    }
    let lists = [
        ("permissions", &c.permissions),
        ("host permissions", &c.host_permissions),
        ("optional permissions", &c.optional_permissions),
        ("optional host permissions", &c.optional_host_permissions),
        ("content script matches", &c.content_script_matches),
        (
            "externally_connectable matches",
            &c.externally_connectable_matches,
        ),
        ("externally_connectable ids", &c.externally_connectable_ids),
        ("web_accessible_resources", &c.web_accessible_resources),
    ];
    for (label, list) in lists {
        for a in &list.added {
            writeln!(out, "  + {label}: {}", printable(a))?;
        }
        for r in &list.removed {
            writeln!(out, "  - {label}: {}", printable(r))?;
        }
    }
    if let Some(csp) = &c.content_security_policy {
        let show = |v: &Option<String>| v.as_deref().map_or("(none)".to_owned(), printable);
        writeln!(
            out,
            "  ~ content_security_policy: {} → {}",
            show(&csp.old),
            show(&csp.new)
        )?;
    }
    for r in &c.risks {
        writeln!(out, "  ! {}: {}", printable(&r.item), r.note)?;
    }
    Ok(())
}
