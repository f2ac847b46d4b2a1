//! Facts of one JavaScript text: read from oxc's syntax tree (through `vetter-syntax`'s guarded
//! parse), or token by token with `vetter-syntax`'s lexer when the parser refuses the text.

use std::collections::HashSet;

use oxc_ast::ast::{
    Argument, AssignmentExpression, AssignmentOperator, AssignmentTarget, BinaryOperator,
    CallExpression, ComputedMemberExpression, Expression, IdentifierReference, ImportExpression,
    NewExpression, ObjectPropertyKind, PropertyKey, StaticMemberExpression, StringLiteral,
    TemplateLiteral,
};
use oxc_ast_visit::{Visit, walk};
use oxc_span::GetSpan;
use vetter_syntax::parse::with_program;
use vetter_syntax::pretty::{Kind, js_tokens};

use crate::endpoints::{self, Found};
use crate::{
    Endpoint, EndpointVia, FileFacts, Location, Sink, SinkKind, line_starts, one_line, position,
};

/// Roots under which the extension APIs live.
const API_ROOTS: [&str; 3] = ["browser", "chrome", "messenger"];

/// Names that stand for the global object, so `window.eval` is `eval`.
const GLOBALS: [&str; 6] = ["window", "globalThis", "self", "top", "parent", "frames"];

/// Widest code shown for a sink.
const CODE_WIDTH: usize = 120;

/// Strings that mark known coin-miner code (CoinHive and its CryptoNight WebAssembly wrapper).
const MINER_MARKS: [&str; 5] = [
    "CoinHive.CONFIG",
    "CoinHive.Anonymous",
    "cryptonight_hash",
    "CryptonightWASMWrapper",
    "coinhive.min.js",
];

/// The facts of the JavaScript text `text` of file `path`. `base` shifts the positions, for a
/// script inside a page: (byte offset of the script in the page, the page's line starts).
pub(crate) fn analyze(path: &str, text: &str) -> FileFacts {
    analyze_at(path, text, None)
}

/// [`analyze`] for a script that starts at byte `offset` of `page` (an inline `<script>`).
pub(crate) fn analyze_at(path: &str, text: &str, inside: Option<(&str, usize)>) -> FileFacts {
    let starts = line_starts(text);
    let page_starts = inside.map(|(page, _)| line_starts(page));
    let locate = |offset: usize| {
        let (line, column) = match (inside, &page_starts) {
            (Some((page, at)), Some(ps)) => position(ps, page, at + offset),
            _ => position(&starts, text, offset),
        };
        Location {
            path: path.to_owned(),
            line,
            column,
        }
    };
    let parsed = with_program(text, |program| {
        let mut v = Visitor {
            text,
            locate: &locate,
            facts: FileFacts::default(),
            consumed: HashSet::new(),
            eval_callees: HashSet::new(),
        };
        v.visit_program(program);
        v.facts
    });
    let mut facts = match parsed {
        Ok(facts) => facts,
        Err(refusal) => {
            let mut facts = by_tokens(text, &locate);
            facts.token_read = Some(refusal.to_string());
            facts
        }
    };
    for mark in MINER_MARKS {
        if let Some(at) = text.find(mark) {
            facts.sinks.push(Sink {
                kind: SinkKind::CoinMiner,
                code: mark.to_owned(),
                at: locate(at),
            });
        }
    }
    facts.sinks.sort_by_key(|s| (s.at.line, s.at.column));
    facts
}

struct Visitor<'t, F: Fn(usize) -> Location> {
    text: &'t str,
    locate: &'t F,
    facts: FileFacts,
    /// Start offsets of string literals already reported as a network call's address.
    consumed: HashSet<u32>,
    /// Start offsets of callees of `eval` calls already reported.
    eval_callees: HashSet<u32>,
}

/// The dotted name of a member chain: `["document", "write"]` for `document.write`, with `*`
/// for a part that is not a plain name (a call, `this`, a computed key).
fn chain<'e>(expr: &'e Expression<'_>) -> Vec<&'e str> {
    let mut parts = Vec::new();
    let mut e = expr.get_inner_expression();
    loop {
        match e {
            Expression::Identifier(id) => {
                parts.push(id.name.as_str());
                break;
            }
            Expression::StaticMemberExpression(m) => {
                parts.push(m.property.name.as_str());
                e = m.object.get_inner_expression();
            }
            Expression::ComputedMemberExpression(m) => {
                match &m.expression {
                    Expression::StringLiteral(s) => parts.push(s.value.as_str()),
                    _ => parts.push("*"),
                }
                e = m.object.get_inner_expression();
            }
            Expression::ThisExpression(_) => {
                parts.push("this");
                break;
            }
            _ => {
                parts.push("*");
                break;
            }
        }
        if parts.len() > 16 {
            break;
        }
    }
    parts.reverse();
    without_globals(parts)
}

/// `window.eval` is `eval`, `self.chrome.tabs` is `chrome.tabs`.
fn without_globals(mut parts: Vec<&str>) -> Vec<&str> {
    let globals = parts
        .iter()
        .take(parts.len().saturating_sub(1))
        .take_while(|p| GLOBALS.contains(p))
        .count();
    parts.drain(..globals);
    parts
}

/// Whether `name` is the chain's only part (a global function called by name).
fn is_global(parts: &[&str], name: &str) -> bool {
    parts.len() == 1 && parts[0] == name
}

/// Whether `e` is a value no-one can inject into: a string literal, a template without
/// substitutions, or literals joined with `+`.
fn is_literal(e: &Expression<'_>) -> bool {
    match e.get_inner_expression() {
        Expression::StringLiteral(_)
        | Expression::NumericLiteral(_)
        | Expression::BooleanLiteral(_)
        | Expression::NullLiteral(_) => true,
        Expression::TemplateLiteral(t) => t.expressions.iter().all(is_literal),
        Expression::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
            is_literal(&b.left) && is_literal(&b.right)
        }
        _ => false,
    }
}

/// Whether `e` is a string (a literal, a template, or a `+` with a string on either side), as
/// a timer's first argument would be run as code.
fn is_stringish(e: &Expression<'_>) -> bool {
    match e.get_inner_expression() {
        Expression::StringLiteral(_) | Expression::TemplateLiteral(_) => true,
        Expression::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
            is_stringish(&b.left) || is_stringish(&b.right)
        }
        _ => false,
    }
}

fn arg_expr<'e, 'a>(args: &'e [Argument<'a>], i: usize) -> Option<&'e Expression<'a>> {
    args.get(i).and_then(Argument::as_expression)
}

impl<F: Fn(usize) -> Location> Visitor<'_, F> {
    fn code(&self, start: u32, end: u32) -> String {
        let (s, e) = (start as usize, (end as usize).min(self.text.len()));
        self.text
            .get(s..e)
            .map(|c| one_line(c, CODE_WIDTH))
            .unwrap_or_default()
    }

    fn sink(&mut self, kind: SinkKind, span: oxc_span::Span) {
        let code = self.code(span.start, span.end);
        let at = (self.locate)(span.start as usize);
        self.facts.sinks.push(Sink { kind, code, at });
    }

    /// The address a network call is given: an endpoint for a literal URL (or a template or
    /// concatenation that starts with one), a computed one otherwise; nothing for an address
    /// inside the package (relative, or `runtime.getURL(…)`).
    fn call_target(&mut self, e: Option<&Expression<'_>>, via: EndpointVia, at: u32) {
        let location = (self.locate)(at as usize);
        let Some(e) = e.map(Expression::get_inner_expression) else {
            return;
        };
        let head = match e {
            Expression::StringLiteral(s) => {
                self.consumed.insert(s.span.start);
                Some(s.value.as_str().to_owned())
            }
            Expression::TemplateLiteral(t) => t.quasis.first().map(|q| {
                self.consumed.insert(q.span.start);
                q.value.cooked.unwrap_or(q.value.raw).as_str().to_owned()
            }),
            Expression::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
                let mut left = &b.left;
                while let Expression::BinaryExpression(inner) = left.get_inner_expression() {
                    left = &inner.left;
                }
                match left.get_inner_expression() {
                    Expression::StringLiteral(s) => {
                        self.consumed.insert(s.span.start);
                        Some(s.value.as_str().to_owned())
                    }
                    _ => None,
                }
            }
            Expression::CallExpression(c) if chain(&c.callee).last() == Some(&"getURL") => {
                return;
            }
            _ => None,
        };
        match head.as_deref().map(endpoints::classify) {
            Some(Found::Remote(found)) => self.facts.endpoints.push(found.at(via, location)),
            Some(Found::Local) => {}
            Some(Found::Unknown) | None => self.facts.endpoints.push(Endpoint {
                host: None,
                url: None,
                ip: false,
                via,
                at: location,
            }),
        }
    }

    fn literal_text(&mut self, value: &str, start: u32) {
        if self.consumed.contains(&start) {
            return;
        }
        if value == "blocking" && self.facts.says_blocking.is_none() {
            self.facts.says_blocking = Some((self.locate)(start as usize));
        }
        if value.len() < 8 {
            return;
        }
        for found in endpoints::urls_in(value) {
            let at = (self.locate)(start as usize);
            self.facts
                .endpoints
                .push(found.at(EndpointVia::Literal, at));
        }
    }

    fn member(&mut self, parts: &[&str], start: u32) {
        let Some(root) = parts.first() else { return };
        if !API_ROOTS.contains(root) || parts.len() < 2 || parts.len() > 3 {
            return;
        }
        if parts[1..].contains(&"*") {
            return;
        }
        let api = parts[1..].join(".");
        self.facts.apis.push((api, (self.locate)(start as usize)));
    }
}

impl<'a, F: Fn(usize) -> Location> Visit<'a> for Visitor<'_, F> {
    fn visit_call_expression(&mut self, call: &CallExpression<'a>) {
        let parts = chain(&call.callee);
        let last = parts.last().copied().unwrap_or("");
        let prev = parts.len().checked_sub(2).map(|i| parts[i]);
        let args = &call.arguments;
        let global = |name: &str| is_global(&parts, name);
        if global("eval") {
            self.eval_callees.insert(call.callee.span().start);
            self.sink(SinkKind::Eval, call.span);
        } else if global("Function") {
            self.sink(SinkKind::FunctionConstructor, call.span);
        } else if (global("setTimeout") || global("setInterval") || global("execScript"))
            && arg_expr(args, 0).is_some_and(is_stringish)
        {
            self.sink(SinkKind::StringTimer, call.span);
        } else if matches!(last, "write" | "writeln")
            && prev.is_some_and(|p| p.to_ascii_lowercase().contains("document"))
        {
            self.sink(SinkKind::DocumentWrite, call.span);
        } else if last == "insertAdjacentHTML" && arg_expr(args, 1).is_some_and(|e| !is_literal(e))
            || matches!(last, "createContextualFragment" | "setHTMLUnsafe")
                && arg_expr(args, 0).is_some_and(|e| !is_literal(e))
        {
            self.sink(SinkKind::HtmlInsertion, call.span);
        } else if matches!(
            (prev, last),
            (Some("tabs"), "executeScript" | "insertCSS")
                | (Some("scripting"), "executeScript")
                | (Some("contentScripts" | "userScripts"), "register")
        ) && args.iter().any(|a| has_code_property(a))
        {
            self.sink(SinkKind::InjectedCode, call.span);
        } else if global("importScripts") {
            for arg in args.iter() {
                self.script_source(arg.as_expression(), call.span);
            }
        } else if global("fetch") {
            self.call_target(arg_expr(args, 0), EndpointVia::Fetch, call.span.start);
        } else if last == "open"
            && args.len() >= 2
            && matches!(arg_expr(args, 0).map(Expression::get_inner_expression),
                Some(Expression::StringLiteral(m)) if is_http_method(m.value.as_str()))
        {
            self.call_target(arg_expr(args, 1), EndpointVia::Xhr, call.span.start);
        } else if last == "sendBeacon" && prev == Some("navigator") {
            self.call_target(arg_expr(args, 0), EndpointVia::Beacon, call.span.start);
        } else if prev == Some("WebAssembly")
            && matches!(
                last,
                "instantiate" | "compile" | "instantiateStreaming" | "compileStreaming"
            )
        {
            self.sink(SinkKind::WebAssembly, call.span);
        } else if prev == Some("runtime") && matches!(last, "connectNative" | "sendNativeMessage") {
            self.sink(SinkKind::NativeMessaging, call.span);
        }
        walk::walk_call_expression(self, call);
    }

    fn visit_new_expression(&mut self, new: &NewExpression<'a>) {
        let parts = chain(&new.callee);
        let args = &new.arguments;
        match parts.as_slice() {
            ["Function"] => self.sink(SinkKind::FunctionConstructor, new.span),
            ["WebSocket"] => {
                self.call_target(arg_expr(args, 0), EndpointVia::WebSocket, new.span.start)
            }
            ["EventSource"] => {
                self.call_target(arg_expr(args, 0), EndpointVia::EventSource, new.span.start);
            }
            ["WebAssembly", "Module" | "Instance"] => self.sink(SinkKind::WebAssembly, new.span),
            _ => {}
        }
        walk::walk_new_expression(self, new);
    }

    fn visit_import_expression(&mut self, import: &ImportExpression<'a>) {
        self.script_source(Some(&import.source), import.span);
        walk::walk_import_expression(self, import);
    }

    fn visit_assignment_expression(&mut self, assign: &AssignmentExpression<'a>) {
        let property = match &assign.left {
            AssignmentTarget::StaticMemberExpression(m) => Some(m.property.name.as_str()),
            AssignmentTarget::ComputedMemberExpression(m) => match &m.expression {
                Expression::StringLiteral(s) => Some(s.value.as_str()),
                _ => None,
            },
            _ => None,
        };
        if matches!(property, Some("innerHTML" | "outerHTML"))
            && matches!(
                assign.operator,
                AssignmentOperator::Assign
                    | AssignmentOperator::Addition
                    | AssignmentOperator::LogicalOr
                    | AssignmentOperator::LogicalAnd
                    | AssignmentOperator::LogicalNullish
            )
            && !is_literal(&assign.right)
        {
            self.sink(SinkKind::HtmlAssignment, assign.span);
        }
        walk::walk_assignment_expression(self, assign);
    }

    fn visit_static_member_expression(&mut self, m: &StaticMemberExpression<'a>) {
        let parts = chain_of_member(m.object.get_inner_expression(), m.property.name.as_str());
        self.member(&parts, m.span.start);
        // `window.eval` taken as a value (aliased, wrapped, replaced) is eval all the same.
        if parts == ["eval"] && !self.eval_callees.contains(&m.span.start) {
            self.sink(SinkKind::Eval, m.span);
        }
        walk::walk_static_member_expression(self, m);
    }

    fn visit_computed_member_expression(&mut self, m: &ComputedMemberExpression<'a>) {
        if let Expression::StringLiteral(s) = &m.expression {
            let parts = chain_of_member(m.object.get_inner_expression(), s.value.as_str());
            self.member(&parts, m.span.start);
        }
        walk::walk_computed_member_expression(self, m);
    }

    fn visit_identifier_reference(&mut self, id: &IdentifierReference<'a>) {
        // `const e = eval` makes an indirect eval.
        if id.name == "eval" && !self.eval_callees.contains(&id.span.start) {
            self.sink(SinkKind::Eval, id.span);
        }
    }

    fn visit_string_literal(&mut self, s: &StringLiteral<'a>) {
        self.literal_text(s.value.as_str(), s.span.start);
    }

    fn visit_template_literal(&mut self, t: &TemplateLiteral<'a>) {
        for q in &t.quasis {
            let value = q.value.cooked.unwrap_or(q.value.raw);
            self.literal_text(value.as_str(), q.span.start);
        }
        walk::walk_template_literal(self, t);
    }
}

impl<F: Fn(usize) -> Location> Visitor<'_, F> {
    /// A script loaded by `importScripts` or `import()`.
    fn script_source(&mut self, e: Option<&Expression<'_>>, span: oxc_span::Span) {
        let Some(e) = e.map(Expression::get_inner_expression) else {
            return;
        };
        match e {
            Expression::StringLiteral(s) => match endpoints::classify(s.value.as_str()) {
                Found::Remote(found) => {
                    self.consumed.insert(s.span.start);
                    let at = (self.locate)(span.start as usize);
                    self.facts
                        .endpoints
                        .push(found.at(EndpointVia::ScriptImport, at));
                    self.sink(SinkKind::RemoteScript, span);
                }
                Found::Local | Found::Unknown => {}
            },
            Expression::TemplateLiteral(t) if t.expressions.iter().all(is_literal) => {}
            // A file of the package, by its extension URL.
            Expression::CallExpression(c) if chain(&c.callee).last() == Some(&"getURL") => {}
            _ => self.sink(SinkKind::DynamicScript, span),
        }
    }
}

/// The chain of `object.property`.
fn chain_of_member<'e>(object: &'e Expression<'_>, property: &'e str) -> Vec<&'e str> {
    let mut parts = chain(object);
    parts.push(property);
    without_globals(parts)
}

/// Whether an argument is an options object with a `code` property (code given as a string).
fn has_code_property(arg: &Argument<'_>) -> bool {
    let Some(Expression::ObjectExpression(obj)) =
        arg.as_expression().map(Expression::get_inner_expression)
    else {
        return false;
    };
    obj.properties.iter().any(|p| match p {
        ObjectPropertyKind::ObjectProperty(prop) => match &prop.key {
            PropertyKey::StaticIdentifier(id) => id.name == "code",
            PropertyKey::StringLiteral(s) => s.value == "code",
            _ => false,
        },
        ObjectPropertyKind::SpreadProperty(_) => false,
    })
}

fn is_http_method(m: &str) -> bool {
    ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"]
        .iter()
        .any(|x| x.eq_ignore_ascii_case(m))
}

/// The facts of a text the parser refused, from its tokens: each sink by the names around it
/// (`eval (`, `. innerHTML =`, `document . write`), API chains, and URLs in string literals.
/// Coarser than the syntax tree (an assignment's value is not known to be literal), and said
/// so in [`FileFacts::token_read`].
fn by_tokens(text: &str, locate: &impl Fn(usize) -> Location) -> FileFacts {
    let mut facts = FileFacts::default();
    let base = text.as_ptr() as usize;
    let toks: Vec<(Kind, &str)> = js_tokens(text)
        .filter(|(k, _)| !matches!(k, Kind::LineComment | Kind::BlockComment))
        .collect();
    let offset = |s: &str| s.as_ptr() as usize - base;
    let word = |i: usize, w: &str| toks.get(i).is_some_and(|t| t.0 == Kind::Word && t.1 == w);
    let punct = |i: usize, p: &str| toks.get(i).is_some_and(|t| t.0 == Kind::Punct && t.1 == p);
    for (i, (kind, tok)) in toks.iter().enumerate() {
        let after_dot = i > 0 && punct(i - 1, ".");
        let sink = match kind {
            Kind::Word if !after_dot && punct(i + 1, "(") => match *tok {
                "eval" => Some(SinkKind::Eval),
                "Function" => Some(SinkKind::FunctionConstructor),
                "setTimeout" | "setInterval"
                    if toks
                        .get(i + 2)
                        .is_some_and(|t| matches!(t.0, Kind::Str | Kind::Template)) =>
                {
                    Some(SinkKind::StringTimer)
                }
                _ => None,
            },
            Kind::Word if after_dot => match *tok {
                "innerHTML" | "outerHTML"
                    if punct(i + 1, "=") && !toks.get(i + 2).is_some_and(|t| t.0 == Kind::Str) =>
                {
                    Some(SinkKind::HtmlAssignment)
                }
                "write" | "writeln" if i >= 2 && word(i - 2, "document") => {
                    Some(SinkKind::DocumentWrite)
                }
                "insertAdjacentHTML" => Some(SinkKind::HtmlInsertion),
                _ => None,
            },
            Kind::Word if API_ROOTS.contains(tok) && !after_dot && punct(i + 1, ".") => {
                if let Some((Kind::Word, ns)) = toks.get(i + 2) {
                    let api = match (punct(i + 3, "."), toks.get(i + 4)) {
                        (true, Some((Kind::Word, member))) => format!("{ns}.{member}"),
                        _ => (*ns).to_owned(),
                    };
                    facts.apis.push((api, locate(offset(tok))));
                }
                None
            }
            Kind::Str | Kind::Template => {
                let inner = tok.get(1..tok.len().saturating_sub(1)).unwrap_or("");
                if inner == "blocking" && facts.says_blocking.is_none() {
                    facts.says_blocking = Some(locate(offset(tok)));
                }
                for found in endpoints::urls_in(inner) {
                    facts
                        .endpoints
                        .push(found.at(EndpointVia::Literal, locate(offset(tok))));
                }
                None
            }
            _ => None,
        };
        if let Some(kind) = sink {
            let start = offset(tok);
            let end = toks
                .get(i + 6)
                .map(|t| offset(t.1) + t.1.len())
                .unwrap_or(text.len());
            facts.sinks.push(Sink {
                kind,
                code: one_line(&text[start..end.max(start)], CODE_WIDTH),
                at: locate(start),
            });
        }
    }
    facts
}
