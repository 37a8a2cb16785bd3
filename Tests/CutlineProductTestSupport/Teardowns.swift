import ArgumentParser
import CutlineContracts
import CutlineCore
import CutlineGatewayApp
import CutlineJobStore
import CutlineMediaProcessorApp
import CutlineOutbox
import CutlineRPC
import CutlineSQLite
import CutlineServiceHost
import CutlineSettings
import CutlineStorage
import CutlineTestSupport
import CutlineTextApp
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// Stops what a test started once it returns, and makes the next test's product wait until that is
/// done (Swift Testing has no async `defer`): a test's services are stopped and awaited before the
/// next one starts its own.
package enum Teardowns {
    private static let pending = Mutex<[Task<Void, Never>]>([])

    package static func stop(_ body: @escaping @Sendable () async -> Void) {
        let task = Task { await body() }
        pending.withLock { $0.append(task) }
    }

    package static func awaitAll() async {
        let tasks = pending.withLock { tasks in
            defer { tasks = [] }
            return tasks
        }
        for task in tasks { await task.value }
    }
}
