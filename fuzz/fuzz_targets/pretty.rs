//! The pretty-printer for each language on arbitrary text: it must not panic, and its output
//! must keep every non-whitespace byte of the input, in order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vetter_syntax::pretty::{PrettyLang, pretty_print};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for lang in [PrettyLang::Js, PrettyLang::Json, PrettyLang::Css] {
        if let Ok(pretty) = pretty_print(text, lang) {
            let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            assert_eq!(
                squash(&pretty.text),
                squash(text),
                "{lang:?} changed the code"
            );
        }
    }
});
