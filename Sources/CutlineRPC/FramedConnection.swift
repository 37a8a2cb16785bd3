import CutlineWire
import Foundation
import Synchronization

/// One TCP connection carrying frames: a reader the owner drives, and a write path that sends each
/// frame straight from the sender with a non-blocking write when the socket is free, and otherwise
/// queues it behind the write in progress (so frames queued meanwhile go out together).
///
/// Senders never block on the socket (they may run on Swift's cooperative pool). When the kernel's
/// buffer is full, the rest is handed to the connection's writer thread, which blocks for it, bounded
/// by the send timeout.
final class FramedConnection: Sendable {
    let socket: Socket
    let peer: String
    private let maxFrameLength: Int

    private struct WriteState {
        var pending: [UInt8] = []
        /// Someone (a sender, or the writer thread) owns the socket's write side.
        var writing = false
        /// The writer thread owns it: the socket would block.
        var handedOver = false
        /// A flush job is queued; frames sent meanwhile join its write.
        var flushScheduled = false
        var closed = false
        var failure: String?
    }

    private let writeState = Mutex(WriteState())
    private let writeSignal = NSCondition()
    private let writerDone = DispatchSemaphore(value: 0)

    init(socket: Socket, peer: String, maxFrameLength: Int, sendTimeoutMilliseconds: Int) {
        self.socket = socket
        self.peer = peer
        self.maxFrameLength = maxFrameLength
        socket.setSendTimeout(milliseconds: sendTimeoutMilliseconds)
        let thread = Thread { [self] in
            Thread.current.name = "rpc-writer"
            writerLoop()
        }
        thread.start()
    }

    /// Sends or queues a frame; false if the connection is already closed.
    /// `coalesce`: other frames are likely to follow soon (the connection is busy), so the write is
    /// deferred to a job queued behind the ones running now, and frames they send meanwhile share its
    /// system call. Otherwise the frame is written at once if the socket is free (lowest latency).
    @discardableResult
    func send(_ frame: Frame, coalesce: Bool = false) -> Bool {
        var bytes: [UInt8] = []
        frame.write(to: &bytes)
        return send(bytes: bytes, coalesce: coalesce)
    }

    @discardableResult
    func send(bytes: [UInt8], coalesce: Bool = false) -> Bool {
        enum Action { case rejected, queued, writeNow, scheduleFlush }
        let action = writeState.withLock { state -> Action in
            guard !state.closed else { return .rejected }
            if state.writing || state.flushScheduled {
                state.pending.append(contentsOf: bytes)
                return .queued
            }
            if coalesce {
                state.pending.append(contentsOf: bytes)
                state.flushScheduled = true
                return .scheduleFlush
            }
            state.writing = true
            return .writeNow
        }
        switch action {
        case .rejected: return false
        case .queued: break
        case .writeNow: writeDirectly(bytes)
        case .scheduleFlush: Task { self.flush() }
        }
        return true
    }

    private func flush() {
        let chunk = writeState.withLock { state -> [UInt8]? in
            state.flushScheduled = false
            guard !state.writing, !state.pending.isEmpty else { return nil }
            state.writing = true
            defer { state.pending = [] }
            return state.pending
        }
        if let chunk { writeDirectly(chunk) }
    }

    private func writeDirectly(_ first: [UInt8]) {
        var chunk = first
        while true {
            let written: Int
            do {
                written = try socket.writeNonBlocking(chunk)
            } catch {
                fail(error)
                return
            }
            let handOver = writeState.withLock { state -> Bool? in
                if written < chunk.count {
                    state.pending = Array(chunk[written...]) + state.pending
                    state.handedOver = true
                    return true
                }
                if state.pending.isEmpty {
                    state.writing = false
                    return state.closed ? true : nil
                }
                chunk = state.pending
                state.pending = []
                return false
            }
            switch handOver {
            case .none: return
            case .some(true):
                // The writer thread takes over (or, when closing, learns the socket is free).
                wakeWriter()
                return
            case .some(false): continue
            }
        }
    }

    private func fail(_ error: any Error) {
        markFailed(error)
        wakeWriter()
    }

    /// Closes the write side for good after a failed write; the reader learns of it through end-of-stream.
    private func markFailed(_ error: any Error) {
        writeState.withLock { state in
            state.closed = true
            state.failure = "\(error)"
            state.pending = []
            state.writing = false
            state.handedOver = false
        }
        socket.shutdownBoth()
    }

    private func wakeWriter() {
        writeSignal.lock()
        writeSignal.signal()
        writeSignal.unlock()
    }

    /// Stops accepting frames, lets what is queued be written, then waits for the writer to finish.
    func finishWriting() {
        writeState.withLock { $0.closed = true }
        wakeWriter()
        writerDone.wait()
    }

    var writeFailure: String? { writeState.withLock { $0.failure } }

    private func writerLoop() {
        defer { writerDone.signal() }
        writeSignal.lock()
        defer { writeSignal.unlock() }
        while true {
            enum Step {
                case write([UInt8])
                case exit, wait
            }
            let step = writeState.withLock { state -> Step in
                if state.handedOver || (state.closed && !state.writing && !state.pending.isEmpty) {
                    state.writing = true
                    state.handedOver = true
                    if state.pending.isEmpty {
                        state.writing = false
                        state.handedOver = false
                        return .wait
                    }
                    let batch = state.pending
                    state.pending = []
                    return .write(batch)
                }
                if state.closed && !state.writing { return .exit }
                return .wait
            }
            switch step {
            case .exit:
                return
            case .wait:
                if writeState.withLock({ $0.closed && !$0.writing && $0.pending.isEmpty }) { return }
                writeSignal.wait()
            case .write(let batch):
                writeSignal.unlock()
                do {
                    try socket.writeAll(batch)
                    writeSignal.lock()
                } catch {
                    writeSignal.lock()
                    markFailed(error)
                    return
                }
            }
        }
    }

    // MARK: Reading (owner's thread only)

    enum ReadOutcome {
        case frame(Frame)
        case timedOut
        case closed
    }

    /// Reads the next frame, waiting at most `idleMilliseconds` for a frame to begin and at most
    /// `frameMilliseconds` in total for the rest of it once it has begun, however the bytes trickle in
    /// (a slow or silent peer cannot pin us). `deadline`, when given, bounds the whole read.
    func readFrame(
        decoder: inout FrameDecoder,
        scratch: UnsafeMutableRawBufferPointer,
        idleMilliseconds: Int32,
        frameMilliseconds: Int32,
        deadline: ContinuousClock.Instant? = nil
    ) throws -> ReadOutcome {
        var frameDeadline = decoder.isInsideFrame ? ContinuousClock.now + .milliseconds(frameMilliseconds) : nil
        while true {
            if let frame = try decoder.next() { return .frame(frame) }
            if frameDeadline == nil && decoder.isInsideFrame {
                frameDeadline = ContinuousClock.now + .milliseconds(frameMilliseconds)
            }
            var timeout = idleMilliseconds
            if let frameDeadline { timeout = (frameDeadline - ContinuousClock.now).clampedMilliseconds32 }
            if let deadline {
                let remaining = (deadline - ContinuousClock.now).clampedMilliseconds32
                timeout = timeout < 0 ? remaining : min(timeout, remaining)
            }
            // Under load the next bytes are usually there already: try once before paying for poll.
            var n = try socket.readNonBlocking(into: scratch)
            if n == nil {
                guard try socket.poll(events: Int16(POLLIN), timeoutMilliseconds: timeout) else {
                    if decoder.isInsideFrame {
                        throw RPCError.deadlineExceeded("peer \(peer) sent part of a frame and not the rest within \(frameMilliseconds) ms")
                    }
                    return .timedOut
                }
                n = try socket.read(into: scratch)
            }
            guard let n, n > 0 else {
                if decoder.isInsideFrame {
                    throw RPCError.unavailable("peer \(peer) closed the connection in the middle of a frame")
                }
                return .closed
            }
            decoder.append(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
        }
    }
}

/// Runs blocking work on a thread of its own and awaits its result, keeping it off the cooperative pool.
/// `name`: at most 15 bytes (Linux's limit for thread names).
func onDedicatedThread<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            // Named from inside: on Linux, Foundation applies a name set before start() to nothing.
            Thread.current.name = name
            continuation.resume(with: Result { try body() })
        }
        thread.start()
    }
}
