//! Every package format over real data: the five real extensions and a pdfjs-dist release
//! (fetched by `bench/fetch-data`) imported as the fetched zip, as a CRX3 (the zip behind a
//! CRX3 header built here, as the Chrome Web Store serves extensions) and as a `.tgz` written
//! by GNU tar with npm's `package/` folder, through the real `vetter import`. What Vetter
//! stored is compared, file list and bytes, with what independent tools report: `unzip`
//! (which reads a CRX as a zip with a prefix) and `tar -tzf`/`tar -xzf`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use vetter_archive::PackageFormat;
use vetter_store::{PackageKind, Store, VersionInfo};

use crate::real_data_support;
use real_data_support::{EXTENSIONS, zip_path};

/// The pdfjs-dist release imported as a package (no manifest: named from package.json).
const PDFJS_RELEASE: &str = "pdfjs-dist-6.5.438";

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    // unzip exits 1 on a CRX: a warning about the bytes in front of the zip, not a failure.
    let ok = out.status.success() || out.status.code() == Some(1);
    assert!(
        ok,
        "{cmd:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("listings are UTF-8")
}

/// Regular files as an independent tool lists them, with `strip` removed from the front.
fn listed(listing: &str, strip: &str) -> Vec<String> {
    let mut out: Vec<String> = listing
        .lines()
        .filter(|l| !l.is_empty() && !l.ends_with('/'))
        .map(|l| l.strip_prefix(strip).unwrap_or(l).to_owned())
        .collect();
    out.sort();
    out
}

/// Every file under `dir`, relative path → bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Asserts that a cached version holds exactly `expected`, byte for byte.
fn assert_holds(store: &Store, v: &VersionInfo, expected: &BTreeMap<String, Vec<u8>>) {
    let paths: Vec<String> = store
        .version_files(v.id)
        .unwrap()
        .into_iter()
        .map(|f| f.path)
        .collect();
    let want: Vec<&String> = expected.keys().collect();
    assert_eq!(paths.iter().collect::<Vec<_>>(), want, "{}", v.source_name);
    for (path, bytes) in expected {
        assert!(
            store.read_file(v.id, path).unwrap() == *bytes,
            "{}: {path} differs",
            v.source_name
        );
    }
}

/// The three packages of one fetched item: the zip, a CRX3 of it, a `.tgz` of its files.
struct Packages {
    zip: PathBuf,
    crx: PathBuf,
    tgz: PathBuf,
    /// The files as `unzip` extracted them.
    files: BTreeMap<String, Vec<u8>>,
}

fn packages(name: &str, work: &Path) -> Packages {
    let zip = zip_path(name);
    let crx = work.join(format!("{name}.crx"));
    std::fs::write(
        &crx,
        vetter_fixtures::packages::crx3(&std::fs::read(&zip).unwrap()),
    )
    .unwrap();
    // npm's layout: every path under package/.
    let root = work.join(format!("{name}-tree"));
    let package = root.join("package");
    std::fs::create_dir_all(&package).unwrap();
    run(Command::new("unzip")
        .arg("-q")
        .arg(&zip)
        .arg("-d")
        .arg(&package));
    let tgz = work.join(format!("{name}.tgz"));
    run(Command::new("tar")
        .arg("-czf")
        .arg(&tgz)
        .arg("-C")
        .arg(&root)
        .arg("package"));
    Packages {
        zip,
        crx,
        tgz,
        files: tree(&package),
    }
}

#[test]
fn real_packages_import_as_zip_crx_and_tgz_alike() {
    let work = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut names: Vec<&str> = EXTENSIONS.to_vec();
    names.push(PDFJS_RELEASE);
    for name in names {
        let p = packages(name, work.path());
        // Independent listings first: unzip over the zip and the CRX, tar over the tgz.
        let zip_list = listed(&run(Command::new("unzip").arg("-Z1").arg(&p.zip)), "");
        let crx_list = listed(&run(Command::new("unzip").arg("-Z1").arg(&p.crx)), "");
        let tar_list = listed(
            &run(Command::new("tar").arg("-tzf").arg(&p.tgz)),
            "package/",
        );
        let files: Vec<String> = p.files.keys().cloned().collect();
        assert_eq!(zip_list, files, "{name}: unzip -Z1 of the zip");
        assert_eq!(crx_list, files, "{name}: unzip -Z1 of the CRX");
        assert_eq!(tar_list, files, "{name}: tar -tzf");

        let out = Command::new(env!("CARGO_BIN_EXE_vetter"))
            .arg("--data-dir")
            .arg(data.path())
            .arg("import")
            .args([&p.zip, &p.crx, &p.tgz])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("{stdout}");
        assert!(stdout.contains("signature not verified"), "{stdout}");
        assert!(stdout.contains("other build"), "{stdout}");

        let store = Store::open(data.path()).unwrap();
        let versions = store.versions().unwrap();
        let mine: Vec<&VersionInfo> = [&p.zip, &p.crx, &p.tgz]
            .iter()
            .map(|path| {
                let file = path.file_name().unwrap().to_string_lossy();
                versions
                    .iter()
                    .find(|v| v.source_name == file)
                    .unwrap_or_else(|| panic!("{file} is cached"))
            })
            .collect();
        let formats: Vec<PackageFormat> = mine.iter().map(|v| v.build.format).collect();
        assert_eq!(
            formats,
            [
                PackageFormat::Zip,
                PackageFormat::Crx3,
                PackageFormat::TarGz
            ]
        );
        // One add-on (or package), one version string, three builds told apart by hash.
        assert!(
            mine.iter()
                .all(|v| v.guid == mine[0].guid && v.version == mine[0].version)
        );
        assert!(mine.iter().all(|v| v.build.same_version_builds == 2));
        let mut hashes: Vec<&str> = mine.iter().map(|v| v.build.short_hash.as_str()).collect();
        hashes.dedup();
        assert_eq!(hashes.len(), 3, "{name}: builds have distinct short hashes");
        assert!(
            mine[1]
                .build
                .signature_note
                .as_deref()
                .unwrap()
                .contains("not verified")
        );
        assert_eq!(mine[2].build.root_prefix.as_deref(), Some("package/"));
        let want_kind = if name == PDFJS_RELEASE {
            PackageKind::Package
        } else {
            PackageKind::Extension
        };
        assert!(mine.iter().all(|v| v.build.kind == want_kind), "{name}");
        for v in &mine {
            assert_holds(&store, v, &p.files);
        }
        if name == PDFJS_RELEASE {
            assert_eq!(mine[0].guid, "package:pdfjs-dist");
            assert_eq!(mine[0].version, "6.5.438");
        }
    }

    // `vetter versions` shows every build with its hash and says which ones share a version.
    let out = Command::new(env!("CARGO_BIN_EXE_vetter"))
        .arg("--data-dir")
        .arg(data.path())
        .arg("versions")
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&out.stdout);
    eprintln!("{listing}");
    assert!(
        listing.contains("BUILD") && listing.contains("CRX3"),
        "{listing}"
    );
    assert!(listing.contains("3 different builds"), "{listing}");
    assert!(listing.contains("signature not verified"), "{listing}");
}
