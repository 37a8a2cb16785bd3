import CutlineSettings
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// Closes an HTTP connection that is too slow in any phase: a client that opens a connection and then
/// sends its head a byte at a time (slowloris), trickles a body, or keeps a connection open without a
/// next request. Hummingbird's own idle timer only sees whole request parts, so a head that never
/// completes, or a body that never stops arriving, would hold the connection for ever.
final class ConnectionDeadlines: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Phase: String {
        case head, body, idle
    }

    /// A body may take longer than `bodyTimeout` as long as it keeps coming: every this many bytes
    /// received buy one more second (as Apache's mod_reqtimeout does). A client trickling a byte at a
    /// time is closed; a large upload on a slow line is not.
    static let minimumBodyRate = 1024

    private let limits: HTTPConnectionLimits
    private let logger: Logger
    private var timer: Scheduled<Void>?
    /// Requests whose head was read and whose response has not ended (HTTP/1.1 may pipeline).
    private var inProgress = 0
    private var readingBody = false
    private var bodyStarted = NIODeadline.now()
    private var bodyBytes = 0

    init(limits: HTTPConnectionLimits, logger: Logger) {
        self.limits = limits
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(.head, at: .now() + Self.amount(limits.headerTimeout), context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(.head, at: .now() + Self.amount(limits.headerTimeout), context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            inProgress += 1
            readingBody = true
            bodyStarted = .now()
            bodyBytes = 0
            arm(.body, at: bodyStarted + Self.amount(limits.bodyTimeout), context: context)
        case .body(let bytes):
            bodyBytes += bytes.readableBytes
            let earned = TimeAmount.milliseconds(Int64(bodyBytes / Self.minimumBodyRate) * 1000)
            arm(.body, at: bodyStarted + Self.amount(limits.bodyTimeout) + earned, context: context)
        case .end:
            readingBody = false
            // The handler's own work is bounded by its deadlines, not by this one.
            disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            inProgress = max(0, inProgress - 1)
            if inProgress == 0, !readingBody { arm(.idle, at: .now() + Self.amount(limits.idleTimeout), context: context) }
        }
        context.write(data, promise: promise)
    }

    private func arm(_ phase: Phase, at deadline: NIODeadline, context: ChannelHandlerContext) {
        disarm()
        let logger = logger
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            self?.timer = nil
            logger.debug("http connection closed: too slow", metadata: ["phase": "\(phase.rawValue)"])
            context.close(promise: nil)
        }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }

    private static func amount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

extension HTTPConnectionLimits {
    /// The HTTP/1 server with these deadlines on every connection.
    func server(logger: Logger) -> HTTP1Channel.Configuration {
        HTTP1Channel.Configuration(additionalChannelHandlers: [ConnectionDeadlines(limits: self, logger: logger)])
    }
}
