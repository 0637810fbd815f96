//! Group commit: the engine's inbox writes (webhooks taken in, claims, outcomes, polls) go to one
//! writer thread, which runs every write waiting for it in one transaction, each in its own
//! savepoint (a write that fails undoes only itself), commits once (one fsync for all of them)
//! and only then answers each. Under load, many webhooks share an fsync; none is acknowledged
//! before its write is on disk. The thread starts with the first write and ends when the inbox's
//! last clone is dropped.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;

use rusqlite::Connection;

use super::InboxError;
use crate::sqlite::SharedConnection;

/// At most this many writes share one transaction, so one commit never waits on an endless queue.
const MOST_PER_COMMIT: usize = 1024;

/// A write waiting for the writer thread.
trait PendingWrite: Send {
    /// Runs the write inside the group's transaction; whether it succeeded.
    fn run(&mut self, db: &Connection) -> bool;
    /// Hands back the write's result once the group is committed, or the group's failure.
    fn answer(self: Box<Self>, committed: Result<(), InboxError>);
}

/// A write and where its result goes.
struct Write<T, W> {
    work: Option<W>,
    result: Option<Result<T, InboxError>>,
    reply: Box<dyn FnOnce(Result<T, InboxError>) + Send>,
}

impl<T, W> PendingWrite for Write<T, W>
where
    T: Send,
    W: FnOnce(&Connection) -> Result<T, InboxError> + Send,
{
    fn run(&mut self, db: &Connection) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        let result = catch_unwind(AssertUnwindSafe(|| work(db)))
            .unwrap_or_else(|_| Err(InboxError("an inbox write panicked".to_owned())));
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn answer(self: Box<Self>, committed: Result<(), InboxError>) {
        let result = match committed {
            Ok(()) => self
                .result
                .unwrap_or_else(|| Err(InboxError("the inbox write never ran".to_owned()))),
            Err(error) => Err(error),
        };
        (self.reply)(result);
    }
}

/// The sending side of the writer thread. Cheap to clone.
#[derive(Clone)]
pub(super) struct GroupCommit {
    writes: mpsc::Sender<Box<dyn PendingWrite>>,
}

impl GroupCommit {
    /// Starts the writer thread on `db`. Should the thread not start, every write answers that
    /// the writer has stopped.
    pub(super) fn start(db: SharedConnection) -> Self {
        let (writes, queue) = mpsc::channel();
        let started = std::thread::Builder::new()
            .name("mlc-inbox-writer".to_owned())
            .spawn(move || write_groups(&db, &queue));
        if let Err(error) = started {
            tracing::error!(%error, "cannot start the inbox writer");
        }
        Self { writes }
    }

    /// Runs `work` in the next group; its result once committed.
    pub(super) async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, InboxError> + Send + 'static,
    ) -> Result<T, InboxError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.submit(work, move |result| {
            let _waiter_gone = reply.send(result);
        });
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }

    /// Queues `work`; `reply` gets its result after the commit that carries it.
    fn submit<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, InboxError> + Send + 'static,
        reply: impl FnOnce(Result<T, InboxError>) + Send + 'static,
    ) {
        let write = Box::new(Write {
            work: Some(work),
            result: None,
            reply: Box::new(reply),
        });
        if let Err(mpsc::SendError(write)) = self.writes.send(write) {
            write.answer(Err(stopped()));
        }
    }
}

/// The writer thread: takes whatever is waiting, commits it as one group, answers, repeats.
fn write_groups(db: &SharedConnection, queue: &mpsc::Receiver<Box<dyn PendingWrite>>) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < MOST_PER_COMMIT {
            match queue.try_recv() {
                Ok(write) => group.push(write),
                Err(_) => break,
            }
        }
        let committed = commit_group(&mut db.lock(), &mut group);
        for write in group {
            write.answer(committed.clone());
        }
    }
}

/// Runs `group` in one transaction, each write in a savepoint of its own.
fn commit_group(
    db: &mut Connection,
    group: &mut [Box<dyn PendingWrite>],
) -> Result<(), InboxError> {
    let mut tx = db.transaction()?;
    for write in group.iter_mut() {
        let savepoint = tx.savepoint()?;
        if write.run(&savepoint) {
            savepoint.commit()?;
        }
        // A failed write's savepoint rolls back when dropped.
    }
    tx.commit()?;
    Ok(())
}

fn stopped() -> InboxError {
    InboxError("the inbox writer has stopped".to_owned())
}

#[cfg(test)]
mod tests {
    use rusqlite::params;

    use super::*;
    use crate::sqlite::fresh_path;

    fn table(path: &std::path::Path) -> SharedConnection {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let db = Connection::open(path).unwrap();
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE kept (n INTEGER PRIMARY KEY)",
        )
        .unwrap();
        SharedConnection::new(db)
    }

    fn count(path: &std::path::Path) -> i64 {
        Connection::open(path)
            .unwrap()
            .query_row("SELECT COUNT(*) FROM kept", [], |row| row.get(0))
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_writes_share_commits_and_a_failing_one_undoes_only_itself() {
        let path = fresh_path("group.db");
        let writer = GroupCommit::start(table(&path));
        let mut writes = tokio::task::JoinSet::new();
        for n in 0..200_i64 {
            let writer = writer.clone();
            writes.spawn(async move {
                let written = writer
                    .write(move |db| {
                        db.execute("INSERT INTO kept (n) VALUES (?1)", params![n])?;
                        // Every tenth write fails after its insert: the insert is undone.
                        if n % 10 == 0 {
                            db.execute("INSERT INTO nowhere VALUES (1)", [])?;
                        }
                        Ok(n)
                    })
                    .await;
                (n, written)
            });
        }
        let mut failed = 0;
        while let Some(joined) = writes.join_next().await {
            let (n, written) = joined.unwrap();
            match written {
                Ok(answered) => assert_eq!(answered, n),
                Err(error) => {
                    assert_eq!(n % 10, 0, "{error}");
                    assert!(error.0.contains("no such table: nowhere"), "{error}");
                    failed += 1;
                }
            }
        }
        assert_eq!(failed, 20);
        assert_eq!(count(&path), 180, "the others are all on disk");
    }

    #[tokio::test]
    async fn a_write_is_answered_only_once_another_connection_can_read_it() {
        let path = fresh_path("group.db");
        let writer = GroupCommit::start(table(&path));
        for n in 0..5 {
            writer
                .write(move |db| Ok(db.execute("INSERT INTO kept (n) VALUES (?1)", params![n])?))
                .await
                .unwrap();
            assert_eq!(count(&path), n + 1);
        }
    }

    #[tokio::test]
    async fn a_panicking_write_is_an_error_and_the_writer_goes_on() {
        let path = fresh_path("group.db");
        let writer = GroupCommit::start(table(&path));
        let panicked = writer
            .write(|_| -> Result<(), InboxError> { panic!("a bug in a write") })
            .await
            .unwrap_err();
        assert_eq!(panicked.0, "an inbox write panicked");
        writer
            .write(|db| Ok(db.execute("INSERT INTO kept (n) VALUES (1)", [])?))
            .await
            .unwrap();
        assert_eq!(count(&path), 1);
    }
}
