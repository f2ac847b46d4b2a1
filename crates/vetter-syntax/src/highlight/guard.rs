//! syntect's parser with a time limit per line.
//!
//! Some grammar and line pairs send syntect's `ParseState::parse_line` into a loop that never
//! ends: two rules that match empty at one byte and `set` each other's context
//! (trishume/syntect#706, open), or branch points that backtrack without end (#707). The
//! fuzzer found one in the bundled HTML grammar's embedded JavaScript on a 38-byte line. A call
//! cannot be interrupted, so each highlighter parses on a thread of its own and waits for each
//! line at most [`LINE_BUDGET`]; past that the file's remaining lines are shown plain (their
//! text in full) and the stuck thread is abandoned. Every abandoned thread keeps a core busy
//! until the app exits, so after [`MAX_ABANDONED`] of them syntect is not used again in this
//! process and grammar files are shown plain.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use syntect::parsing::{ParseState, ScopeStackOp};

use super::syntax;

/// How long one line (or one chunk of a long line) may take. A chunk is at most a few
/// kilobytes and takes milliseconds, so only a loop comes near this.
pub(super) const LINE_BUDGET: Duration = Duration::from_secs(2);

/// How many stuck parser threads the process tolerates before it stops using syntect.
pub(super) const MAX_ABANDONED: usize = 2;

/// Stuck parser threads left behind in this process.
static ABANDONED: AtomicUsize = AtomicUsize::new(0);

/// What parsing one line gave.
pub(super) enum Parsed {
    /// The state after the line and its scope operations.
    Done(Box<ParseState>, Vec<(usize, ScopeStackOp)>),
    /// The grammar could not continue.
    Failed,
    /// The line took longer than [`LINE_BUDGET`]: syntect is looping.
    TimedOut,
}

type Job = (Box<ParseState>, String, mpsc::Sender<Result<Parsed, ()>>);

/// One highlighter's parser thread, started at its first line. After a timeout the
/// highlighter stops asking (it is stalled), so the guard keeps no state of its own for it.
#[derive(Default)]
pub(super) struct Guard {
    jobs: Option<mpsc::Sender<Job>>,
}

/// Whether syntect may still be used in this process.
pub(super) fn syntect_usable() -> bool {
    ABANDONED.load(Ordering::Relaxed) < MAX_ABANDONED
}

impl Guard {
    /// Parses `line` from `state` on the parser thread, waiting at most `budget`.
    pub(super) fn parse(&mut self, state: &ParseState, line: &str, budget: Duration) -> Parsed {
        if !syntect_usable() {
            return Parsed::TimedOut;
        }
        let Some(jobs) = self.jobs() else {
            return Parsed::TimedOut;
        };
        let (reply, answer) = mpsc::channel();
        if jobs
            .send((Box::new(state.clone()), line.to_owned(), reply))
            .is_err()
        {
            self.jobs = None;
            return Parsed::TimedOut;
        }
        match answer.recv_timeout(budget) {
            Ok(Ok(parsed)) => parsed,
            // The thread panicked inside syntect: treat the grammar as unable to continue.
            Ok(Err(())) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                self.jobs = None;
                Parsed::TimedOut
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                self.jobs = None;
                ABANDONED.fetch_add(1, Ordering::Relaxed);
                Parsed::TimedOut
            }
        }
    }

    /// The parser thread's queue, starting the thread if needed.
    fn jobs(&mut self) -> Option<&mpsc::Sender<Job>> {
        if self.jobs.is_none() {
            let (send, receive) = mpsc::channel::<Job>();
            std::thread::Builder::new()
                .name("syntect-parse".into())
                .spawn(move || {
                    // Ends when the highlighter (the only sender) is dropped.
                    for (mut state, line, reply) in receive {
                        let parsed =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match state
                                .parse_line(&line, syntax::syntax_set())
                            {
                                Ok(ops) => Parsed::Done(state, ops),
                                Err(_) => Parsed::Failed,
                            }))
                            .map_err(|_| ());
                        // The highlighter may have stopped waiting; nothing to do then.
                        let _ = reply.send(parsed);
                    }
                })
                .ok()?;
            self.jobs = Some(send);
        }
        self.jobs.as_ref()
    }
}
