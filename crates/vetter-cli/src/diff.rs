//! `vetter diff OLD NEW`: the file summary, then a highlighted unified or side-by-side diff.
//!
//! This is what a security engineer pipes into a pager and what the benchmarks time, so it
//! streams: files are loaded, rendered (on every core) and dropped a bounded batch at a time, in
//! order, the line diffs computed for the summary are reused, and only the lines that are printed
//! are highlighted. Add-on text is
//! hostile, so control characters are escaped before they reach the terminal.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use globset::{Glob, GlobSet, GlobSetBuilder};
use vetter_archive::{Limits, Package, PackageFormat, read_package_file};
use vetter_diff::{
    DiffOptions, FileChange, FileStatus, Hunk, Intraline, IntralineOptions, LineAlgorithm,
    LineDiff, LineOptions, Row, RowKind, TreeDiff, VersionTree, Whitespace, diff_trees,
};
use vetter_store::Store;
use vetter_syntax::highlight::{HighlightOptions, Highlighter, LineTokens};
use vetter_text::{FileKind, TextLines};

use crate::display::{human_bytes, printable};
use crate::render::{Palette, Style};

/// When to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// When standard output is a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always (for pagers such as `less -R`).
    Always,
    /// Never.
    Never,
}

/// Arguments of `vetter diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old version: a package file (XPI/zip, CRX, .tgz), a cached version id (see
    /// `vetter versions`; builds of one version string have their own ids), or a directory.
    pub old: String,
    /// The new version: a package file, a cached version id, or a directory.
    pub new: String,
    /// When to colour the output.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    /// Show old and new side by side instead of unified.
    #[arg(long)]
    pub side_by_side: bool,
    /// Only files whose path matches this glob (repeatable), e.g. `--path '**/*.js'`.
    #[arg(long = "path", value_name = "GLOB")]
    pub paths: Vec<String>,
    /// Print only the file summary (`git diff --stat`-like), no line diff.
    #[arg(long)]
    pub stat: bool,
    /// Ignore all whitespace when comparing lines.
    #[arg(long, short = 'w')]
    pub ignore_whitespace: bool,
    /// Ignore whitespace at line ends (and CR/LF differences).
    #[arg(long, conflicts_with = "ignore_whitespace")]
    pub ignore_trailing_whitespace: bool,
    /// Unchanged lines shown around each change.
    #[arg(long, short = 'U', default_value_t = 3)]
    pub context: u32,
    /// Compute shortest (minimal) line diffs with no time budget, like `git diff --minimal`.
    #[arg(long)]
    pub exact: bool,
    /// Time budget of one file's line diff, in milliseconds.
    #[arg(long, default_value_t = 500)]
    pub budget_ms: u64,
    /// Width of the side-by-side view (default: $COLUMNS, else 160).
    #[arg(long)]
    pub width: Option<usize>,
    /// Detect renames by similar content (identical content is always paired).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub renames: bool,
    /// Pretty-print minified JavaScript, CSS and JSON before diffing.
    #[arg(long)]
    pub pretty: bool,
    /// Show only the manifest's permission changes, with risk notes.
    #[arg(long)]
    pub manifest: bool,
    /// Show what changed in what the add-on can do (endpoints, sinks, permission use,
    /// obfuscation, libraries, risk weight) instead of the line diff (run by
    /// `capabilities::run_diff`).
    #[arg(long, conflicts_with_all = ["manifest", "stat", "side_by_side"])]
    pub capabilities: bool,
}

/// Opens one side: a file is a package, a directory is a tree, a number is a cached version.
/// Returns the label the summary shows: a cached version's carries its build hash when other
/// builds share its version string, and a CRX's says its signature was not verified.
pub(crate) fn open_tree<'s>(
    spec: &str,
    data_dir: &Path,
    store: &'s mut Option<Store>,
) -> anyhow::Result<(VersionTree<'s>, Option<String>)> {
    open_side(spec, data_dir, store, read_package_side(spec))
}

/// The package `spec` names, read and checked, or `None` when `spec` is not a file.
fn read_package_side(spec: &str) -> anyhow::Result<Option<Package>> {
    let path = PathBuf::from(spec);
    if !path.is_file() {
        return Ok(None);
    }
    let package = read_package_file(&path, &Limits::default())
        .with_context(|| format!("cannot read package {}", path.display()))?;
    Ok(Some(package))
}

/// Opens both sides; two package files are inflated and checked on two cores.
fn open_both<'s>(
    args: &DiffArgs,
    data_dir: &Path,
    old_store: &'s mut Option<Store>,
    new_store: &'s mut Option<Store>,
) -> anyhow::Result<[(VersionTree<'s>, Option<String>); 2]> {
    let (old_package, new_package) = std::thread::scope(|scope| {
        let old = scope.spawn(|| read_package_side(&args.old));
        let new = read_package_side(&args.new);
        (old.join(), new)
    });
    let old_package = old_package
        .unwrap_or_else(|_| Err(anyhow::anyhow!("the thread reading {} stopped", args.old)));
    Ok([
        open_side(&args.old, data_dir, old_store, old_package)?,
        open_side(&args.new, data_dir, new_store, new_package)?,
    ])
}

/// Opens one side from its package, when `spec` is a package file, else as a directory or a
/// cached version.
fn open_side<'s>(
    spec: &str,
    data_dir: &Path,
    store: &'s mut Option<Store>,
    package: anyhow::Result<Option<Package>>,
) -> anyhow::Result<(VersionTree<'s>, Option<String>)> {
    let path = PathBuf::from(spec);
    if let Some(package) = package? {
        let label = match (&package.crx, package.format) {
            (Some(header), _) => Some(format!("{spec} ({})", header.note())),
            (None, PackageFormat::TarGz) => Some(format!("{spec} (tar.gz)")),
            (None, _) => None,
        };
        return Ok((VersionTree::from_archive(spec, package.archive), label));
    }
    if path.is_dir() {
        return Ok((VersionTree::from_dir(&path)?, None));
    }
    if let Ok(id) = spec.parse::<i64>() {
        if store.is_none() {
            *store = Some(Store::open(data_dir)?);
        }
        let Some(store) = store.as_ref() else {
            bail!("cannot open the cache in {}", data_dir.display());
        };
        let info = store.version(id)?;
        let mut label = format!("{} {}", info.name, info.build.label);
        if info.build.same_version_builds > 0 {
            label.push_str(&format!(
                " [{} other build{} of {} with different bytes]",
                info.build.same_version_builds,
                if info.build.same_version_builds == 1 {
                    ""
                } else {
                    "s"
                },
                if info.version.is_empty() {
                    "(no version)"
                } else {
                    &info.version
                }
            ));
        }
        if let Some(note) = &info.build.signature_note {
            label.push_str(&format!(" ({note})"));
        }
        return Ok((vetter_review::tree::version_tree(store, id)?, Some(label)));
    }
    bail!(
        "{spec:?} is neither a package file, a directory, nor a cached version id (see `vetter versions`)"
    )
}

fn glob_set(globs: &[String]) -> anyhow::Result<Option<GlobSet>> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g).with_context(|| format!("invalid --path glob {g:?}"))?);
    }
    Ok(Some(b.build()?))
}

/// Runs `vetter diff`; a reader that stops early (`| head`, a pager quitting) is a normal end.
pub fn run(data_dir: &Path, args: &DiffArgs, json: bool) -> anyhow::Result<()> {
    match run_inner(data_dir, args, json) {
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            Ok(())
        }
        other => other,
    }
}

fn run_inner(data_dir: &Path, args: &DiffArgs, json: bool) -> anyhow::Result<()> {
    let whitespace = if args.ignore_whitespace {
        Whitespace::IgnoreAll
    } else if args.ignore_trailing_whitespace {
        Whitespace::IgnoreTrailing
    } else {
        Whitespace::All
    };
    let options = DiffOptions {
        line: LineOptions {
            whitespace,
            algorithm: if args.exact {
                LineAlgorithm::Exact
            } else {
                LineAlgorithm::Fast
            },
            budget: Duration::from_millis(args.budget_ms),
        },
        detect_renames: args.renames,
        ..DiffOptions::default()
    };
    // Two stores would be two connections to one file; both sides share one when needed.
    let mut old_store = None;
    let mut new_store = None;
    let [(old, old_label), (new, new_label)] =
        open_both(args, data_dir, &mut old_store, &mut new_store)?;
    if args.manifest {
        let mut out = BufWriter::new(std::io::stdout().lock());
        crate::diff_views::print_manifest_changes(&mut out, &old, &new, json)?;
        return flush(out);
    }
    let (old, new) = if args.pretty {
        let pretty_old = crate::diff_views::pretty_tree(&old, &new)?;
        (pretty_old, crate::diff_views::pretty_tree(&new, &old)?)
    } else {
        (old, new)
    };
    let mut diff = diff_trees(&old, &new, &options)?;
    if let Some(label) = old_label {
        diff.old_label = label;
    }
    if let Some(label) = new_label {
        diff.new_label = label;
    }
    if let Some(set) = glob_set(&args.paths)? {
        let keep: Vec<bool> = diff
            .files
            .iter()
            .map(|f| set.is_match(&f.path) || f.old_path.as_ref().is_some_and(|p| set.is_match(p)))
            .collect();
        diff = diff.retain(|i, _| keep[i]);
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    if json {
        serde_json::to_writer_pretty(&mut out, &diff)?;
        writeln!(out)?;
        return flush(out);
    }
    let color = match args.color {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let palette = Palette::detect(color);
    write_summary(&mut out, &diff, &palette)?;
    if args.stat {
        return flush(out);
    }
    let width = args
        .width
        .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
        .unwrap_or(160)
        .max(40);
    let look = Look {
        palette: &palette,
        side_by_side: args.side_by_side,
        width,
        intraline: IntralineOptions::default(),
        context: args.context,
    };
    render_files(&mut out, &look, &old, &new, &diff)?;
    flush(out)
}

/// Renders every file's diff on every core, writing the outputs in the summary's order as soon
/// as each is ready. Bytes are read and outputs written on this thread (a cached version's
/// reader holds the one database connection, and standard output's lock cannot move either);
/// highlighting and rendering, most of the time a diff takes, run on worker threads.
fn render_files(
    out: &mut impl Write,
    look: &Look<'_>,
    old: &VersionTree<'_>,
    new: &VersionTree<'_>,
    diff: &TreeDiff,
) -> anyhow::Result<()> {
    vetter_diff::parallel::ordered(
        diff.files.len(),
        |i| job_for(old, new, diff, i),
        |job| look.render(&job),
        |_, rendered| Ok(out.write_all(&rendered?)?),
        || anyhow::anyhow!("a thread rendering the diff stopped before it finished"),
    )
}

/// File `i` of `diff`, with the bytes its diff shows.
fn job_for<'d>(
    old: &'d VersionTree<'_>,
    new: &'d VersionTree<'_>,
    diff: &'d TreeDiff,
    i: usize,
) -> anyhow::Result<FileJob<'d>> {
    let change = &diff.files[i];
    let lines = diff.line_diff(i);
    let sides = match lines {
        Some(l) if !l.is_unchanged() => read_sides(old, new, change)?,
        _ => (None, None),
    };
    Ok(FileJob {
        change,
        lines,
        sides,
    })
}

/// The bytes one file's diff shows: (old, new), `None` for a side it is absent from.
type SideBytes<'t> = (Option<Cow<'t, [u8]>>, Option<Cow<'t, [u8]>>);

/// Reads the two sides of `change`.
fn read_sides<'t>(
    old: &'t VersionTree<'_>,
    new: &'t VersionTree<'_>,
    change: &FileChange,
) -> anyhow::Result<SideBytes<'t>> {
    let old_path = change.old_path.as_deref().unwrap_or(&change.path);
    let ob = match change.status {
        FileStatus::Added => None,
        _ => Some(old.read(old_path)?),
    };
    let nb = match change.status {
        FileStatus::Deleted => None,
        _ => Some(new.read(&change.path)?),
    };
    Ok((ob, nb))
}

/// One file to render: its change, its line diff and the bytes of its two sides.
struct FileJob<'d> {
    change: &'d FileChange,
    lines: Option<&'d LineDiff>,
    sides: SideBytes<'d>,
}

/// How the diff is drawn, shared by every worker.
struct Look<'p> {
    palette: &'p Palette,
    side_by_side: bool,
    width: usize,
    intraline: IntralineOptions,
    context: u32,
}

impl Look<'_> {
    /// One file's whole output.
    fn render(&self, job: &FileJob<'_>) -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut r = Renderer {
            out: &mut out,
            look: self,
        };
        r.file(job.change, job.lines, &job.sides, self.context)?;
        Ok(out)
    }
}

/// Flushes, treating a closed pipe (`| head`) as a normal end.
fn flush(mut out: impl Write) -> anyhow::Result<()> {
    match out.flush() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// The summary: one line per file, then totals.
fn write_summary(out: &mut impl Write, diff: &TreeDiff, p: &Palette) -> std::io::Result<()> {
    writeln!(
        out,
        "{}{} → {}{}",
        p.bold(),
        printable(&diff.old_label),
        printable(&diff.new_label),
        p.reset()
    )?;
    for f in &diff.files {
        let status = f.status.letter();
        let style = match f.status {
            FileStatus::Added => Style::Added,
            FileStatus::Deleted => Style::Removed,
            _ => Style::Meta,
        };
        let counts = match (f.added, f.removed) {
            (Some(a), Some(r)) => format!("+{a:<6} -{r:<6}"),
            _ => format!("{:<15}", kind_label(f.kind)),
        };
        let mut extra = String::new();
        if let Some(old) = &f.old_path {
            extra.push_str(&format!(" ← {}", printable(old)));
            if let Some(s) = f.similarity {
                extra.push_str(&format!(" ({s}%)"));
            }
        }
        if f.kind != FileKind::Text {
            extra.push_str(&format!(
                " ({} → {})",
                f.old_size.map_or("-".into(), human_bytes),
                f.new_size.map_or("-".into(), human_bytes)
            ));
        }
        if f.old_encoding != f.new_encoding && f.old_encoding.is_some() && f.new_encoding.is_some()
        {
            extra.push_str(&format!(
                " [encoding {:?} → {:?}]",
                f.old_encoding.unwrap_or(vetter_text::TextEncoding::Utf8),
                f.new_encoding.unwrap_or(vetter_text::TextEncoding::Utf8)
            ));
        }
        if f.deadline_hit {
            extra.push_str(" [time budget hit: diff not minimal]");
        }
        writeln!(
            out,
            "{}{status}{} {counts} {}{}",
            p.style(style),
            p.reset(),
            printable(&f.path),
            extra
        )?;
    }
    let t = &diff.totals;
    writeln!(
        out,
        "{} files changed ({} added, {} deleted, {} modified, {} renamed), {}+{}{} {}-{}{}\n",
        diff.files.len(),
        t.added,
        t.deleted,
        t.modified,
        t.renamed,
        p.style(Style::Added),
        t.lines_added,
        p.reset(),
        p.style(Style::Removed),
        t.lines_removed,
        p.reset()
    )
}

fn kind_label(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Text => "text",
        FileKind::Image => "image",
        FileKind::Binary => "binary",
    }
}

/// Writes the line diff of one file after another.
struct Renderer<'o, W: Write> {
    out: &'o mut W,
    look: &'o Look<'o>,
}

/// One side's text with its highlighter.
struct Side<'t> {
    text: TextLines<'t>,
    hl: Highlighter,
}

impl Side<'_> {
    /// Tokens for one hunk's lines of this side, keyed by line number.
    fn tokens(&mut self, start: u32, len: u32) -> Vec<LineTokens> {
        let (s, e) = (start as usize, (start + len) as usize);
        self.hl
            .tokens(&self.text, s..e.min(self.text.len()))
            .unwrap_or_default()
    }
}

impl<W: Write> Renderer<'_, W> {
    fn file(
        &mut self,
        change: &FileChange,
        lines: Option<&LineDiff>,
        sides: &SideBytes<'_>,
        context: u32,
    ) -> anyhow::Result<()> {
        let p = self.look.palette;
        let old_path = change.old_path.as_deref().unwrap_or(&change.path);
        let (a, b) = match change.status {
            FileStatus::Added => (
                "/dev/null".to_owned(),
                format!("b/{}", printable(&change.path)),
            ),
            FileStatus::Deleted => (
                format!("a/{}", printable(&change.path)),
                "/dev/null".to_owned(),
            ),
            _ => (
                format!("a/{}", printable(old_path)),
                format!("b/{}", printable(&change.path)),
            ),
        };
        writeln!(
            self.out,
            "{}--- {a}\n+++ {b}{}",
            p.style(Style::Header),
            p.reset()
        )?;
        let Some(lines) = lines else {
            writeln!(
                self.out,
                "{}{} files differ{}",
                p.style(Style::Meta),
                kind_label(change.kind),
                p.reset()
            )?;
            return Ok(());
        };
        if lines.is_unchanged() {
            return Ok(());
        }
        let (ot, nt) = (
            decode_side(sides.0.as_deref()),
            decode_side(sides.1.as_deref()),
        );
        let opts = HighlightOptions::default();
        let mut os = Side {
            hl: Highlighter::for_text(old_path, &ot, opts),
            text: ot,
        };
        let mut ns = Side {
            hl: Highlighter::for_text(&change.path, &nt, opts),
            text: nt,
        };
        for hunk in lines.hunks(context) {
            self.hunk(lines, &hunk, &mut os, &mut ns)?;
        }
        Ok(())
    }

    fn hunk(
        &mut self,
        lines: &LineDiff,
        hunk: &Hunk,
        os: &mut Side<'_>,
        ns: &mut Side<'_>,
    ) -> anyhow::Result<()> {
        let p = self.look.palette;
        writeln!(
            self.out,
            "{}@@ -{} +{} @@{}",
            p.style(Style::HunkHeader),
            range_label(hunk.old_start, hunk.old_len),
            range_label(hunk.new_start, hunk.new_len),
            p.reset()
        )?;
        let rows = lines.rows(hunk);
        // Without colour nothing would show the classes or the word marks, so neither is computed.
        let colored = p.is_colored();
        let (old_toks, new_toks) = if colored {
            (
                os.tokens(hunk.old_start, hunk.old_len),
                ns.tokens(hunk.new_start, hunk.new_len),
            )
        } else {
            (
                vec![LineTokens::default(); hunk.old_len as usize],
                vec![LineTokens::default(); hunk.new_len as usize],
            )
        };
        // Intraline results, computed once per pair and shared by its removed and added rows.
        let mut pairs: HashMap<u32, Option<Intraline>> = HashMap::new();
        let iopts = self.look.intraline;
        let mut intra = |row: &Row| -> Option<Intraline> {
            if !colored {
                return None;
            }
            let (ol, nl) = match row.kind {
                RowKind::Removed => (row.old_line?, row.pair?),
                RowKind::Added => (row.pair?, row.new_line?),
                RowKind::Context => return None,
            };
            pairs
                .entry(ol)
                .or_insert_with(|| {
                    let (a, b) = (os.text.content(ol as usize), ns.text.content(nl as usize));
                    let d = vetter_diff::intraline(a, b, &iopts);
                    // Mostly-rewritten lines are clearer without word marks.
                    (d.unchanged_share(a.len(), b.len()) >= 0.4).then_some(d)
                })
                .clone()
        };
        let cell = |row: &Row, old_side: bool| -> Option<(u32, &str, &LineTokens)> {
            let line = if old_side {
                row.old_line?
            } else {
                row.new_line?
            };
            let (text, toks, start) = if old_side {
                (&os.text, &old_toks, hunk.old_start)
            } else {
                (&ns.text, &new_toks, hunk.new_start)
            };
            Some((
                line,
                text.content(line as usize),
                toks.get((line - start) as usize)?,
            ))
        };
        if !self.look.side_by_side {
            for row in &rows {
                let old_side = row.kind == RowKind::Removed;
                let Some((line, content, toks)) = cell(row, old_side) else {
                    continue;
                };
                let (marker, style) = match row.kind {
                    RowKind::Context => (' ', Style::Context),
                    RowKind::Removed => ('-', Style::Removed),
                    RowKind::Added => ('+', Style::Added),
                };
                let il = intra(row);
                let emph = il
                    .as_ref()
                    .map(|d| if old_side { &d.old[..] } else { &d.new[..] });
                write!(self.out, "{}{marker}", p.line_start(style))?;
                p.write_tokens(
                    self.out,
                    content,
                    toks,
                    style,
                    emph.unwrap_or(&[]),
                    usize::MAX,
                )?;
                writeln!(self.out, "{}", p.reset())?;
                let text = if old_side { &os.text } else { &ns.text };
                if text.missing_newline(line as usize) {
                    writeln!(self.out, "\\ No newline at end of file")?;
                }
            }
            return Ok(());
        }
        // Side by side: context rows fill both columns; inside a change, the i-th removed row
        // sits next to the i-th added row.
        let col = (self.look.width - 3) / 2;
        let mut i = 0;
        while i < rows.len() {
            let row = &rows[i];
            if row.kind == RowKind::Context {
                let (l, r) = (cell(row, true), cell(row, false));
                self.side_row(l, r, None, None, Style::Context, Style::Context, col)?;
                i += 1;
                continue;
            }
            let removed: Vec<&Row> = rows[i..]
                .iter()
                .take_while(|r| r.kind == RowKind::Removed)
                .collect();
            let added: Vec<&Row> = rows[i + removed.len()..]
                .iter()
                .take_while(|r| r.kind == RowKind::Added)
                .collect();
            for k in 0..removed.len().max(added.len()) {
                let l = removed.get(k).and_then(|r| cell(r, true));
                let r = added.get(k).and_then(|r| cell(r, false));
                let il = removed
                    .get(k)
                    .and_then(|r| intra(r))
                    .or_else(|| added.get(k).and_then(|r| intra(r)));
                let (le, re) = match &il {
                    Some(d) => (Some(&d.old[..]), Some(&d.new[..])),
                    None => (None, None),
                };
                self.side_row(l, r, le, re, Style::Removed, Style::Added, col)?;
            }
            i += removed.len() + added.len();
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn side_row(
        &mut self,
        left: Option<(u32, &str, &LineTokens)>,
        right: Option<(u32, &str, &LineTokens)>,
        left_emph: Option<&[std::ops::Range<u32>]>,
        right_emph: Option<&[std::ops::Range<u32>]>,
        ls: Style,
        rs: Style,
        col: usize,
    ) -> std::io::Result<()> {
        let p = self.look.palette;
        for (cell, emph, style, sep) in [(left, left_emph, ls, " │ "), (right, right_emph, rs, "")]
        {
            match cell {
                Some((_, content, toks)) => {
                    write!(self.out, "{}", p.line_start(style))?;
                    let used =
                        p.write_tokens(self.out, content, toks, style, emph.unwrap_or(&[]), col)?;
                    write!(
                        self.out,
                        "{:pad$}{}",
                        "",
                        p.reset(),
                        pad = col.saturating_sub(used)
                    )?;
                }
                None => write!(self.out, "{:col$}", "")?,
            }
            write!(self.out, "{sep}")?;
        }
        writeln!(self.out)
    }
}

/// Decodes one side; a missing side (added or deleted file) is empty.
fn decode_side(bytes: Option<&[u8]>) -> TextLines<'_> {
    match bytes {
        Some(b) => TextLines::decode(b),
        None => TextLines::from_text(""),
    }
}

/// A unified diff range: 1-based start and length, `start,0` for an empty side.
fn range_label(start: u32, len: u32) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{len}", start + 1),
    }
}
