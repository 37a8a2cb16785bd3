import Foundation
import Synchronization

/// Fires a callback when a registered deadline passes, for every call on a connection, from one
/// thread of its own: a min-heap and a condition variable instead of a sleeping task per call.
final class DeadlineWatcher: Sendable {
    private struct Entry {
        var deadline: ContinuousClock.Instant
        var token: UInt64
    }

    private struct State {
        var heap: [Entry] = []
        /// Tokens still waiting; heap entries whose token is gone are skipped (lazy removal).
        var live: Set<UInt64> = []
        var stopped = false
    }

    private let state = Mutex(State())
    private let signal = NSCondition()

    init() {}

    /// Starts the watcher's thread; it runs until `stop()`. `name`: at most 15 bytes (Linux's limit).
    func start(name: String, onExpiry: @escaping @Sendable (UInt64) -> Void) {
        let thread = Thread { [self] in
            Thread.current.name = name
            run(onExpiry)
        }
        thread.start()
    }

    func add(_ token: UInt64, deadline: ContinuousClock.Instant) {
        let becameEarliest = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.live.insert(token)
            state.heap.append(Entry(deadline: deadline, token: token))
            Self.siftUp(&state.heap, state.heap.count - 1)
            // Completed calls leave stale entries behind; rebuild once they dominate.
            if state.heap.count > 1024 && state.heap.count > 4 * state.live.count {
                state.heap = state.heap.filter { state.live.contains($0.token) }
                for index in stride(from: state.heap.count / 2 - 1, through: 0, by: -1) { Self.siftDown(&state.heap, index) }
            }
            return state.heap.first?.token == token
        }
        // Only a new earliest deadline changes how long the thread must sleep.
        if becameEarliest { wake() }
    }

    func remove(_ token: UInt64) {
        _ = state.withLock { $0.live.remove(token) }
    }

    func stop() {
        state.withLock { $0.stopped = true }
        wake()
    }

    private func wake() {
        signal.lock()
        signal.signal()
        signal.unlock()
    }

    private func run(_ onExpiry: @Sendable (UInt64) -> Void) {
        signal.lock()
        defer { signal.unlock() }
        while true {
            var expired: [UInt64] = []
            let (stopped, next) = state.withLock { state -> (Bool, ContinuousClock.Instant?) in
                let now = ContinuousClock.now
                while let first = state.heap.first, first.deadline <= now || !state.live.contains(first.token) {
                    Self.popMin(&state.heap)
                    if state.live.remove(first.token) != nil { expired.append(first.token) }
                }
                return (state.stopped, state.heap.first?.deadline)
            }
            if stopped { return }
            if !expired.isEmpty {
                signal.unlock()
                expired.forEach(onExpiry)
                signal.lock()
                continue
            }
            if let next {
                let wait = next - ContinuousClock.now
                let seconds = Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18
                _ = signal.wait(until: Date().addingTimeInterval(max(0, seconds)))
            } else {
                signal.wait()
            }
        }
    }

    private static func siftUp(_ heap: inout [Entry], _ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private static func siftDown(_ heap: inout [Entry], _ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count && heap[right].deadline < heap[smallest].deadline { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }

    private static func popMin(_ heap: inout [Entry]) {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        if !heap.isEmpty { siftDown(&heap, 0) }
    }
}
