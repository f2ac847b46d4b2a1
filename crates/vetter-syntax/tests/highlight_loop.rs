//! A line on which syntect's parser never returns (found by the diff_highlight fuzz target in
//! the bundled HTML grammar's embedded JavaScript) costs the viewer at most the guard's time
//! limit: highlighting finishes, the file is marked as given up, and every line is still shown
//! whole, plain from the looping line on.

use std::sync::mpsc;
use std::time::Duration;

use vetter_syntax::highlight::{Class, HighlightOptions, Highlighter};
use vetter_text::TextLines;

#[test]
fn a_line_syntect_loops_on_is_shown_plain_and_the_rest_of_the_file_too() {
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        let bytes = include_bytes!("data/syntect-loop.html");
        let text = TextLines::decode(bytes);
        let mut h = Highlighter::for_text("popup.html", &text, HighlightOptions::default());
        let lines = h.highlight(&text, 0..text.len()).expect("in range");
        let whole = lines.iter().all(|l| {
            let joined: String = l.spans.iter().map(|s| s.text.as_str()).collect();
            joined == text.content(l.line as usize)
        });
        let last = lines.last().expect("lines").spans.clone();
        let _ = done.send((
            h.stalled(),
            whole,
            last,
            text.content(text.len() - 1).to_owned(),
        ));
    });
    // Without the guard this never returns; with it, one line's limit (2 s) and the rest.
    let (stalled, whole, last, last_text) = result
        .recv_timeout(Duration::from_secs(60))
        .expect("highlighting finished");
    assert!(stalled, "the looping line was given up");
    assert!(whole, "every line is shown whole");
    assert!(
        last.iter().all(|s| s.class == Class::Plain) && !last_text.is_empty(),
        "lines after the loop are plain: {last:?}"
    );
}
