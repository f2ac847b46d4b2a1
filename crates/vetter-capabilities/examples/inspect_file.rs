//! Prints the capabilities of the files given on the command line (a development aid).
fn main() {
    let files: Vec<(String, Vec<u8>)> = std::env::args()
        .skip(1)
        .map(|p| (p.clone(), std::fs::read(&p).expect("reads")))
        .collect();
    let inputs = files
        .iter()
        .map(|(p, b)| vetter_capabilities::InputFile { path: p, bytes: b });
    let caps = vetter_capabilities::analyze_version(
        None,
        inputs,
        &vetter_capabilities::LibraryIndex::empty(),
    );
    println!("{}", serde_json::to_string_pretty(&caps).unwrap());
}
