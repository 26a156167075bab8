//! Appending a PATCH body to an upload so that whatever arrives is kept.
//!
//! The request future only pumps chunks into a channel; a spawned task owns the file,
//! the record and the upload's lock. If the body stream fails, stalls, or the request
//! future is dropped (actix drops it when the connection dies), the task still flushes,
//! fsyncs and records the bytes it wrote, so the client's HEAD sees them.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::fs::File;
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, OwnedMutexGuard};

use super::error::TusError;
use super::record::{self, now_ms, UploadId, UploadRecord};
use super::store::{UploadInfo, UploadStore};

/// A PATCH that sends nothing for this long is treated as broken off. Without it a
/// silently dead connection would hold the upload's lock until TCP gives up, and the
/// client's retries would all be answered `Busy`.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

enum Piece {
    Data(Bytes),
    /// The body ended cleanly; without it the writer knows the body broke off.
    End,
}

impl UploadStore {
    /// Appends `body` at `offset`, which must equal the upload's current offset.
    ///
    /// `content_length`, when known, lets a body that would overrun the upload be refused
    /// before a byte is written. Bytes past the upload's length are never written: the
    /// append stops at the length and answers `ExceedsLength`. A body that breaks off
    /// answers `Interrupted` after storing what arrived.
    pub async fn append<S, E>(
        &self,
        id: &str,
        owner: i64,
        offset: u64,
        content_length: Option<u64>,
        body: S,
    ) -> Result<UploadInfo, TusError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
    {
        let id = UploadId::parse(id)?;
        let guard = self.lock(&id).await?;
        let record = self.load(&id, owner).await?;
        if offset != record.offset {
            return Err(TusError::OffsetMismatch {
                given: offset,
                current: record.offset,
            });
        }
        if content_length.is_some_and(|n| n > record.length - record.offset) {
            return Err(TusError::ExceedsLength {
                length: record.length,
            });
        }
        let file = record::open_part_at(self.dir(), &id, record.offset).await?;
        let (tx, rx) = mpsc::channel(4);
        let task = tokio::spawn(write_pieces(self.clone(), file, record, rx, guard));
        pump(body, tx).await;
        task.await
            .map_err(|e| TusError::Io(std::io::Error::other(e)))?
    }
}

/// Moves the body into the channel, ending with `End` only if the body ended cleanly.
async fn pump<S, E>(mut body: S, tx: mpsc::Sender<Piece>)
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    loop {
        match tokio::time::timeout(IDLE_TIMEOUT, body.next()).await {
            Ok(Some(Ok(bytes))) => {
                // A closed channel means the writer stopped (length reached, disk error).
                if tx.send(Piece::Data(bytes)).await.is_err() {
                    return;
                }
            }
            Ok(None) => {
                let _ = tx.send(Piece::End).await;
                return;
            }
            Ok(Some(Err(_))) | Err(_) => return,
        }
    }
}

/// Writes what comes, then makes it durable and records it, whatever ended the body.
async fn write_pieces(
    store: UploadStore,
    mut file: File,
    mut record: UploadRecord,
    mut rx: mpsc::Receiver<Piece>,
    _guard: OwnedMutexGuard<()>,
) -> Result<UploadInfo, TusError> {
    let mut written: u64 = 0;
    let mut ended = false;
    let mut failure = None;
    while let Some(piece) = rx.recv().await {
        let bytes = match piece {
            Piece::End => {
                ended = true;
                break;
            }
            Piece::Data(bytes) => bytes,
        };
        let room = record.length - record.offset - written;
        let take = bytes.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        if let Err(e) = file.write_all(&bytes[..take]).await {
            failure = Some(e.into());
            break;
        }
        written += take as u64;
        if take < bytes.len() {
            failure = Some(TusError::ExceedsLength {
                length: record.length,
            });
            break;
        }
    }
    drop(rx);

    // The offset may only move once the bytes are on disk; if fsync fails, the record
    // keeps the old offset and the next PATCH truncates back to it.
    file.flush().await?;
    file.sync_all().await?;
    record.offset += written;
    record.expires_at_ms = now_ms().saturating_add(store.expire_ms());
    record::write_record(store.dir(), &record).await?;

    match failure {
        Some(err) => Err(err),
        None if !ended => Err(TusError::Interrupted {
            offset: record.offset,
        }),
        None => Ok(record.into()),
    }
}
