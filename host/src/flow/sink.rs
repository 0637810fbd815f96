//! One lane per sink connection: at most `concurrency` apply calls at once (Intacct: one request
//! at a time per company unless configured), and the commands of events waiting in the lane
//! batched into one apply call of up to `batch` commands, for connectors that send a batch as one
//! request. Each event gets back its own slice of the results, and the call's requests and times.
//! An event waiting here gives its worker back (see `worker`), so the lane has room of its own:
//! `2 × batch × concurrency` events, a full batch being applied and the next one filling. When
//! attempts are recorded, the apply is taped and its tape encoded once for the batch's events.
//! Each apply call holds one of the lane's slots, which with several hosts are held across them
//! (`lane_gate`).

use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use crate::bindings::types::{Applied, Command, PluginError};
use crate::call::ConnectorCall;
use crate::error::HostError;
use crate::flow::inbox::{EncodedApply, encode_apply};
use crate::flow::lane_gate::Slot;
use crate::flow::recording::{ApplyTape, RecordedCommand};
use crate::tape::Received;
use crate::trace::CallReport;

/// What one event's commands came back with.
pub(crate) struct LaneAnswer {
    /// The apply call's report, its result cut down to this event's commands.
    pub report: CallReport<Vec<Result<Applied, PluginError>>>,
    /// Commands and events in the apply call that carried these.
    pub batch_commands: usize,
    pub batch_events: usize,
    /// The batch's apply tape, encoded once for all its events (when recording).
    pub tape: Option<EncodedApply>,
}

struct Job {
    call: ConnectorCall,
    commands: Vec<Command>,
    reply: oneshot::Sender<LaneAnswer>,
}

/// The queue in front of one sink connection.
#[derive(Clone)]
pub(crate) struct SinkLane {
    connection: Arc<str>,
    jobs: mpsc::UnboundedSender<Job>,
    room: Arc<Semaphore>,
}

/// A place in a lane, held from [`SinkLane::enter`] until the event's answer comes back.
pub(crate) struct Place {
    _room: OwnedSemaphorePermit,
}

impl SinkLane {
    /// The lane of sink connection `connection`, one apply call at once per slot of `slots`;
    /// `taping` tapes each apply for the recordings.
    pub fn start(connection: &str, slots: Vec<Slot>, batch: usize, taping: bool) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        let (concurrency, batch) = (slots.len().max(1), batch.max(1));
        let slots = Arc::new(Slots {
            permits: Arc::new(Semaphore::new(slots.len())),
            free: Mutex::new(slots),
        });
        tokio::spawn(drive(connection.into(), queue, slots, batch, taping));
        Self {
            connection: connection.into(),
            jobs,
            room: Arc::new(Semaphore::new(2 * batch * concurrency)),
        }
    }

    /// Waits for room in the lane.
    pub async fn enter(&self) -> Place {
        Place {
            _room: (self.room.clone().acquire_owned().await)
                .expect("a lane's room is never closed"),
        }
    }

    /// Applies `commands` through `call`, possibly in one call with other events' commands; the
    /// place is given back with the answer.
    pub async fn apply(
        &self,
        _place: Place,
        call: ConnectorCall,
        commands: Vec<Command>,
    ) -> LaneAnswer {
        let (reply, answer) = oneshot::channel();
        let sent = self.jobs.send(Job {
            call,
            commands,
            reply,
        });
        match sent {
            Ok(()) => answer.await.unwrap_or_else(|_| self.stopped()),
            Err(_) => self.stopped(),
        }
    }

    /// The answer when the lane no longer runs: the batch never reached the connector.
    fn stopped(&self) -> LaneAnswer {
        let error = HostError::LaneStopped {
            connection: self.connection.to_string(),
        };
        LaneAnswer {
            report: unapplied(error),
            batch_commands: 0,
            batch_events: 0,
            tape: None,
        }
    }
}

/// The report of an apply call that never reached the connector.
fn unapplied(error: HostError) -> CallReport<Vec<Result<Applied, PluginError>>> {
    CallReport {
        result: Err(error.into()),
        logs: Vec::new(),
        logs_dropped: 0,
        http: Vec::new(),
        tape: Vec::new(),
        plugin_time: Default::default(),
        total_time: Default::default(),
    }
}

/// A lane's slots: as many permits as slots, and the slots no apply call holds.
struct Slots {
    permits: Arc<Semaphore>,
    free: Mutex<Vec<Slot>>,
}

impl Slots {
    /// Waits for a free slot; none once the lane is closed.
    async fn take(self: &Arc<Self>) -> Option<Taken> {
        let permit = self.permits.clone().acquire_owned().await.ok()?;
        let slot = self.free.lock().expect("the free slots").pop()?;
        Some(Taken {
            slot: Some(slot),
            slots: self.clone(),
            _permit: permit,
        })
    }
}

/// A slot an apply call holds; given back when dropped.
struct Taken {
    slot: Option<Slot>,
    slots: Arc<Slots>,
    _permit: OwnedSemaphorePermit,
}

impl Taken {
    fn slot(&self) -> &Slot {
        self.slot
            .as_ref()
            .expect("a taken slot until it is dropped")
    }
}

impl Drop for Taken {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            self.slots.free.lock().expect("the free slots").push(slot);
        }
    }
}

/// Takes jobs in arrival order; once a slot is free, adds every job already waiting (same plugin
/// version, within the batch size) and runs them as one apply call.
async fn drive(
    connection: Arc<str>,
    mut queue: mpsc::UnboundedReceiver<Job>,
    slots: Arc<Slots>,
    batch: usize,
    taping: bool,
) {
    let mut carried: Option<Job> = None;
    loop {
        let first = match carried.take() {
            Some(job) => job,
            None => match queue.recv().await {
                Some(job) => job,
                None => return,
            },
        };
        let Some(slot) = slots.take().await else {
            return;
        };
        let mut count = first.commands.len();
        let mut jobs = vec![first];
        while count < batch {
            let Ok(job) = queue.try_recv() else { break };
            let same_plugin = job.call.plugin().hash == jobs[0].call.plugin().hash;
            if !same_plugin || count + job.commands.len() > batch {
                carried = Some(job);
                break;
            }
            count += job.commands.len();
            jobs.push(job);
        }
        tokio::spawn(run_batch(connection.clone(), jobs, slot, taping));
    }
}

/// Applies the jobs' commands in one call, holding `slot` only while the sink is called. When
/// the slot cannot be held, nothing is applied and every job gets the error.
async fn run_batch(connection: Arc<str>, jobs: Vec<Job>, slot: Taken, taping: bool) {
    let commands: Vec<Command> = jobs.iter().flat_map(|job| job.commands.clone()).collect();
    let call = &jobs[0].call;
    let mut report = match slot.slot().hold().await {
        Ok(()) => {
            let report = match taping {
                true => call.apply_taped(&commands).await,
                false => call.apply(&commands).await,
            };
            slot.slot().release().await;
            report
        }
        Err(error) => {
            tracing::warn!(%connection, %error, "a batch waits: its sink lane cannot be held");
            unapplied(error)
        }
    };
    drop(slot);
    let tape = taping.then(|| tape(call, &commands, std::mem::take(&mut report.tape)));
    let tape = tape.flatten();
    let batch_events = jobs.len();
    let mut results = report.result.map(Vec::into_iter);
    for job in jobs {
        let mine = match &mut results {
            Ok(results) => Ok(results.by_ref().take(job.commands.len()).collect()),
            Err(error) => Err(error.clone()),
        };
        let answer = LaneAnswer {
            report: CallReport {
                result: mine,
                logs: report.logs.clone(),
                logs_dropped: report.logs_dropped,
                http: report.http.clone(),
                tape: Vec::new(),
                plugin_time: report.plugin_time,
                total_time: report.total_time,
            },
            batch_commands: commands.len(),
            batch_events,
            tape: tape.clone(),
        };
        let _receiver_gone = job.reply.send(answer);
    }
}

/// The batch's apply tape, encoded once; none (and an error in the log) if it cannot be.
fn tape(
    call: &ConnectorCall,
    commands: &[Command],
    received: Vec<Received>,
) -> Option<EncodedApply> {
    let tape = ApplyTape {
        connector: call.plugin().into(),
        connection: call.connection().name().to_owned(),
        commands: commands.iter().map(RecordedCommand::from).collect(),
        received,
    };
    encode_apply(&tape)
        .inspect_err(|error| tracing::error!(%error, "cannot record an apply's tape"))
        .ok()
}
