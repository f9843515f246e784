//! Simulations off the request threads: a fixed set of worker threads behind a bounded queue,
//! and the trial job.

use std::path::Path;
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use osteosim_model::builtin;
use osteosim_model::virtual_trial::{self, Finished, TrialOptions, WORK_DIR};

use super::{TrialJob, TrialState};
use crate::pages;

type Job = Box<dyn FnOnce() + Send>;

/// Worker threads that take jobs from a queue of bounded length.
pub struct Queue {
    sender: SyncSender<Job>,
}

/// What became of a submitted job.
pub enum Submit<T> {
    /// Queued; its answer arrives on the receiver.
    Queued(tokio::sync::oneshot::Receiver<T>),
    /// The queue is full: refused at once.
    Full,
}

impl Queue {
    pub fn new(name: &str, workers: usize, capacity: usize) -> Queue {
        let (sender, receiver) = sync_channel::<Job>(capacity);
        let receiver = Arc::new(Mutex::new(receiver));
        for k in 0..workers {
            let receiver = receiver.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("osteosim-{name}-{k}"))
                .spawn(move || loop {
                    let job = {
                        let r = receiver.lock().unwrap_or_else(|p| p.into_inner());
                        r.recv()
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => break,
                    }
                });
            if let Err(e) = spawned {
                crate::failure::note(&format!("warning: cannot start a {name} worker: {e}"));
            }
        }
        Queue { sender }
    }

    /// Queue `work`; its result is sent back unless the receiver is gone.
    pub fn submit<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Submit<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(work());
        });
        match self.sender.try_send(job) {
            Ok(()) => Submit::Queued(rx),
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => Submit::Full,
        }
    }
}

/// Chunks of a running trial committed so far: its part files.
pub fn committed_chunks(dir: &Path) -> u64 {
    std::fs::read_dir(dir.join(WORK_DIR))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    name.starts_with("part-") && name.ends_with(".parquet")
                })
                .count() as u64
        })
        .unwrap_or(0)
}

fn set(job: &TrialJob, state: TrialState) {
    *job.state.lock().unwrap_or_else(|p| p.into_inner()) = state;
}

/// Run a trial into the job's own directory, then draw its report.
pub fn run_trial(job: &TrialJob, text: &str) {
    set(job, TrialState::Running);
    let label = format!("trial {}", job.id);
    let options = TrialOptions {
        threads: Some(1),
        resume: false,
        stop_after_chunks: None,
        progress: false,
        ..TrialOptions::default()
    };
    let finished = virtual_trial::run(
        builtin::model(),
        builtin::kernel(),
        text,
        &label,
        &job.dir,
        &options,
    );
    let state = match finished {
        Err(e) => TrialState::Failed(e.to_string()),
        Ok(Finished::Stopped { .. }) => TrialState::Failed("the trial stopped early".into()),
        Ok(Finished::Complete { .. }) => {
            match pages::trial::build(builtin::model(), &label, &job.dir) {
                Err(e) => TrialState::Failed(e),
                Ok(report) => match (report.data(), report.render()) {
                    (Ok(data), Ok(html)) => {
                        match osteosim_engine::output::write_all_or_nothing(
                            &job.dir,
                            &[(pages::REPORT_FILE, html.into_bytes())],
                        ) {
                            Ok(_) => TrialState::Done(Arc::new(data)),
                            Err(e) => TrialState::Failed(e.to_string()),
                        }
                    }
                    (Err(e), _) | (_, Err(e)) => TrialState::Failed(e.to_string()),
                },
            }
        }
    };
    set(job, state);
}
