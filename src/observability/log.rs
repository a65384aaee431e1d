//! The event log's storage: every event's JSON in 64 KiB chunks, with the metadata filters
//! need. Evicting an event frees nothing; a chunk is recycled once its last event is evicted.

use std::collections::VecDeque;

use super::events::EventType;

/// Bytes per log chunk. Records are appended to the newest chunk; a chunk is recycled once
/// every record in it has been evicted, so a full log evicts without freeing anything.
pub(super) const CHUNK_BYTES: usize = 64 * 1024;

/// One stored event: where its JSON is, plus what filters need.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rec {
    pub(super) seq: u64,
    /// Chunk number (monotonic; `chunk - Log::first_chunk` indexes `Log::chunks`).
    pub(super) chunk: u64,
    pub(super) off: u32,
    pub(super) len: u32,
    /// Quoted session id within the record (`len` 0 = none).
    pub(super) session: (u32, u32),
    /// Quoted agent DID within the record (`len` 0 = none).
    pub(super) agent: (u32, u32),
    pub(super) event_type: EventType,
}

pub(super) struct Chunk {
    pub(super) data: Vec<u8>,
    pub(super) live: u32,
}

pub(super) struct Log {
    pub(super) recs: VecDeque<Rec>,
    pub(super) chunks: VecDeque<Chunk>,
    pub(super) first_chunk: u64,
    pub(super) spare: Option<Vec<u8>>,
    pub(super) next_seq: u64,
    pub(super) dropped: u64,
    pub(super) total: u64,
    pub(super) type_counts: Vec<u64>,
}

pub(super) fn slice(bytes: &[u8], (off, len): (u32, u32)) -> Option<&[u8]> {
    (len > 0).then(|| bytes.get(off as usize..(off + len) as usize))?
}

impl Log {
    pub(super) fn bytes(&self, r: &Rec) -> &[u8] {
        let i = usize::try_from(r.chunk - self.first_chunk).unwrap_or(usize::MAX);
        self.chunks
            .get(i)
            .and_then(|c| c.data.get(r.off as usize..(r.off + r.len) as usize))
            .unwrap_or(b"")
    }

    /// Evicts the oldest record, recycling chunks no record points into any more.
    pub(super) fn evict_one(&mut self) {
        let Some(r) = self.recs.pop_front() else {
            return;
        };
        self.dropped += 1;
        let i = usize::try_from(r.chunk - self.first_chunk).unwrap_or(usize::MAX);
        if let Some(c) = self.chunks.get_mut(i) {
            c.live = c.live.saturating_sub(1);
        }
        while self.chunks.len() > 1 && self.chunks.front().is_some_and(|c| c.live == 0) {
            if let Some(mut c) = self.chunks.pop_front() {
                self.first_chunk += 1;
                if c.data.capacity() == CHUNK_BYTES && self.spare.is_none() {
                    c.data.clear();
                    self.spare = Some(c.data);
                }
            }
        }
        if self.recs.is_empty() {
            if let Some(c) = self.chunks.back_mut() {
                c.data.clear();
            }
        }
    }

    /// The chunk a record of `len` bytes is appended to, and its number.
    pub(super) fn chunk_for(&mut self, len: usize) -> (u64, &mut Chunk) {
        let fits = self
            .chunks
            .back()
            .is_some_and(|c| c.data.capacity() - c.data.len() >= len);
        if !fits {
            let data = match self.spare.take() {
                Some(d) if d.capacity() >= len => d,
                other => {
                    self.spare = other;
                    Vec::with_capacity(len.max(CHUNK_BYTES))
                }
            };
            self.chunks.push_back(Chunk { data, live: 0 });
        }
        let n = self.first_chunk + self.chunks.len() as u64 - 1;
        let last = self.chunks.len() - 1;
        (n, &mut self.chunks[last])
    }
}
