public import CutlineWire
import Foundation
import Synchronization

/// One TCP connection carrying frames: a reader the owner drives, and a writer thread that sends queued
/// frames in order, coalescing whatever queued up while the previous write was in progress.
///
/// Senders never block on the socket (they may run on Swift's cooperative pool); only the writer
/// thread does, bounded by the send timeout.
final class FramedConnection: Sendable {
    let socket: Socket
    let peer: String
    private let maxFrameLength: Int

    private struct WriteState {
        var pending: [UInt8] = []
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
        let thread = Thread { [self] in writerLoop() }
        thread.name = "cutline-rpc-writer"
        thread.start()
    }

    /// Queues a frame; false if the connection is already closed.
    @discardableResult
    func send(_ frame: Frame) -> Bool {
        var bytes: [UInt8] = []
        frame.write(to: &bytes)
        return send(bytes: bytes)
    }

    @discardableResult
    func send(bytes: [UInt8]) -> Bool {
        let accepted = writeState.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.pending.append(contentsOf: bytes)
            return true
        }
        if accepted {
            writeSignal.lock()
            writeSignal.signal()
            writeSignal.unlock()
        }
        return accepted
    }

    /// Stops accepting frames, lets the writer flush what is queued, then waits for it to finish.
    func finishWriting() {
        writeState.withLock { $0.closed = true }
        writeSignal.lock()
        writeSignal.signal()
        writeSignal.unlock()
        writerDone.wait()
    }

    var writeFailure: String? { writeState.withLock { $0.failure } }

    private func writerLoop() {
        defer { writerDone.signal() }
        while true {
            writeSignal.lock()
            var batch: [UInt8] = []
            var closing = false
            while true {
                (batch, closing) = writeState.withLock { state in
                    let taken = state.pending
                    state.pending = []
                    return (taken, state.closed)
                }
                if !batch.isEmpty || closing { break }
                writeSignal.wait()
            }
            writeSignal.unlock()
            if !batch.isEmpty {
                do {
                    try socket.writeAll(batch)
                } catch {
                    writeState.withLock { state in
                        state.closed = true
                        state.failure = "\(error)"
                        state.pending = []
                    }
                    // The reader learns of the failure through end-of-stream.
                    socket.shutdownBoth()
                    return
                }
                continue
            }
            if closing { return }
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
            guard try socket.poll(events: Int16(POLLIN), timeoutMilliseconds: timeout) else {
                if decoder.isInsideFrame {
                    throw RPCError.deadlineExceeded("peer \(peer) sent part of a frame and not the rest within \(frameMilliseconds) ms")
                }
                return .timedOut
            }
            let n = try socket.read(into: scratch)
            if n == 0 {
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
func onDedicatedThread<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.name = name
        thread.start()
    }
}
