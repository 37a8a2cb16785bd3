import CutlineCore
import Foundation
import Hummingbird
import Synchronization

/// The encoded status answer of each job's latest version, so the polls of many browsers cost a
/// version read instead of a record read, a URL signature per clip and a JSON encoding each.
public final class StatusAnswers: Sendable {
    private struct Entry {
        let version: Int64
        let body: ByteBuffer
        /// When the answer (and its URLs) was made (the oldest go first when memory is full).
        let madeAt: ContinuousClock.Instant
        /// The window it was made in: it is served only within that window.
        let window: Int64
        /// When the store last said the version is still this one: fresh for `fresh` from then.
        var checkedAt: ContinuousClock.Instant
        /// A poll is asking the store now: the others take this answer meanwhile, so a slow store is
        /// read once per job at a time, not by every poller at once.
        var refreshing = false
    }

    private let entries = Mutex<[JobID: Entry]>([:])
    /// An answer this young is served without asking the status store anything: a browser polling
    /// every second sees changes at most this late, and DynamoDB is read at most twice a second per job
    /// however many pollers there are.
    let fresh: Duration
    /// The span an answer's signed URLs belong to: answers and ETags are per window (`window(at:)`), so
    /// an answer is at most this old and its URLs (an hour's) keep the rest of their lifetime; once the
    /// window turns, a browser revalidating gets a 200 with fresh URLs, never a 304 that keeps dead ones.
    let lifetime: Duration
    /// Bounded memory: past this many jobs the oldest half is dropped.
    let capacity: Int

    public init(lifetime: Duration, fresh: Duration = .milliseconds(500), capacity: Int = 4096) {
        self.lifetime = lifetime
        self.fresh = fresh
        self.capacity = capacity
    }

    /// The window `date` falls in: wall-clock based, so every Gateway gives the same ETag for a version.
    func window(at date: Date = Date()) -> Int64 {
        let seconds = lifetime.inSeconds
        return Int64((date.timeIntervalSince1970 / max(seconds, 0.001)).rounded(.down))
    }

    /// Served only in the window it was made in, and never older than the window's length.
    private func usable(_ entry: Entry, _ now: ContinuousClock.Instant) -> Bool {
        now - entry.madeAt < lifetime && entry.window == window()
    }

    /// The kept answer if the store's version is still its version (which makes it fresh again).
    func answer(_ jobID: JobID, version: Int64, now: ContinuousClock.Instant = .now) -> ByteBuffer? {
        entries.withLock { entries in
            guard let entry = entries[jobID], entry.version == version, usable(entry, now) else { return nil }
            entries[jobID]?.checkedAt = now
            return entry.body
        }
    }

    /// The latest answer if it is fresh, with its version.
    func recent(_ jobID: JobID, now: ContinuousClock.Instant = .now) -> (version: Int64, body: ByteBuffer)? {
        entries.withLock { entries in
            guard let entry = entries[jobID], now - entry.checkedAt < fresh, usable(entry, now) else { return nil }
            return (entry.version, entry.body)
        }
    }

    /// Whether this poll should ask the store: true for the first poll after the answer went stale
    /// (or when there is none); the others get the kept answer until that poll is done (`refreshed`).
    func claimRefresh(_ jobID: JobID, now: ContinuousClock.Instant = .now) -> (version: Int64, body: ByteBuffer)? {
        entries.withLock { entries in
            guard let entry = entries[jobID], usable(entry, now) else { return nil }
            if entry.refreshing { return (entry.version, entry.body) }
            entries[jobID]?.refreshing = true
            return nil
        }
    }

    /// The poll that asked the store is done (whatever it found).
    func refreshed(_ jobID: JobID) {
        entries.withLock { $0[jobID]?.refreshing = false }
    }

    /// The Gateway changed the job: its next poll reads the store.
    func forget(_ jobID: JobID) {
        _ = entries.withLock { $0.removeValue(forKey: jobID) }
    }

    /// Keeps the answer whose URLs were signed in `window` (taken before signing them).
    func keep(_ jobID: JobID, version: Int64, body: ByteBuffer, window: Int64? = nil, now: ContinuousClock.Instant = .now) {
        let window = window ?? self.window()
        entries.withLock { entries in
            if let existing = entries[jobID], existing.version > version { return }
            if entries.count >= capacity {
                let oldest = entries.sorted { $0.value.madeAt < $1.value.madeAt }.prefix(capacity / 2).map(\.key)
                for key in oldest { entries[key] = nil }
            }
            entries[jobID] = Entry(version: version, body: body, madeAt: now, window: window, checkedAt: now)
        }
    }
}
