import ArgumentParser
import CutlineRPC
import CutlineWire
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// scripts/bench-rpc: RPC calls/s and latency over loopback at 1 and 64 callers, against a floor of the
/// same framing over raw sockets with pre-encoded bytes (no Codable, no dispatch), in one run.
@main
struct RPCBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cutline-rpc-bench")

    @Option(help: "Seconds per figure (split across the rounds).")
    var seconds: Double = 3

    @Option(parsing: .upToNextOption, help: "Concurrent callers to measure.")
    var callers: [Int] = [1, 64]

    @Option(
        help:
            "Rounds per caller count, each measuring the floor and then the RPC, so a noisy neighbour on a shared machine hits both alike; the ratio reported is the median of the rounds' ratios."
    )
    var rounds: Int = 5

    @Flag(help: "Measure only the CBOR codec (for profiling).")
    var codecOnly = false

    func run() async throws {
        if codecOnly {
            let codec = try Codec.measure(rounds: Int(seconds * 300_000))
            print(String(format: "codec: encode %.2f µs, decode %.2f µs per message", codec.encode, codec.decode))
            return
        }
        guard rounds >= 1, seconds > 0 else { throw ValidationError("--rounds must be at least 1 and --seconds positive") }
        print(
            "payload: request \(try CBOREncoder().encode(BenchMessage.sample).count) B, response \(try CBOREncoder().encode(BenchMessage.sample).count) B CBOR; \(seconds) s per figure in \(rounds) alternating rounds; \(ProcessInfo.processInfo.activeProcessorCount) cores"
        )
        print(String(format: "%-8@ %-6@ %12@ %10@ %10@", "what", "calls", "calls/s", "p50 µs", "p99 µs"))
        // Measured first, on a quiet process.
        let codec = try Codec.measure()
        var summaries: [(callers: Int, ratios: [Double])] = []
        let slice = seconds / Double(rounds)
        for count in callers {
            var floors: [Result] = []
            var rpcs: [Result] = []
            for _ in 0..<rounds {
                floors.append(try Floor.measure(callers: count, seconds: slice))
                rpcs.append(try await measureRPC(callers: count, seconds: slice))
            }
            print(Result(merging: floors).line("floor", count))
            print(Result(merging: rpcs).line("rpc", count))
            summaries.append((count, zip(rpcs, floors).map { $0.callsPerSecond / $1.callsPerSecond }.sorted()))
        }
        print(String(format: "codec: encode %.2f µs, decode %.2f µs per message (one call does each twice)", codec.encode, codec.decode))
        print("")
        for (count, ratios) in summaries {
            let median = ratios[ratios.count / 2]
            var line = String(
                format: "ratio rpc/floor at %d caller(s): %.2f (median of %d rounds; lowest %.2f, highest %.2f)", count, median, ratios.count,
                ratios.first!, ratios.last!)
            if count >= 64 { line += median >= 0.5 ? "  target ≥ 0.50: met" : "  target ≥ 0.50: NOT met" }
            print(line)
        }
    }

    func measureRPC(callers: Int, seconds: Double) async throws -> Result {
        let secret = try RPCSecret(Data("bench-secret-0123456789".utf8), origin: "bench")
        var router = RPCRouter()
        router.register(BenchMessage.echo) { request, _ in request }
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        var configuration = RPCServerConfiguration(listen: SocketAddress(host: "127.0.0.1", port: 0), secret: secret, serviceName: "bench")
        configuration.maxInFlightPerConnection = 256
        let server = RPCServer(configuration: configuration, router: router, version: "bench", logger: logger)
        let address = try server.bind()
        let serverTask = Task { try await server.run() }
        defer { serverTask.cancel() }
        let client = RPCClient(configuration: .init(address: address, secret: secret, clientName: "bench"), logger: logger)
        defer { client.close() }
        _ = try await client.call(BenchMessage.echo, .sample)

        let end = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        let started = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<callers {
                group.addTask {
                    var samples: [Double] = []
                    samples.reserveCapacity(100_000)
                    while ContinuousClock.now < end {
                        let t0 = ContinuousClock.now
                        _ = try await client.call(BenchMessage.echo, .sample)
                        samples.append((ContinuousClock.now - t0).microseconds)
                    }
                    return samples
                }
            }
            var all: [Double] = []
            for try await samples in group { all += samples }
            return all
        }
        return Result(calls: latencies.count, elapsed: (ContinuousClock.now - started).seconds, latencies: latencies)
    }
}

struct BenchMessage: Codable, Sendable {
    var jobID: String
    var index: Int
    var start: Double
    var duration: Double
    var text: String
    var key: String

    static let echo = RPCMethod<BenchMessage, BenchMessage>("bench.echo")
    static let sample = BenchMessage(
        jobID: "6f1d2c3b-4a59-4e68-b7a6-958473625140", index: 17, start: 170.0, duration: 10.0,
        text: "A short overlay text for clip seventeen, about eighty characters long.",
        key: "clips/6f1d2c3b-4a59-4e68-b7a6-958473625140/017.mp4")
}

/// The share of a call spent in CBOR: encoding and decoding the bench message, alone. Best of five
/// batches, so a noisy neighbour on a shared machine does not decide the figure.
enum Codec {
    static func measure(rounds: Int = 100_000) throws -> (encode: Double, decode: Double) {
        let batch = max(1, rounds / 5)
        var (bestEncode, bestDecode) = (Double.infinity, Double.infinity)
        var bytes: [UInt8] = []
        var sink = 0
        for _ in 0..<5 {
            let t0 = ContinuousClock.now
            for _ in 0..<batch { bytes = try CBOREncoder().encode(BenchMessage.sample) }
            let t1 = ContinuousClock.now
            for _ in 0..<batch { sink &+= try CBORDecoder().decode(BenchMessage.self, from: bytes).index }
            let t2 = ContinuousClock.now
            bestEncode = min(bestEncode, (t1 - t0).microseconds / Double(batch))
            bestDecode = min(bestDecode, (t2 - t1).microseconds / Double(batch))
        }
        precondition(sink == 5 * batch * BenchMessage.sample.index)
        return (bestEncode, bestDecode)
    }
}

struct Result {
    var calls: Int
    var elapsed: Double
    var latencies: [Double]

    init(calls: Int, elapsed: Double, latencies: [Double]) {
        self.calls = calls
        self.elapsed = elapsed
        self.latencies = latencies
    }

    /// Rounds taken together: all their calls over all their time.
    init(merging rounds: [Result]) {
        self.init(calls: rounds.map(\.calls).reduce(0, +), elapsed: rounds.map(\.elapsed).reduce(0, +), latencies: rounds.flatMap(\.latencies))
    }

    var callsPerSecond: Double { Double(calls) / elapsed }

    func percentile(_ p: Double) -> Double {
        guard !latencies.isEmpty else { return 0 }
        let sorted = latencies.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }

    func line(_ what: String, _ callers: Int) -> String {
        String(format: "%-8@ %-6d %12.0f %10.1f %10.1f", what, callers, callsPerSecond, percentile(0.5), percentile(0.99))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var microseconds: Double { seconds * 1e6 }
}

/// The floor: frames of the same sizes over a raw loopback TCP connection, pre-encoded, echoed by a
/// server thread that parses each frame and writes a ready response; `callers` requests kept in flight.
enum Floor {
    static func measure(callers: Int, seconds: Double) throws -> Result {
        let payload = try CBOREncoder().encode(BenchMessage.sample)
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                _ = bind(listener, $0, length)
                _ = getsockname(listener, $0, &length)
            }
        }
        listen(listener, 1)
        let port = address.sin_port

        let response = Frame(kind: .response, requestID: 0, payload: payload).encoded()
        let serverThread = Thread {
            let fd = accept(listener, nil, nil)
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            var decoder = FrameDecoder()
            var buffer = [UInt8](repeating: 0, count: 65536)
            var reply = response
            loop: while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
                if n <= 0 { break }
                decoder.append(buffer[0..<n])
                while let frame = try? decoder.next() {
                    // Echo the request id into the ready-made response: bytes 8..<16.
                    var id = frame.requestID.bigEndian
                    withUnsafeBytes(of: &id) { for i in 0..<8 { reply[8 + i] = $0[i] } }
                    if reply.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) <= 0 { break loop }
                }
            }
            close(fd)
        }
        serverThread.start()

        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = port
        target.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        defer {
            close(fd)
            close(listener)
        }

        var request = Frame(kind: .request, requestID: 0, method: "bench.echo", deadlineMilliseconds: 30_000, payload: payload).encoded()
        var sentAt = [UInt64: ContinuousClock.Instant]()
        var nextID: UInt64 = 1
        func sendOne() {
            var id = nextID.bigEndian
            withUnsafeBytes(of: &id) { for i in 0..<8 { request[8 + i] = $0[i] } }
            sentAt[nextID] = .now
            nextID += 1
            _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }

        var latencies: [Double] = []
        latencies.reserveCapacity(1_000_000)
        let started = ContinuousClock.now
        let end = started + .milliseconds(Int64(seconds * 1000))
        for _ in 0..<callers { sendOne() }
        var decoder = FrameDecoder()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var stopping = false
        while !sentAt.isEmpty {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
            if n <= 0 { break }
            decoder.append(buffer[0..<n])
            while let frame = try decoder.next() {
                if let t0 = sentAt.removeValue(forKey: frame.requestID) {
                    latencies.append((ContinuousClock.now - t0).microseconds)
                }
                if !stopping && ContinuousClock.now >= end { stopping = true }
                if !stopping { sendOne() }
            }
        }
        let elapsed = (ContinuousClock.now - started).seconds
        return Result(calls: latencies.count, elapsed: elapsed, latencies: latencies)
    }
}
