//! Per-file work on every core, with results in a stable order.
//!
//! A file's bytes often come from a source only one thread may use (the cache's database
//! connection), and results often go to a sink only one thread may use (standard output), so
//! loading and emitting stay on the calling thread while the work in between runs on workers.

use std::collections::BTreeMap;
use std::sync::{Mutex, mpsc};

/// Items loaded ahead of the one being emitted, per worker: enough to keep every core busy,
/// few enough that memory stays flat on a large tree.
const AHEAD_PER_WORKER: usize = 2;

/// Runs `work` on items `0..count` on every core. Each item is `load`ed on this thread first, in
/// order, and its result goes to `emit` on this thread, in order, as soon as it and every item
/// before it are done. The first error of `load` or `emit` stops the run (items already handed
/// to workers finish first); with one core, or one item, everything runs on this thread.
pub fn ordered<J, R, E>(
    count: usize,
    mut load: impl FnMut(usize) -> Result<J, E>,
    work: impl Fn(J) -> R + Sync,
    mut emit: impl FnMut(usize, R) -> Result<(), E>,
    stopped: impl Fn() -> E,
) -> Result<(), E>
where
    J: Send,
    R: Send,
{
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    if workers < 2 || count < 2 {
        for i in 0..count {
            emit(i, work(load(i)?))?;
        }
        return Ok(());
    }
    let (job_tx, job_rx) = mpsc::sync_channel::<(usize, J)>(workers);
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<(usize, R)>();
    let work = &work;
    std::thread::scope(|scope| {
        for _ in 0..workers.min(count) {
            let (job_rx, done_tx) = (&job_rx, done_tx.clone());
            scope.spawn(move || {
                loop {
                    let next = job_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok((i, job)) = next else { break };
                    if done_tx.send((i, work(job))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        let mut run = || -> Result<(), E> {
            let mut ready: BTreeMap<usize, R> = BTreeMap::new();
            let (mut loaded, mut emitted) = (0, 0);
            while emitted < count {
                while loaded < count && loaded - emitted < workers * AHEAD_PER_WORKER {
                    // A send fails only when every worker is gone (one panicked).
                    job_tx
                        .send((loaded, load(loaded)?))
                        .map_err(|_| stopped())?;
                    loaded += 1;
                }
                let (i, result) = done_rx.recv().map_err(|_| stopped())?;
                ready.insert(i, result);
                while let Some(result) = ready.remove(&emitted) {
                    emit(emitted, result)?;
                    emitted += 1;
                }
            }
            Ok(())
        };
        let result = run();
        // Closing the queue lets the workers finish; the scope waits for them.
        drop(job_tx);
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_out_in_order_whatever_order_the_work_finished_in() {
        let mut emitted = Vec::new();
        let mut loaded = Vec::new();
        ordered(
            40,
            |i| -> Result<usize, String> {
                loaded.push(i);
                Ok(i)
            },
            |i| {
                // Early items take longest, so later ones finish first.
                std::thread::sleep(std::time::Duration::from_millis(((40 - i) % 7) as u64));
                i * 10
            },
            |i, r| {
                emitted.push((i, r));
                Ok(())
            },
            || "stopped".to_owned(),
        )
        .unwrap();
        assert_eq!(loaded, (0..40).collect::<Vec<_>>());
        assert_eq!(emitted, (0..40).map(|i| (i, i * 10)).collect::<Vec<_>>());
    }

    #[test]
    fn a_load_error_stops_the_run_and_nothing_after_it_is_emitted() {
        let mut emitted = Vec::new();
        let result = ordered(
            30,
            |i| {
                if i == 12 {
                    Err(format!("item {i}"))
                } else {
                    Ok(i)
                }
            },
            |i| i,
            |i, _| {
                emitted.push(i);
                Ok(())
            },
            || "stopped".to_owned(),
        );
        assert_eq!(result, Err("item 12".to_owned()));
        assert!(emitted.iter().all(|&i| i < 12), "{emitted:?}");
    }
}
